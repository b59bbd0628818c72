import type { ReactNode } from "react";
import { Link } from "react-router";
import { SelectField } from "../../../components/Field";
import { EmptyState } from "../../../components/States";
import { useCurrentUser } from "../../auth/api/session";
import { stillOurs, type NumberOfOurs } from "../api/numbers";

/**
 * A native select of our numbers (shown as people write them; the value is E.164). While `value` is `""` (no
 * number is the default, or the chosen one was removed) its first option asks for a choice.
 */
export function OurNumberSelect({
  label,
  hint,
  numbers,
  value,
  onChange,
}: {
  label: string;
  hint?: ReactNode;
  numbers: readonly NumberOfOurs[];
  value: string;
  onChange: (number: string) => void;
}) {
  const shown = stillOurs(numbers, value);
  return (
    <SelectField
      label={label}
      hint={hint}
      required
      value={shown}
      onChange={(event) => {
        onChange(event.target.value);
      }}
    >
      {shown === "" ? (
        <option value="" disabled>
          Choose one of our numbers
        </option>
      ) : null}
      {numbers.map((number) => (
        <option key={number.number} value={number.number}>
          {number.default ? `${number.display} (default)` : number.display}
        </option>
      ))}
    </SelectField>
  );
}

/** Said instead of a form that needs one of our numbers while there is none. */
export function NoNumbersYet({ title = "No number of ours to send from yet" }: { title?: string }) {
  const isAdmin = useCurrentUser().role === "admin";
  return (
    <EmptyState title={title}>
      <p>
        An admin can add one in {isAdmin ? <Link to="/admin/settings">Settings</Link> : "Settings"}.
      </p>
    </EmptyState>
  );
}
