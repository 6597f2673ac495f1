/**
 * Reading the journal at start-up: journal.json (the head) and journal.log (the
 * entries), verified together into the ledger's in-memory document. Pure reading — the
 * repairs a power cut calls for (cutting a torn tail, migrating format 1) are said in
 * `repair` and left to a ledger that writes, so `cardterm journal verify` can read the
 * files while the agent runs.
 */
import { isCardtermError } from "../../protocol/errors.js";
import { GENESIS_HASH } from "../../protocol/journal-entry.js";
import type { DurableFs } from "../store/durable-file.js";
import { DurableJsonAdapter } from "../store/durable-json-adapter.js";
import { HEADER_BYTES, parseLog } from "./journal-log.js";
import { emptyJournal, type JournalDoc, type JournalHead, type LegacyJournalDoc } from "./journal-state.js";
import { type Attestation, legacyHeadMac } from "./seals.js";
import { type Integrity, verifyChain, verifyHead } from "./verify-journal.js";

export type Repair =
  | { kind: "none"; logBytes: number; logLines: number }
  /** A fresh data directory: write an empty log. */
  | { kind: "create" }
  /** Cut the log back to `logBytes` (an interrupted append). */
  | { kind: "truncate"; logBytes: number; logLines: number }
  /** Write the log and the head anew from the document (a format-1 journal.json). */
  | { kind: "migrate" };

export type LoadedJournal =
  | { doc: JournalDoc; integrity: { ok: true }; repair: Repair }
  | { integrity: Integrity & { ok: false } };

export function journalPaths(dataDir: string): { head: string; log: string } {
  return { head: `${dataDir}/journal.json`, log: `${dataDir}/journal.log` };
}

const fail = (problem: string): LoadedJournal => ({ integrity: { ok: false, problem } });

export async function loadJournal(
  fs: DurableFs,
  dataDir: string,
  terminalId: string,
  key: Buffer,
): Promise<LoadedJournal> {
  const paths = journalPaths(dataDir);
  let head: JournalHead | LegacyJournalDoc | null;
  try {
    // The same reader the ledger writes the head with: a file that does not parse is corrupt, never "empty".
    head = await new DurableJsonAdapter<JournalHead | LegacyJournalDoc>(paths.head, fs).read();
  } catch (err) {
    if (!isCardtermError(err)) throw err;
    return fail((err as Error).message);
  }
  const logText = await fs.readFile(paths.log);
  if (head && head.terminalId !== terminalId) {
    return fail(`the journal belongs to terminal ${head.terminalId}, not ${terminalId}`);
  }
  if (head?.format === 1) return loadLegacy(head, key);
  if (head) {
    const ok = verifyHead(head, key);
    if (!ok.ok) return { integrity: ok };
  }
  if (logText === null) {
    if (head) return fail(`journal.log is missing (journal.json attests entries through #${head.attestedSeq})`);
    return { doc: emptyJournal(terminalId), integrity: { ok: true }, repair: { kind: "create" } };
  }
  const log = parseLog(logText, terminalId, key);
  if (logText.length < HEADER_BYTES || !log.attested) {
    return fail("the header of journal.log does not match its MAC: the file was edited or is not this terminal's");
  }
  if (!head && (log.attested.seq > 0 || log.lines.length > 0)) {
    return fail(`journal.json is missing while journal.log holds entries (attested through #${log.attested.seq})`);
  }
  const from = head ?? { terminalId, ackedSeq: 0, ackedHash: GENESIS_HASH, attestedSeq: 0, attestedHash: GENESIS_HASH };
  const attested = newest(log.attested, { seq: from.attestedSeq, hash: from.attestedHash });
  const walked = verifyChain(
    log.lines,
    { terminalId, ackedSeq: from.ackedSeq, ackedHash: from.ackedHash },
    attested,
    key,
  );
  if (!walked.ok) return { integrity: walked };
  const { chain } = walked;
  const doc: JournalDoc = {
    terminalId,
    nextSeq: chain.nextSeq,
    headHash: chain.headHash,
    ackedSeq: from.ackedSeq,
    ackedHash: from.ackedHash,
    pending: chain.pending,
    lastContactAt: head?.lastContactAt ?? null,
    cardOverlay: head?.cardOverlay ?? {},
    ...(head?.pinAttempts ? { pinAttempts: head.pinAttempts } : {}),
  };
  const kept = log.lines.slice(0, log.lines.length - chain.dropped);
  const logBytes = HEADER_BYTES + kept.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0);
  const torn = chain.dropped > 0 || log.tornTail;
  return {
    doc,
    integrity: { ok: true },
    repair: { kind: torn ? "truncate" : "none", logBytes, logLines: kept.length },
  };
}

function newest(a: Attestation, b: Attestation): Attestation {
  return a.seq >= b.seq ? a : b;
}

/** A journal.json from before the log: verified as it was, then migrated by the ledger. */
function loadLegacy(legacy: LegacyJournalDoc, key: Buffer): LoadedJournal {
  if (legacy.nextSeq > 1 && legacy.headMac !== legacyHeadMac(legacy, key)) {
    return fail(
      `the journal head (next entry #${legacy.nextSeq}, acknowledged through entry #${legacy.ackedSeq}) does not match its MAC: entries were cut or the head was edited`,
    );
  }
  const attested = { seq: legacy.nextSeq - 1, hash: legacy.headHash };
  const lines = legacy.pending.map((e) => JSON.stringify(e));
  const walked = verifyChain(lines, legacy, attested, key);
  if (!walked.ok) return { integrity: walked };
  if (walked.chain.dropped > 0 || walked.chain.nextSeq !== legacy.nextSeq) {
    return fail(`the journal expects entry #${legacy.nextSeq} next but its last entry is #${walked.chain.nextSeq - 1}`);
  }
  const { format: _f, headMac: _m, cardOverlay, ...rest } = legacy;
  return { doc: { ...rest, cardOverlay: cardOverlay ?? {} }, integrity: { ok: true }, repair: { kind: "migrate" } };
}
