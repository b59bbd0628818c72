import { useState, type CSSProperties } from "react";
import { ConfirmAction } from "../../../components/ConfirmAction";
import { TextField } from "../../../components/Field";
import { EmptyState, ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useCreateTag, useDeleteTag, useTags, useUpdateTag, type Tag } from "../api/tags";
import styles from "./tags.module.css";

const DEFAULT_COLOUR = "#6b7280";

function TagForm({
  label,
  initial,
  submitLabel,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  label: string;
  initial: { name: string; colour: string };
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (tag: { name: string; colour: string }, reset: () => void) => void;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(initial.name);
  const [colour, setColour] = useState(initial.colour);
  return (
    <form
      className={onCancel ? "inline-card form" : "card form"}
      aria-label={label}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit({ name: name.trim(), colour }, () => {
          setName("");
          setColour(DEFAULT_COLOUR);
        });
      }}
    >
      {onCancel ? null : <h2>{label}</h2>}
      <TextField
        label="Name"
        required
        maxLength={40}
        value={name}
        hint="Up to 40 characters, no commas. Names are unique whatever their case."
        onChange={(event) => {
          setName(event.target.value);
        }}
      />
      <TextField
        label="Colour"
        type="color"
        value={colour}
        onChange={(event) => {
          setColour(event.target.value);
        }}
      />
      {error ? <InlineError>{errorMessage(error)}</InlineError> : null}
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

function TagRow({ tag }: { tag: Tag }) {
  const update = useUpdateTag();
  const remove = useDeleteTag();
  const [editing, setEditing] = useState(false);
  return (
    <li className="admin-row">
      <div className="admin-row-main">
        <div className="admin-row-text">
          <p className="admin-row-title">
            <span className={styles.swatch} style={{ "--tag-colour": tag.colour } as CSSProperties} aria-hidden="true" />{" "}
            {tag.name} <span className="muted">{tag.colour}</span>
          </p>
        </div>
        <div className="admin-row-actions">
          <button
            type="button"
            className="button button-small"
            aria-expanded={editing}
            aria-label={`Edit ${tag.name}`}
            onClick={() => {
              setEditing(!editing);
            }}
          >
            Edit
          </button>
          <ConfirmAction
            verb="Delete"
            subject={tag.name}
            pending={remove.isPending}
            onConfirm={() => {
              remove.mutate(tag.id);
            }}
          />
        </div>
      </div>
      {remove.isError ? <InlineError>{errorMessage(remove.error)}</InlineError> : null}
      {editing ? (
        <TagForm
          label={`Edit ${tag.name}`}
          initial={tag}
          submitLabel="Save"
          pending={update.isPending}
          error={update.error}
          onSubmit={(changed) => {
            update.mutate(
              { id: tag.id, update: changed },
              {
                onSuccess: () => {
                  setEditing(false);
                },
              },
            );
          }}
          onCancel={() => {
            setEditing(false);
          }}
        />
      ) : null}
    </li>
  );
}

/** `/admin/tags`: the tags agents put on tickets, with their colours. Deleting one takes it off every ticket. */
export default function TagsPage() {
  const tags = useTags();
  const create = useCreateTag();
  return (
    <div className="page">
      <h1>Tags</h1>
      <TagForm
        label="Add a tag"
        initial={{ name: "", colour: DEFAULT_COLOUR }}
        submitLabel="Add tag"
        pending={create.isPending}
        error={create.error}
        onSubmit={(tag, reset) => {
          create.mutate(tag, { onSuccess: reset });
        }}
      />
      <section aria-labelledby="tags-heading">
        <h2 id="tags-heading">All tags</h2>
        {tags.isPending ? (
          <Loading label="Loading tags…" />
        ) : tags.isError ? (
          <ErrorState message={errorMessage(tags.error)} onRetry={() => void tags.refetch()} />
        ) : tags.data.tags.length === 0 ? (
          <EmptyState title="No tags yet." />
        ) : (
          <ul className="admin-list">
            {tags.data.tags.map((tag) => (
              <TagRow key={tag.id} tag={tag} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
