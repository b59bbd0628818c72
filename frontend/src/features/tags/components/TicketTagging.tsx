import { useId, useState } from "react";
import { InlineError } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useUpdateTicket, type Ticket } from "../../tickets/api/tickets";
import { PRIORITIES, PRIORITY_LABELS, useTags, type Priority } from "../api/tags";
import { TagChip } from "./TagChips";
import styles from "./tags.module.css";

/** A ticket's priority and tags, changed in place: tags from the admins' list, new ones only where allowed. */
export function TicketTagging({ ticket }: { ticket: Ticket }) {
  const tags = useTags();
  const update = useUpdateTicket(ticket.id);
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const known = tags.data?.tags ?? [];
  const canCreate = tags.data?.can_create ?? false;
  const current = ticket.tags.map((tag) => tag.name);
  const choices = known.filter((tag) => !current.some((name) => name.toLowerCase() === tag.name.toLowerCase()));

  function setTags(names: string[]) {
    setProblem(null);
    update.mutate({ tags: names });
  }

  return (
    <div className={styles.picker}>
      <div className="field-inline">
        <label htmlFor={`${id}-priority`}>Priority</label>
        <select
          id={`${id}-priority`}
          value={ticket.priority}
          disabled={update.isPending}
          onChange={(event) => {
            update.mutate({ priority: event.target.value as Priority });
          }}
        >
          {PRIORITIES.map((priority) => (
            <option key={priority} value={priority}>
              {PRIORITY_LABELS[priority]}
            </option>
          ))}
        </select>
      </div>
      <span className={styles.chips} aria-label="Tags" role="group">
        {ticket.tags.map((tag) => (
          <TagChip
            key={tag.id}
            tag={tag}
            onRemove={() => {
              setTags(current.filter((name) => name !== tag.name));
            }}
          />
        ))}
      </span>
      <form
        className="field-inline"
        onSubmit={(event) => {
          event.preventDefault();
          const wanted = name.trim();
          if (!wanted) return;
          const existing = known.find((tag) => tag.name.toLowerCase() === wanted.toLowerCase());
          if (!existing && !canCreate) {
            setProblem(`There is no tag “${wanted}”. Ask an admin to add it.`);
            return;
          }
          setTags([...current, existing?.name ?? wanted]);
          setName("");
        }}
      >
        <label htmlFor={`${id}-tag`}>Add tag</label>
        <input
          id={`${id}-tag`}
          list={`${id}-tags`}
          value={name}
          maxLength={40}
          placeholder={canCreate ? "Pick or type a new tag" : "Pick a tag"}
          onChange={(event) => {
            setName(event.target.value);
          }}
        />
        <datalist id={`${id}-tags`}>
          {choices.map((tag) => (
            <option key={tag.id} value={tag.name} />
          ))}
        </datalist>
        <button type="submit" className="button button-small" disabled={update.isPending || name.trim() === ""}>
          Add
        </button>
      </form>
      {problem ? <InlineError>{problem}</InlineError> : null}
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
    </div>
  );
}
