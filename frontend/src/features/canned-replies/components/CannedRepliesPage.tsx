import { useState } from "react";
import { ConfirmAction } from "../../../components/ConfirmAction";
import { TextAreaField, TextField } from "../../../components/Field";
import { EmptyState, ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage, fieldError } from "../../../lib/api-client";
import {
  useCannedReplies,
  useCreateCannedReply,
  useDeleteCannedReply,
  useUpdateCannedReply,
  type CannedReply,
} from "../api/canned-replies";

const PLACEHOLDER_HINT =
  "{ticket_id}, {contact_name} ({contact_name|there} for customers without a name), {business_name} and {agent_name} are filled in when an agent inserts the reply. Write {{ for a literal {.";

function CannedReplyForm({
  label,
  initial,
  submitLabel,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  label: string;
  initial: { title: string; body: string };
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (reply: { title: string; body: string }, reset: () => void) => void;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(initial.title);
  const [body, setBody] = useState(initial.body);
  const bodyError = fieldError(error, "body");
  return (
    <form
      className={onCancel ? "inline-card form" : "card form"}
      aria-label={label}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit({ title: title.trim(), body }, () => {
          setTitle("");
          setBody("");
        });
      }}
    >
      {onCancel ? null : <h2>{label}</h2>}
      <TextField label="Title" required maxLength={100} value={title} onChange={(event) => { setTitle(event.target.value); }} />
      <TextAreaField label="Body" required rows={4} maxLength={1600} value={body} hint={PLACEHOLDER_HINT} error={bodyError} onChange={(event) => { setBody(event.target.value); }} />
      {error && bodyError === undefined ? <InlineError>{errorMessage(error)}</InlineError> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function CannedReplyRow({ reply }: { reply: CannedReply }) {
  const update = useUpdateCannedReply();
  const remove = useDeleteCannedReply();
  const [editing, setEditing] = useState(false);
  return (
    <li className="admin-row">
      <div className="admin-row-main">
        <div className="admin-row-text">
          <p className="admin-row-title">{reply.title}</p>
          <p className="canned-body">{reply.body}</p>
        </div>
        <div className="admin-row-actions">
          <button
            type="button"
            className="button button-small"
            aria-expanded={editing}
            aria-label={`Edit ${reply.title}`}
            onClick={() => {
              setEditing(!editing);
            }}
          >
            Edit
          </button>
          <ConfirmAction
            verb="Delete"
            subject={reply.title}
            pending={remove.isPending}
            onConfirm={() => {
              remove.mutate(reply.id);
            }}
          />
        </div>
      </div>
      {remove.isError ? <InlineError>{errorMessage(remove.error)}</InlineError> : null}
      {editing ? (
        <CannedReplyForm
          label={`Edit ${reply.title}`}
          initial={reply}
          submitLabel="Save"
          pending={update.isPending}
          error={update.error}
          onSubmit={(changed) => {
            update.mutate({ id: reply.id, update: changed }, { onSuccess: () => { setEditing(false); } });
          }}
          onCancel={() => { setEditing(false); }}
        />
      ) : null}
    </li>
  );
}

/** `/admin/canned-replies`: the texts agents insert with one click. */
export default function CannedRepliesPage() {
  const replies = useCannedReplies();
  const create = useCreateCannedReply();
  return (
    <div className="page">
      <h1>Canned replies</h1>
      <CannedReplyForm
        label="Add a canned reply"
        initial={{ title: "", body: "" }}
        submitLabel="Add canned reply"
        pending={create.isPending}
        error={create.error}
        onSubmit={(reply, reset) => {
          create.mutate(reply, { onSuccess: reset });
        }}
      />
      <section aria-labelledby="canned-heading">
        <h2 id="canned-heading">Replies</h2>
        {replies.isPending ? (
          <Loading label="Loading canned replies…" />
        ) : replies.isError ? (
          <ErrorState message={errorMessage(replies.error)} onRetry={() => void replies.refetch()} />
        ) : replies.data.length === 0 ? (
          <EmptyState title="No canned replies yet." />
        ) : (
          <ul className="admin-list">
            {replies.data.map((reply) => (
              <CannedReplyRow key={reply.id} reply={reply} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
