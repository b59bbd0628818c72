// Marks what a search matched in the queue's rows, the way the server matches (domain/search.rs): message words
// by prefix at the start of a word, contact names anywhere, phone numbers by their digits whatever the formatting.
// Always React text nodes inside <mark>: the user's text is never parsed as markup.
import type { ReactNode } from "react";

type Range = readonly [start: number, end: number];

const MAX_WORDS = 8;

/** The search's words, as the server splits them (letters and digits only). */
export function searchWords(search: string): string[] {
  return search
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "")
    .slice(0, MAX_WORDS);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Where any of `words` starts a word of `text` (case-insensitive), as the full-text search matches prefixes. */
function wordPrefixRanges(text: string, words: readonly string[]): Range[] {
  if (words.length === 0) return [];
  const longestFirst = [...words].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${longestFirst.join("|")})`, "giu");
  return [...text.matchAll(pattern)].map((match) => [match.index, match.index + match[0].length] as const);
}

/** Where `needle` appears in `text`, anywhere (case-insensitive), as contact names are matched. */
function substringRanges(text: string, needle: string): Range[] {
  if (needle === "") return [];
  const pattern = new RegExp(escapeRegExp(needle), "giu");
  return [...text.matchAll(pattern)].map((match) => [match.index, match.index + match[0].length] as const);
}

/** Where the search's digits run in `text` (a formatted number: "+1 415-555-0123"), skipping the formatting. */
function digitRanges(text: string, search: string): Range[] {
  const looksLikeNumber = /^[\d+\-(). ]+$/.test(search);
  const digits = search.replace(/\D/g, "");
  if (!looksLikeNumber || digits.length < 3) return [];
  const positions: number[] = [];
  let textDigits = "";
  for (let index = 0; index < text.length; index++) {
    const character = text.charAt(index);
    if (/\d/.test(character)) {
      positions.push(index);
      textDigits += character;
    }
  }
  const ranges: Range[] = [];
  for (let at = textDigits.indexOf(digits); at !== -1; at = textDigits.indexOf(digits, at + digits.length)) {
    const start = positions[at];
    const end = positions[at + digits.length - 1];
    if (start !== undefined && end !== undefined) ranges.push([start, end + 1]);
  }
  return ranges;
}

function merged(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

export type MatchKind = "words" | "name" | "number";

/** The parts of `text` a search for `search` matched. */
export function matchRanges(text: string, search: string, kind: MatchKind): Range[] {
  const query = search.trim();
  if (query === "") return [];
  switch (kind) {
    case "words":
      return merged(wordPrefixRanges(text, searchWords(query)));
    case "name":
      return merged([...substringRanges(text, query), ...wordPrefixRanges(text, searchWords(query))]);
    case "number":
      return merged(digitRanges(text, query));
  }
}

/** `text` with what `search` matched in <mark>. */
export function Highlight({ text, search, kind }: { text: string; search: string; kind: MatchKind }) {
  const ranges = matchRanges(text, search, kind);
  if (ranges.length === 0) return <>{text}</>;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) parts.push(text.slice(at, start));
    parts.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
