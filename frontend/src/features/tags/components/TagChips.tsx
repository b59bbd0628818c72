import type { CSSProperties } from "react";
import { PRIORITY_LABELS, type Priority, type Tag } from "../api/tags";
import styles from "./tags.module.css";

/** A tag: its colour as a dot, its name in text. */
export function TagChip({ tag, onRemove }: { tag: Tag; onRemove?: () => void }) {
  return (
    <span className={styles.chip} style={{ "--tag-colour": tag.colour } as CSSProperties}>
      <span className={styles.dot} aria-hidden="true" />
      {tag.name}
      {onRemove ? (
        <button type="button" className={styles.removeTag} aria-label={`Remove tag ${tag.name}`} onClick={onRemove}>
          ×
        </button>
      ) : null}
    </span>
  );
}

export function TagChips({ tags }: { tags: readonly Tag[] }) {
  if (tags.length === 0) return null;
  return (
    <span className={styles.chips}>
      <span className="visually-hidden">Tags: </span>
      {tags.map((tag) => (
        <TagChip key={tag.id} tag={tag} />
      ))}
    </span>
  );
}

/** The ticket's priority; nothing for `normal`, the usual. */
export function PriorityBadge({ priority }: { priority: Priority }) {
  if (priority === "normal") return null;
  return (
    <span className={`${styles.priority ?? ""} ${styles[`priority-${priority}`] ?? ""}`}>
      <span className="visually-hidden">Priority: </span>
      {PRIORITY_LABELS[priority]}
    </span>
  );
}
