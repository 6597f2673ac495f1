/**
 * Reading the journal at start-up: journal.json (the head) and journal.log (the
 * entries), verified together into the ledger's in-memory document. Pure reading — the
 * repairs a power cut calls for (cutting a torn tail, migrating format 1) are said in
 * `repair` and left to a ledger that writes, so `cardterm journal verify` can read the
 * files while the agent runs. A journal that fails comes with what still verifies of it
 * (salvage-journal.ts), for the uploader.
 */
import { isCardtermError } from "../../protocol/errors.js";
import { GENESIS_HASH } from "../../protocol/journal-entry.js";
import type { DurableFs } from "../store/durable-file.js";
import { DurableJsonAdapter } from "../store/durable-json-adapter.js";
import { HEADER_BYTES, parseLog } from "./journal-log.js";
import { emptyJournal, type JournalDoc, type JournalHead, type LegacyJournalDoc } from "./journal-state.js";
import { type Salvage, salvageLines } from "./salvage-journal.js";
import { type Attestation, legacyHeadMac } from "./seals.js";
import { broken, type IntegrityFailure, verifyChain, verifyHead } from "./verify-journal.js";

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
  /** Failed: what still verifies, to upload (salvage-journal.ts); approvals stay refused. */
  | { integrity: IntegrityFailure; salvage: SalvagedJournal };

export interface SalvagedJournal extends Salvage {
  /** Where the salvaged range starts: the head's acknowledged point, or just below the oldest entry kept. */
  ackedSeq: number;
  ackedHash: string;
}

export function journalPaths(dataDir: string): { head: string; log: string } {
  return { head: `${dataDir}/journal.json`, log: `${dataDir}/journal.log` };
}

interface Failing {
  terminalId: string;
  key: Buffer;
  /** journal.log's entry lines and attested point (null: no log). */
  log: { lines: readonly string[]; attestedSeq: number } | null;
  /** A head whose MAC held: its acknowledged point bounds the salvage. */
  trusted: { ackedSeq: number; ackedHash: string; attestedSeq: number } | null;
}

function failed(integrity: IntegrityFailure, f: Failing): LoadedJournal {
  const lines = f.log?.lines ?? [];
  const attestedSeq = Math.max(f.log?.attestedSeq ?? 0, f.trusted?.attestedSeq ?? 0);
  const salvage = salvageLines(
    lines,
    { terminalId: f.terminalId, ackedSeq: f.trusted?.ackedSeq ?? null, attestedSeq },
    f.key,
  );
  const ackedSeq = f.trusted?.ackedSeq ?? Math.max(0, (salvage.entries[0]?.seq ?? 1) - 1);
  const ackedHash = f.trusted?.ackedHash ?? salvage.entries[0]?.prevHash ?? GENESIS_HASH;
  return { integrity, salvage: { ...salvage, ackedSeq, ackedHash } };
}

export async function loadJournal(
  fs: DurableFs,
  dataDir: string,
  terminalId: string,
  key: Buffer,
): Promise<LoadedJournal> {
  const paths = journalPaths(dataDir);
  const logText = await fs.readFile(paths.log);
  const log = logText === null ? null : parseLog(logText, terminalId, key);
  const failing: Failing = {
    terminalId,
    key,
    log: log && { lines: log.lines, attestedSeq: log.attested?.seq ?? 0 },
    trusted: null,
  };
  let head: JournalHead | LegacyJournalDoc | null;
  try {
    // The same reader the ledger writes the head with: a file that does not parse is corrupt, never "empty".
    head = await new DurableJsonAdapter<JournalHead | LegacyJournalDoc>(paths.head, fs).read();
  } catch (err) {
    if (!isCardtermError(err)) throw err;
    return failed(broken("head-invalid", (err as Error).message), failing);
  }
  if (head && head.terminalId !== terminalId) {
    return failed(broken("head-invalid", `the journal belongs to terminal ${head.terminalId}, not ${terminalId}`), {
      ...failing,
      log: null,
    });
  }
  if (head?.format === 1) return loadLegacy(head, key);
  if (head) {
    const ok = verifyHead(head, key);
    if (!ok.ok) return failed(ok, failing);
    failing.trusted = head;
  }
  if (logText === null || log === null) {
    if (head)
      return failed(
        broken("log-invalid", `journal.log is missing (journal.json attests entries through #${head.attestedSeq})`),
        failing,
      );
    return { doc: emptyJournal(terminalId), integrity: { ok: true }, repair: { kind: "create" } };
  }
  if (logText.length < HEADER_BYTES || !log.attested) {
    return failed(
      broken(
        "log-invalid",
        "the header of journal.log does not match its MAC: the file was edited or is not this terminal's",
      ),
      failing,
    );
  }
  if (!head && (log.attested.seq > 0 || log.lines.length > 0)) {
    return failed(
      broken(
        "head-invalid",
        `journal.json is missing while journal.log holds entries (attested through #${log.attested.seq})`,
      ),
      failing,
    );
  }
  const from = head ?? { terminalId, ackedSeq: 0, ackedHash: GENESIS_HASH, attestedSeq: 0, attestedHash: GENESIS_HASH };
  const attested = newest(log.attested, { seq: from.attestedSeq, hash: from.attestedHash });
  const walked = verifyChain(
    log.lines,
    { terminalId, ackedSeq: from.ackedSeq, ackedHash: from.ackedHash },
    attested,
    key,
  );
  if (!walked.ok) return failed(walked, failing);
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
  const lines = Array.isArray(legacy.pending) ? legacy.pending.map((e) => JSON.stringify(e)) : [];
  const failing: Failing = { terminalId: legacy.terminalId, key, log: { lines, attestedSeq: 0 }, trusted: null };
  if (legacy.nextSeq > 1 && legacy.headMac !== legacyHeadMac(legacy, key)) {
    return failed(
      broken(
        "head-invalid",
        `the journal head (next entry #${legacy.nextSeq}, acknowledged through entry #${legacy.ackedSeq}) does not match its MAC: entries were cut or the head was edited`,
      ),
      failing,
    );
  }
  failing.trusted = { ackedSeq: legacy.ackedSeq, ackedHash: legacy.ackedHash, attestedSeq: legacy.nextSeq - 1 };
  const attested = { seq: legacy.nextSeq - 1, hash: legacy.headHash };
  const walked = verifyChain(lines, legacy, attested, key);
  if (!walked.ok) return failed(walked, failing);
  if (walked.chain.dropped > 0 || walked.chain.nextSeq !== legacy.nextSeq) {
    const last = walked.chain.nextSeq - 1;
    return failed(
      broken(
        "entries-missing",
        `the journal expects entry #${legacy.nextSeq} next but its last entry is #${last}`,
        last + 1,
      ),
      failing,
    );
  }
  const { format: _f, headMac: _m, cardOverlay, ...rest } = legacy;
  return { doc: { ...rest, cardOverlay: cardOverlay ?? {} }, integrity: { ok: true }, repair: { kind: "migrate" } };
}
