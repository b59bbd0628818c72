import { useId, useState } from "react";
import { InlineError } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useCurrentUser } from "../../auth/api/session";
import { useTeam } from "../../tickets/api/team";
import { PRIORITIES, PRIORITY_LABELS, useBulkChange, useTags, type BulkChange, type BulkOutcome } from "../api/tags";
import styles from "./tags.module.css";

const STATUS_CHOICES = [
  ["open", "Open"],
  ["pending", "Pending"],
  ["closed", "Closed"],
] as const;

/** A select that applies its choice at once and goes back to its prompt. */
function ChangeSelect({
  id,
  label,
  options,
  disabled,
  onChoose,
}: {
  id: string;
  label: string;
  options: readonly (readonly [string, string])[];
  disabled: boolean;
  onChoose: (value: string) => void;
}) {
  return (
    <div className="field-inline">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value=""
        disabled={disabled}
        onChange={(event) => {
          if (event.target.value !== "") onChoose(event.target.value);
        }}
      >
        <option value="">Choose…</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * What can be done to the selected tickets at once: assign, set a status, add a tag, set a priority. Each ticket is
 * changed on its own; the ones that could not be are listed with why.
 */
export function BulkToolbar({ ticketIds, onClear }: { ticketIds: number[]; onClear: () => void }) {
  const user = useCurrentUser();
  const team = useTeam();
  const tags = useTags();
  const bulk = useBulkChange();
  const [failures, setFailures] = useState<BulkOutcome[]>([]);
  const [summary, setSummary] = useState<string | null>(null);
  const id = useId();

  function apply(change: BulkChange) {
    setSummary(null);
    bulk.mutate(
      { ticketIds, change },
      {
        onSuccess: ({ results }) => {
          const failed = results.filter((result) => !result.ok);
          const done = results.length - failed.length;
          setFailures(failed);
          setSummary(
            failed.length === 0
              ? `${String(done)} ${done === 1 ? "ticket" : "tickets"} changed.`
              : `${String(done)} changed, ${String(failed.length)} not changed.`,
          );
          if (failed.length === 0) onClear();
        },
      },
    );
  }

  const members = (team.data ?? []).filter((member) => member.active);
  return (
    <div className={styles.toolbar} role="region" aria-label="Bulk actions">
      <strong>{ticketIds.length} selected</strong>
      <ChangeSelect
        id={`${id}-assign`}
        label="Assign"
        disabled={bulk.isPending}
        options={[
          ["none", "Unassigned"],
          ...members.map((m) => [String(m.id), m.id === user.id ? `${m.name} (you)` : m.name] as const),
        ]}
        onChoose={(value) => {
          apply({ assignee_id: value === "none" ? null : Number(value) });
        }}
      />
      <ChangeSelect
        id={`${id}-status`}
        label="Status"
        disabled={bulk.isPending}
        options={STATUS_CHOICES}
        onChoose={(status) => {
          apply({ status: status as BulkChange["status"] });
        }}
      />
      <ChangeSelect
        id={`${id}-tag`}
        label="Add tag"
        disabled={bulk.isPending}
        options={(tags.data?.tags ?? []).map((tag) => [tag.name, tag.name] as const)}
        onChoose={(tag) => {
          apply({ tags_add: [tag] });
        }}
      />
      <ChangeSelect
        id={`${id}-priority`}
        label="Priority"
        disabled={bulk.isPending}
        options={PRIORITIES.map((p) => [p, PRIORITY_LABELS[p]] as const)}
        onChoose={(priority) => {
          apply({ priority: priority as BulkChange["priority"] });
        }}
      />
      <button type="button" className="button button-small" onClick={onClear}>
        Clear selection
      </button>
      <p role="status" className="success">
        {summary}
      </p>
      {failures.length > 0 ? (
        <ul className={styles.failures} aria-label="Not changed">
          {failures.map((failure) => (
            <li key={failure.ticket_id}>
              #{failure.ticket_id}: {failure.message ?? failure.error}
            </li>
          ))}
        </ul>
      ) : null}
      {bulk.isError ? <InlineError>{errorMessage(bulk.error)}</InlineError> : null}
    </div>
  );
}
