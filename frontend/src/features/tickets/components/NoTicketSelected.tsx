import { EmptyState } from "../../../components/States";

export function NoTicketSelected() {
  return (
    <div className="no-ticket">
      <EmptyState title="No ticket open">
        <p>Pick a conversation from the queue, or press <kbd>j</kbd> to open the first one.</p>
      </EmptyState>
    </div>
  );
}
