import { useState } from "react";
import { SelectField, TextField } from "../../../components/Field";
import { EmptyState, ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage, type Schemas } from "../../../lib/api-client";
import { useCurrentUser } from "../../auth/api/session";
import { useCreateUser, useUpdateUser, useUsers, type User } from "../api/users";

type Role = Schemas["Role"];
const ROLE_LABELS: Record<Role, string> = { agent: "Agent", admin: "Admin" };

function AddUserForm() {
  const create = useCreateUser();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("agent");
  const [password, setPassword] = useState("");
  const [added, setAdded] = useState<string | null>(null);
  return (
    <form
      className="card form"
      aria-label="Add a user"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate(
          { name: name.trim(), email: email.trim(), role, password: password || null },
          {
            onSuccess: (user) => {
              setAdded(user.name);
              setName("");
              setEmail("");
              setPassword("");
              setRole("agent");
            },
          },
        );
      }}
    >
      <h2>Add a user</h2>
      <div className="form-grid">
        <TextField label="Name" required value={name} onChange={(event) => { setName(event.target.value); }} />
        <TextField label="Email" type="email" required autoComplete="off" value={email} onChange={(event) => { setEmail(event.target.value); }} />
        <SelectField label="Role" value={role} onChange={(event) => { setRole(event.target.value as Role); }}>
          <option value="agent">Agent</option>
          <option value="admin">Admin</option>
        </SelectField>
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          value={password}
          hint="At least 10 characters. Leave empty for a user who only uses API tokens for now."
          onChange={(event) => { setPassword(event.target.value); }}
        />
      </div>
      {create.isError ? <InlineError>{errorMessage(create.error)}</InlineError> : null}
      {added && !create.isError ? <p role="status" className="success">Added {added}.</p> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Add user
        </button>
      </div>
    </form>
  );
}

function EditUserForm({ user, onDone }: { user: User; onDone: () => void }) {
  const update = useUpdateUser();
  const [name, setName] = useState(user.name);
  const [role, setRole] = useState<Role>(user.role);
  const [password, setPassword] = useState("");
  return (
    <form
      className="inline-card form"
      aria-label={`Edit ${user.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate(
          {
            id: user.id,
            update: {
              ...(name.trim() !== user.name ? { name: name.trim() } : {}),
              ...(role !== user.role ? { role } : {}),
              ...(password ? { password } : {}),
            },
          },
          { onSuccess: onDone },
        );
      }}
    >
      <div className="form-grid">
        <TextField label="Name" required value={name} onChange={(event) => { setName(event.target.value); }} />
        <SelectField label="Role" value={role} onChange={(event) => { setRole(event.target.value as Role); }}>
          <option value="agent">Agent</option>
          <option value="admin">Admin</option>
        </SelectField>
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          value={password}
          hint="Leave empty to keep the current one. A new password signs the user out of their browsers."
          onChange={(event) => { setPassword(event.target.value); }}
        />
      </div>
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={update.isPending}>
          Save
        </button>
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function UserRow({ user, isSelf }: { user: User; isSelf: boolean }) {
  const [editing, setEditing] = useState(false);
  const update = useUpdateUser();
  return (
    <li className={user.active ? "admin-row" : "admin-row is-inactive"}>
      <div className="admin-row-main">
        <div>
          <p className="admin-row-title">
            {user.name}
            {isSelf ? <span className="muted"> (you)</span> : null}
          </p>
          <p className="muted">{user.email}</p>
        </div>
        <span className="badge badge-muted">{ROLE_LABELS[user.role]}</span>
        {user.active ? null : <span className="badge badge-danger">Deactivated</span>}
        <div className="admin-row-actions">
          <button
            type="button"
            className="button button-small"
            aria-expanded={editing}
            aria-label={`Edit ${user.name}`}
            onClick={() => {
              setEditing(!editing);
            }}
          >
            Edit
          </button>
          {isSelf ? null : (
            <button
              type="button"
              className={user.active ? "button button-small button-danger" : "button button-small"}
              disabled={update.isPending}
              aria-label={`${user.active ? "Deactivate" : "Reactivate"} ${user.name}`}
              onClick={() => {
                update.mutate({ id: user.id, update: { active: !user.active } });
              }}
            >
              {user.active ? "Deactivate" : "Reactivate"}
            </button>
          )}
        </div>
      </div>
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
      {editing ? <EditUserForm user={user} onDone={() => { setEditing(false); }} /> : null}
    </li>
  );
}

/** `/admin/users`: add people, rename them, change roles and passwords, deactivate and reactivate. */
export default function UsersPage() {
  const me = useCurrentUser();
  const users = useUsers();
  return (
    <div className="page">
      <h1>Users</h1>
      <AddUserForm />
      <section aria-labelledby="users-heading">
        <h2 id="users-heading">Team</h2>
        {users.isPending ? (
          <Loading label="Loading users…" />
        ) : users.isError ? (
          <ErrorState message={errorMessage(users.error)} onRetry={() => void users.refetch()} />
        ) : users.data.length === 0 ? (
          <EmptyState title="No users yet." />
        ) : (
          <ul className="admin-list">
            {users.data.map((user) => (
              <UserRow key={user.id} user={user} isSelf={user.id === me.id} />
            ))}
          </ul>
        )}
      </section>
      <p className="muted">
        Deactivated users can neither sign in nor use their API tokens; reactivating restores both.
      </p>
    </div>
  );
}
