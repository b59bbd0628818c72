import { exportUrl } from "./exportUrl";
import styles from "./export.module.css";

/**
 * "Export CSV" for admins: downloads the tickets, or their messages, that the queue shows now (its tab's status and
 * assignee and its search). Links, so the browser downloads them itself, streamed, however large.
 */
export function ExportMenu({ filters }: { filters: Readonly<Record<string, string | undefined>> }) {
  return (
    <details className={styles.menu}>
      <summary className={styles.summary}>Export CSV</summary>
      <ul className={styles.items}>
        <li>
          <a href={exportUrl("tickets", filters)} download>
            Tickets
          </a>
        </li>
        <li>
          <a href={exportUrl("messages", filters)} download>
            Their messages
          </a>
        </li>
      </ul>
    </details>
  );
}
