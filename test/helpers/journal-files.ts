/**
 * Reading and editing a terminal's journal files behind the ledger's back, as an attacker
 * or a failing disk would (tamper and ledger tests). journal.log is a 512-byte header of
 * attestation slots followed by one JSON entry per line (agent/journal/journal-log.ts).
 */
import { readFile, writeFile } from "node:fs/promises";
import { HEADER_BYTES } from "../../agent/journal/journal-log.js";
import type { JournalHead } from "../../agent/journal/journal-state.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";

export async function readLog(dir: string): Promise<{ header: string; entries: JournalEntry[] }> {
  const text = await readFile(`${dir}/journal.log`, "utf8");
  const body = text.slice(HEADER_BYTES);
  const entries = body
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as JournalEntry);
  return { header: text.slice(0, HEADER_BYTES), entries };
}

/** Change the entry lines; the header (slots) stays byte for byte as it was. */
export async function editLog(dir: string, change: (entries: JournalEntry[]) => void): Promise<void> {
  const { header, entries } = await readLog(dir);
  change(entries);
  await writeFile(`${dir}/journal.log`, header + entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
}

export async function readHead(dir: string): Promise<JournalHead> {
  return JSON.parse(await readFile(`${dir}/journal.json`, "utf8")) as JournalHead;
}

export async function editHead(dir: string, change: (head: JournalHead) => void): Promise<void> {
  const head = await readHead(dir);
  change(head);
  await writeFile(`${dir}/journal.json`, JSON.stringify(head));
}

export function entryAt(entries: JournalEntry[], seq: number): JournalEntry {
  const e = entries.find((x) => x.seq === seq);
  if (!e) throw new Error(`no entry #${seq}`);
  return e;
}
