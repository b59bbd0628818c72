import { useId, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import { InlineError } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { formatPhoneNumber } from "../../../lib/format";
import { usePostMessage } from "../../tickets/api/messages";
import type { Ticket } from "../../tickets/api/tickets";
import { useCannedRepliesForTicket } from "../api/canned-replies";
import { useSegmentCount } from "../api/segments";
import { SegmentMeter, Ucs2Warning } from "./SegmentMeter";

// Unsent drafts, per ticket, for as long as the page is open (moving between tickets keeps them).
const drafts = new Map<number, string>();

function isSendShortcut(event: KeyboardEvent) {
  return event.key === "Enter" && (event.ctrlKey || event.metaKey);
}

/**
 * Writes a reply (an SMS to the customer) or an internal note. Shows what the reply costs in SMS segments and
 * its encoding as the server counts it, warns about characters that force UCS-2, inserts canned replies, and
 * sends with Ctrl/Cmd+Enter. Replies to a customer who opted out are blocked (notes are not).
 */
export function Composer({
  ticket,
  textareaRef,
  onLeave,
}: {
  ticket: Ticket;
  textareaRef?: RefObject<HTMLTextAreaElement | null>;
  /** Escape in the text box: where the keyboard focus should go instead. */
  onLeave?: () => void;
}) {
  const ownRef = useRef<HTMLTextAreaElement>(null);
  const textRef = textareaRef ?? ownRef;
  const [draft, setDraftState] = useState(() => drafts.get(ticket.id) ?? "");
  const [internal, setInternal] = useState(false);
  const post = usePostMessage(ticket.id);
  const canned = useCannedRepliesForTicket(ticket.id);
  const body = draft.trim();
  const segments = useSegmentCount(body, !internal);
  const blocked = !internal && ticket.opted_out;
  const canSend = body.length > 0 && !blocked && !post.isPending;
  const ids = { text: useId(), meter: useId(), blocked: useId(), canned: useId(), noteHint: useId() };

  function setDraft(text: string) {
    setDraftState(text);
    if (text) drafts.set(ticket.id, text);
    else drafts.delete(ticket.id);
  }

  function send() {
    if (!canSend) return;
    post.mutate(
      { body, internal },
      {
        onSuccess: () => {
          setDraft("");
        },
      },
    );
  }

  function insert(text: string) {
    const textarea = textRef.current;
    if (!textarea) {
      setDraft(draft ? `${draft} ${text}` : text);
      return;
    }
    const start = textarea.selectionStart;
    const end = textarea.selectionEnd;
    const next = draft.slice(0, start) + text + draft.slice(end);
    setDraft(next);
    requestAnimationFrame(() => {
      textarea.focus();
      textarea.setSelectionRange(start + text.length, start + text.length);
    });
  }

  const label = internal ? "Internal note" : "Reply";
  const count = segments.count;
  const countIsForDraft = !segments.pending;

  return (
    <form
      className={internal ? "composer is-note" : "composer"}
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <div className="composer-bar">
        <button
          type="button"
          className="toggle"
          aria-pressed={internal}
          onClick={() => {
            setInternal(!internal);
          }}
        >
          Internal note
        </button>
        {canned.data && canned.data.length > 0 ? (
          <div className="canned-picker">
            <label htmlFor={ids.canned} className="visually-hidden">
              Canned text
            </label>
            <select
              id={ids.canned}
              value=""
              onChange={(event) => {
                const reply = canned.data.find((item) => String(item.id) === event.target.value);
                if (reply) insert(reply.rendered ?? reply.body);
              }}
            >
              <option value="">Insert canned reply…</option>
              {canned.data.map((reply) => (
                <option key={reply.id} value={reply.id}>
                  {reply.title}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {blocked ? (
        <p className="blocked-notice" id={ids.blocked} role="alert">
          Replies are blocked: this customer texted STOP to {formatPhoneNumber(ticket.channel_number)} and has opted
          out. They can text START to opt back in. You can still leave an internal note.
        </p>
      ) : null}
      <div className="composer-label-row">
        <label htmlFor={ids.text} className="composer-label">
          {label}
        </label>
        {internal ? (
          <span className="composer-label-hint" id={ids.noteHint}>
            Only your team sees it
          </span>
        ) : null}
      </div>
      <textarea
        id={ids.text}
        ref={textRef}
        className="composer-text"
        rows={3}
        value={draft}
        maxLength={1600}
        aria-describedby={[blocked ? ids.blocked : "", internal ? ids.noteHint : ids.meter].filter(Boolean).join(" ")}
        placeholder={internal ? "Leave a note for your team…" : "Write a text message…"}
        onChange={(event) => {
          setDraft(event.target.value);
        }}
        onKeyDown={(event) => {
          if (isSendShortcut(event)) {
            event.preventDefault();
            send();
          } else if (event.key === "Escape") {
            event.preventDefault();
            event.currentTarget.blur();
            onLeave?.();
          }
        }}
      />
      {!internal && count ? (
        <Ucs2Warning
          count={count}
          swapDisabled={!countIsForDraft}
          onSwap={() => {
            if (count.gsm_alternative !== null) setDraft(count.gsm_alternative);
          }}
        />
      ) : null}
      {post.isError ? <InlineError>{errorMessage(post.error)}</InlineError> : null}
      <div className="composer-foot">
        {internal ? (
          <p className="muted composer-hint">Notes are never texted to the customer.</p>
        ) : (
          <SegmentMeter id={ids.meter} count={count} pending={segments.pending} />
        )}
        <span className="muted composer-hint kbd-hint">
          <kbd>Ctrl</kbd>+<kbd>Enter</kbd> to send
        </span>
        <button type="submit" className={internal ? "button button-note" : "button button-primary"} disabled={!canSend}>
          Send
        </button>
      </div>
    </form>
  );
}
