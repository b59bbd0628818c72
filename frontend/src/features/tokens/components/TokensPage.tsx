import { useId, useRef, useState } from "react";
import { ConfirmAction } from "../../../components/ConfirmAction";
import { SelectField, TextField } from "../../../components/Field";
import { EmptyState, ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { formatDateTime } from "../../../lib/format";
import { useUsers } from "../../users/api/users";
import { useCreateToken, useDeleteToken, useTokens, type ApiToken, type CreatedToken } from "../api/tokens";

/** The secret of a token just created: shown this once, with a copy button. */
function NewTokenSecret({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "manual" | null>(null);
  const id = useId();
  return (
    <div className="card secret-card" role="region" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Token “{token.name}” created</h2>
      <p>Copy it now: it is not shown again. Send it as <code>Authorization: Bearer …</code>.</p>
      <div className="secret-row">
        <label htmlFor={id} className="visually-hidden">
          New API token
        </label>
        <input id={id} ref={input} readOnly value={token.token} className="secret-value" onFocus={(event) => { event.currentTarget.select(); }} />
        <button
          type="button"
          className="button button-primary"
          onClick={() => {
            // The Clipboard API needs a secure context (https or localhost); elsewhere select it for Ctrl+C.
            navigator.clipboard.writeText(token.token).then(
              () => {
                setCopied("yes");
              },
              () => {
                input.current?.select();
                setCopied("manual");
              },
            );
          }}
        >
          Copy
        </button>
      </div>
      <p role="status" className={copied === "yes" ? "success" : "muted"}>
        {copied === "yes" ? "Copied to the clipboard." : copied === "manual" ? "Press Ctrl+C (⌘C) to copy the selected token." : ""}
      </p>
      <button type="button" className="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const create = useCreateToken();
  const users = useUsers();
  const [name, setName] = useState("");
  const [userId, setUserId] = useState("");
  return (
    <form
      className="card form"
      aria-label="Create an API token"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate(
          { name: name.trim(), user_id: userId ? Number(userId) : null },
          {
            onSuccess: (token) => {
              setName("");
              onCreated(token);
            },
          },
        );
      }}
    >
      <h2>Create a token</h2>
      <div className="form-grid">
        <TextField label="Token name" required value={name} placeholder="CRM sync" hint="What the token is for." onChange={(event) => { setName(event.target.value); }} />
        <SelectField label="Acts as" value={userId} onChange={(event) => { setUserId(event.target.value); }}>
          <option value="">Me</option>
          {(users.data ?? [])
            .filter((user) => user.active)
            .map((user) => (
              <option key={user.id} value={user.id}>
                {user.name} ({user.email})
              </option>
            ))}
        </SelectField>
      </div>
      {create.isError ? <InlineError>{errorMessage(create.error)}</InlineError> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          Create token
        </button>
      </div>
    </form>
  );
}

function TokenRow({ token }: { token: ApiToken }) {
  const remove = useDeleteToken();
  return (
    <li className="admin-row">
      <div className="admin-row-main">
        <div>
          <p className="admin-row-title">{token.name}</p>
          <p className="muted">
            Acts as {token.user_email} · created {formatDateTime(token.created_at)} ·{" "}
            {token.last_used_at ? `last used ${formatDateTime(token.last_used_at)}` : "never used"}
          </p>
        </div>
        <div className="admin-row-actions">
          <ConfirmAction
            verb="Revoke"
            subject={token.name}
            question={`Revoke “${token.name}”?`}
            pending={remove.isPending}
            onConfirm={() => {
              remove.mutate(token.id);
            }}
          />
        </div>
      </div>
      {remove.isError ? <InlineError>{errorMessage(remove.error)}</InlineError> : null}
    </li>
  );
}

/** `/admin/tokens`: API tokens for integrations. */
export default function TokensPage() {
  const tokens = useTokens();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  return (
    <div className="page">
      <h1>API tokens</h1>
      <p className="muted">Tokens let other systems use the API as a user. Revoking one stops it at once.</p>
      {created ? <NewTokenSecret token={created} onDone={() => { setCreated(null); }} /> : null}
      <CreateTokenForm onCreated={setCreated} />
      <section aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens</h2>
        {tokens.isPending ? (
          <Loading label="Loading tokens…" />
        ) : tokens.isError ? (
          <ErrorState message={errorMessage(tokens.error)} onRetry={() => void tokens.refetch()} />
        ) : tokens.data.length === 0 ? (
          <EmptyState title="No API tokens yet." />
        ) : (
          <ul className="admin-list">
            {tokens.data.map((token) => (
              <TokenRow key={token.id} token={token} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
