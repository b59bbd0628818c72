import { useState } from "react";
import { ConfirmAction } from "../../../components/ConfirmAction";
import { CheckboxField, SelectField, TextField } from "../../../components/Field";
import { EmptyState, ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useTeam } from "../../tickets/api/team";
import {
  ASSIGNMENT_POLICY_LABELS,
  useCreateInbox,
  useDeleteInbox,
  useInboxes,
  useUpdateInbox,
  type AssignmentPolicy,
  type Inbox,
} from "../api/inboxes";

/** Checkboxes for the team's active people: an inbox's members. */
function MembersPicker({ value, onChange }: { value: number[]; onChange: (members: number[]) => void }) {
  const team = useTeam();
  const people = (team.data ?? []).filter((member) => member.active);
  return (
    <fieldset className="members-picker">
      <legend>Members</legend>
      <p className="field-hint">Only members see the inbox&apos;s tickets. With no members, everyone does.</p>
      {people.map((member) => (
        <CheckboxField
          key={member.id}
          label={member.name}
          checked={value.includes(member.id)}
          onChange={(event) => {
            onChange(event.target.checked ? [...value, member.id] : value.filter((id) => id !== member.id));
          }}
        />
      ))}
    </fieldset>
  );
}

function PolicySelect({ value, onChange }: { value: AssignmentPolicy; onChange: (policy: AssignmentPolicy) => void }) {
  return (
    <SelectField
      label="Assignment"
      value={value}
      hint="Round robin hands each new ticket to the member who waited longest for one, skipping those who are away."
      onChange={(event) => {
        onChange(event.target.value as AssignmentPolicy);
      }}
    >
      <option value="manual">{ASSIGNMENT_POLICY_LABELS.manual}</option>
      <option value="round_robin">{ASSIGNMENT_POLICY_LABELS.round_robin}</option>
    </SelectField>
  );
}

function AddInboxForm() {
  const create = useCreateInbox();
  const [number, setNumber] = useState("");
  const [name, setName] = useState("");
  const [members, setMembers] = useState<number[]>([]);
  const [policy, setPolicy] = useState<AssignmentPolicy>("manual");
  const [added, setAdded] = useState<string | null>(null);
  return (
    <form
      className="card form"
      aria-label="Add an inbox"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate(
          { number: number.trim(), name: name.trim(), members, assignment_policy: policy },
          {
            onSuccess: (inbox) => {
              setAdded(inbox.name);
              setNumber("");
              setName("");
              setMembers([]);
              setPolicy("manual");
            },
          },
        );
      }}
    >
      <h2>Add an inbox</h2>
      <p className="muted">A number gets its inbox by itself when a customer first texts it; add one here to set it up ahead.</p>
      <div className="form-grid">
        <TextField label="Number of ours" required value={number} placeholder="+14155550100" onChange={(event) => { setNumber(event.target.value); }} />
        <TextField label="Name" required maxLength={60} value={name} placeholder="Support" onChange={(event) => { setName(event.target.value); }} />
        <PolicySelect value={policy} onChange={setPolicy} />
      </div>
      <MembersPicker value={members} onChange={setMembers} />
      {create.isError ? <InlineError>{errorMessage(create.error)}</InlineError> : null}
      {added && !create.isError ? <p role="status" className="success">Added {added}.</p> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Add inbox
        </button>
      </div>
    </form>
  );
}

function EditInboxForm({ inbox, onDone }: { inbox: Inbox; onDone: () => void }) {
  const update = useUpdateInbox();
  const [name, setName] = useState(inbox.name);
  const [members, setMembers] = useState<number[]>(inbox.members);
  const [policy, setPolicy] = useState<AssignmentPolicy>(inbox.assignment_policy);
  return (
    <form
      className="inline-card form"
      aria-label={`Edit ${inbox.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate(
          { number: inbox.number, update: { name: name.trim(), members, assignment_policy: policy } },
          { onSuccess: onDone },
        );
      }}
    >
      <div className="form-grid">
        <TextField label="Name" required maxLength={60} value={name} onChange={(event) => { setName(event.target.value); }} />
        <PolicySelect value={policy} onChange={setPolicy} />
      </div>
      <MembersPicker value={members} onChange={setMembers} />
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

function InboxRow({ inbox, memberNames }: { inbox: Inbox; memberNames: string }) {
  const [editing, setEditing] = useState(false);
  const remove = useDeleteInbox();
  return (
    <li className="admin-row">
      <div className="admin-row-main">
        <div>
          <p className="admin-row-title">{inbox.name}</p>
          <p className="muted">
            {inbox.display} · {memberNames || "Everyone (no members)"}
          </p>
        </div>
        <span className="badge badge-muted">{inbox.assignment_policy === "round_robin" ? "Round robin" : "Manual"}</span>
        <div className="admin-row-actions">
          <button
            type="button"
            className="button button-small"
            aria-expanded={editing}
            aria-label={`Edit ${inbox.name}`}
            onClick={() => {
              setEditing(!editing);
            }}
          >
            Edit
          </button>
          <ConfirmAction
            verb="Delete"
            subject={inbox.name}
            pending={remove.isPending}
            onConfirm={() => {
              remove.mutate(inbox.number);
            }}
          />
        </div>
      </div>
      {remove.isError ? <InlineError>{errorMessage(remove.error)}</InlineError> : null}
      {editing ? <EditInboxForm inbox={inbox} onDone={() => { setEditing(false); }} /> : null}
    </li>
  );
}

/** `/admin/inboxes`: each number of ours, its name, members and assignment policy. */
export default function InboxesPage() {
  const inboxes = useInboxes();
  const team = useTeam();
  const nameOf = (id: number) => team.data?.find((member) => member.id === id)?.name ?? `User ${id}`;
  return (
    <div className="page">
      <h1>Inboxes</h1>
      <AddInboxForm />
      <section aria-labelledby="inboxes-heading">
        <h2 id="inboxes-heading">Inboxes</h2>
        {inboxes.isPending ? (
          <Loading label="Loading inboxes…" />
        ) : inboxes.isError ? (
          <ErrorState message={errorMessage(inboxes.error)} onRetry={() => void inboxes.refetch()} />
        ) : inboxes.data.length === 0 ? (
          <EmptyState title="No inboxes yet. A number gets one when a customer first texts it." />
        ) : (
          <ul className="admin-list">
            {inboxes.data.map((inbox) => (
              <InboxRow key={inbox.number} inbox={inbox} memberNames={inbox.members.map(nameOf).join(", ")} />
            ))}
          </ul>
        )}
      </section>
      <p className="muted">
        An inbox whose number has tickets cannot be deleted; remove its members to share it with everyone.
      </p>
    </div>
  );
}
