/**
 * JSON for documents that are rewritten whole but change by one part at a time. Journal
 * entries and cached cards are immutable once sealed, so each one's JSON is computed
 * once and kept (WeakMap: freed with the object); a rewrite then costs a string join
 * instead of serialising hundreds of records again (bench/README.md).
 */
import type { CardCacheDoc, JournalHead } from "./journal-state.js";

const memo = new WeakMap<object, string>();

/** JSON of an object that is never mutated after this call. */
export function frozenJson(value: object): string {
  let json = memo.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    memo.set(value, json);
  }
  return json;
}

function recordJson(record: Record<string, object>): string {
  const parts: string[] = [];
  for (const key in record) parts.push(`${JSON.stringify(key)}:${frozenJson(record[key]!)}`);
  return `{${parts.join(",")}}`;
}

/** The same text as JSON.stringify(head), built from the memoised cards of the overlay. */
export function journalHeadJson(head: JournalHead): string {
  const { cardOverlay, ...rest } = head;
  return `${JSON.stringify(rest).slice(0, -1)},"cardOverlay":${recordJson(cardOverlay)}}`;
}

export function cardCacheJson(doc: CardCacheDoc): string {
  return `{"format":${doc.format},"cards":${recordJson(doc.cards)}}`;
}
