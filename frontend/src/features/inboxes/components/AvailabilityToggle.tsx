import { errorMessage } from "../../../lib/api-client";
import { useCurrentUser } from "../../auth/api/session";
import { useSetAvailability } from "../api/inboxes";

/**
 * The "Online" switch in the header (on: online, off: away); a button, so Space and Enter toggle it. Away agents
 * get no round-robin tickets; the label stays the same so its name does not change under the keyboard focus.
 */
export function AvailabilityToggle() {
  const user = useCurrentUser();
  const set = useSetAvailability();
  // Show the choice at once; the session refetch confirms it.
  const away = set.isPending ? set.variables === "away" : user.away;
  return (
    <>
      <button
        type="button"
        role="switch"
        aria-checked={!away}
        className={away ? "button button-quiet availability is-away" : "button button-quiet availability"}
        title={away ? "Away: round robin skips you" : "Online: round robin may hand you new tickets"}
        disabled={set.isPending}
        onClick={() => {
          set.mutate(away ? "online" : "away");
        }}
      >
        <span className="availability-dot" aria-hidden="true" />
        Online
      </button>
      {set.isError ? (
        <p className="inline-error" role="alert">
          {errorMessage(set.error)}
        </p>
      ) : null}
    </>
  );
}
