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

/** Cards serialised and encoded per slice; between slices the event loop runs. */
const SLICE = 2_000;

/**
 * The bytes of JSON.stringify(doc), built a slice of cards at a time with the event loop
 * free in between. With 100k cards the text is ~30 MB: building and encoding it in one go
 * held the event loop for ~0.4 s, and any sale committing meanwhile waited for it
 * (bench/README.md, "refresh in flight"). What is left in one piece is a memcpy.
 */
export async function cardCacheBytes(doc: CardCacheDoc): Promise<Uint8Array> {
  const ids = Object.keys(doc.cards);
  const chunks: Buffer[] = [Buffer.from(`{"format":${doc.format},"cards":{`)];
  for (let i = 0; i < ids.length; i += SLICE) {
    const parts: string[] = [];
    for (const id of ids.slice(i, i + SLICE)) parts.push(`${JSON.stringify(id)}:${frozenJson(doc.cards[id]!)}`);
    chunks.push(Buffer.from(`${i === 0 ? "" : ","}${parts.join(",")}`));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  chunks.push(Buffer.from("}}"));
  return Buffer.concat(chunks);
}
