import { plural } from "../../../lib/format";
import type { SegmentCount } from "../api/segments";

const NAMED_CHARACTERS: Record<string, string> = {
  "\u00a0": "non-breaking space",
  "\u2009": "thin space",
  "\u200b": "zero-width space",
  "\u202f": "narrow no-break space",
  "\t": "tab",
};

/** A character as a person can recognise it in a sentence: itself, or its name when it is invisible. */
export function describeCharacter(character: string): string {
  const named = NAMED_CHARACTERS[character];
  if (named) return named;
  if (/^[\s\p{C}]$/u.test(character)) {
    return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return character;
}

/** What the draft costs: SMS segments, encoding and room left, as the server counts it. */
export function SegmentMeter({ count, pending, id }: { count: SegmentCount | undefined; pending: boolean; id?: string }) {
  if (!count) {
    return (
      <p className="segment-meter muted" id={id}>
        {pending ? "Counting…" : "0 segments"}
      </p>
    );
  }
  return (
    <p className={pending ? "segment-meter is-stale" : "segment-meter"} id={id}>
      <span className="segment-count">{plural(count.segments, "segment")}</span>
      <span className={count.encoding === "UCS-2" ? "encoding encoding-ucs2" : "encoding"}>{count.encoding}</span>
      <span>{plural(count.characters, "character")}</span>
      <span>{count.units_left_in_segment} left in this segment</span>
    </p>
  );
}

/**
 * Names the characters that force UCS-2 (fewer characters per segment), and offers to swap typographic
 * punctuation for plain characters when that is enough to get back to GSM-7.
 */
export function Ucs2Warning({ count, onSwap, swapDisabled }: { count: SegmentCount; onSwap: () => void; swapDisabled: boolean }) {
  const characters = count.non_gsm_characters;
  if (count.encoding !== "UCS-2" || characters.length === 0) return null;
  return (
    <div className="ucs2-warning" role="status">
      <p>
        {characters.length === 1 ? "This character is" : "These characters are"} not in the GSM-7 alphabet:{" "}
        {characters.map((character, index) => (
          <span key={character}>
            {index > 0 ? " " : ""}
            <span className="char">{describeCharacter(character)}</span>
          </span>
        ))}
        . The text goes out as UCS-2: 70 characters per segment instead of 160.
      </p>
      {count.gsm_alternative !== null ? (
        <button type="button" className="button button-small" onClick={onSwap} disabled={swapDisabled}>
          Use plain quotes and dashes
        </button>
      ) : null}
    </div>
  );
}
