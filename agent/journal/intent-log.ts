/**
 * intents.log — the till's durable word that it is about to ask the server for an online
 * approval, so the server never debits a sale the till did not record (docs/reconciliation.md).
 * An intent (txn id, card, account, amount, time) is appended and fdatasync'ed before the
 * request leaves; the sale's journal entry, or the server's decline, is its outcome. An intent
 * with no outcome after a crash is resolved with the server at start-up
 * (agent/sync/hold-resolver.ts): `confirm` when the journal has the txn, `release` when it does
 * not. A till that cannot write its intent never asks.
 *
 * Why a small log beside the journal rather than a journal entry: the journal is the
 * sealed, gapless chain the server applies — an intent is not a transaction, must not take
 * a sequence number or be uploaded, and most intents are settled within a millisecond.
 * Here an intent costs one short append and one fdatasync, shared by the intents written
 * at the same moment (group commit), and nothing else in the journal changes.
 *
 * Lines are JSON: `{"k":"intent",…}` synced; `{"k":"done","txnId"}` not synced — lost in a
 * power cut, it only makes the resolver ask again, and every answer is idempotent. A torn
 * last line is an append the power cut stopped before its sync, so before its request:
 * ignored. A failed append is cut back off the file; if that fails too the log refuses
 * every later intent (CT_STORE_WRITE_FAILED) rather than write past a torn line. Once no
 * intent is open the file is cut to nothing; under steady load it is rewritten with the
 * open ones only.
 */
import { CardtermError } from "../../protocol/errors.js";
import { type DurableFs, nodeDurableFs, type UpdatableFile, writeDurably } from "../store/durable-file.js";

export interface Intent {
  txnId: string;
  cardId: string;
  /** The card's account as this till knows it (null: a card new to the till). */
  accountId: string | null;
  /** The gross amount asked for, in fen. */
  amount: number;
  operatorId: string;
  businessDay: string;
  /** When the till asked (ISO). */
  at: string;
}

type Line = ({ k: "intent" } & Intent) | { k: "done"; txnId: string };

/** No intent open: cut the file once it holds this much. */
const TRUNCATE_AT = 16 * 1024;
/** Intents open all the time (a busy till): rewrite it with only those once it holds this much. */
const REWRITE_AT = 1024 * 1024;

function storeError(path: string, err: unknown): CardtermError {
  const code = (err as NodeJS.ErrnoException).code ?? "EIO";
  return new CardtermError("CT_STORE_WRITE_FAILED", `could not write ${path} durably (${code})`, { cause: err });
}

export class IntentLog {
  private readonly open = new Map<string, Intent>();
  private file: UpdatableFile | undefined;
  private size = 0;
  /** Set when a failed append could not be cut back off: nothing more is written. */
  private broken: CardtermError | undefined;
  /** Writes (appends, cuts, rewrites) one after another, in call order. */
  private tail: Promise<unknown> = Promise.resolve();
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;
  /** A compaction swapping the file: syncs started meanwhile wait for it and sync the new file. */
  private rewriting: Promise<void> | undefined;

  private constructor(
    private readonly fs: DurableFs,
    readonly path: string,
  ) {}

  /**
   * Read what a previous run left (its open intents) and open the file for appends. Only a
   * missing file, or one ending in a torn line, is written now (a fresh file with the open
   * intents); a failed write (a full disk) is retried at the first intent, and until then
   * none is written, so the till does not ask.
   */
  static async open(dataDir: string, fs: DurableFs = nodeDurableFs): Promise<IntentLog> {
    const log = new IntentLog(fs, `${dataDir}/intents.log`);
    const text = await fs.readFile(log.path);
    for (const line of parseLines(text ?? "")) {
      if (line.k === "intent") log.open.set(line.txnId, stripKind(line));
      else log.open.delete(line.txnId);
    }
    const clean = text !== null && (text === "" || text.endsWith("\n"));
    if (clean) {
      log.file = await fs.openForUpdate(log.path);
      log.size = Buffer.byteLength(text);
    } else {
      await log.rewriteWith([...log.open.values()]).catch(() => undefined);
    }
    return log;
  }

  /** Intents with no outcome yet: left by a crash, or waiting for a release. */
  openIntents(): Intent[] {
    return [...this.open.values()];
  }

  /** Durable when this resolves; throws CT_STORE_WRITE_FAILED (then the till must not ask). */
  async record(intent: Intent): Promise<void> {
    // Open before it is written, so a compaction running meanwhile copies it too.
    this.open.set(intent.txnId, intent);
    try {
      await this.append({ k: "intent", ...intent });
      await this.sync();
    } catch (err) {
      this.open.delete(intent.txnId);
      throw err;
    }
  }

  /** The intent's outcome is known. Not synced (see above); a write failure is only logged by the caller. */
  done(txnId: string): Promise<void> {
    if (!this.open.delete(txnId)) return Promise.resolve();
    return this.append({ k: "done", txnId }).then(() => this.compactIfDue());
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
  }

  private append(line: Line): Promise<void> {
    return this.serial(async () => {
      if (this.broken) throw this.broken;
      // Not open yet: the start-up rewrite failed (a full disk); try again now.
      if (!this.file)
        await this.rewriteWith([...this.open.values()]).catch((err) => Promise.reject(storeError(this.path, err)));
      const file = this.file!;
      const bytes = Buffer.from(`${JSON.stringify(line)}\n`, "utf8");
      const at = this.size;
      try {
        await file.write(bytes, at);
      } catch (err) {
        await file.truncate(at).catch(() => {
          this.broken = storeError(this.path, err);
        });
        throw storeError(this.path, err);
      }
      this.size = at + bytes.length;
    });
  }

  /**
   * One fdatasync covering every append finished before this call: if one is running
   * (it may have started before our append), wait for the next, which starts after it and
   * is shared by everyone who arrives meanwhile.
   */
  private sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = (this.rewriting ?? Promise.resolve())
        .then(() => (this.file ? this.file.datasync() : Promise.reject(new Error("closed"))))
        .catch((err: unknown) => {
          throw storeError(this.path, err);
        })
        .finally(() => {
          this.syncing = undefined;
        });
      return this.syncing;
    }
    this.nextSync ??= this.syncing
      .catch(() => undefined)
      .then(() => {
        this.nextSync = undefined;
        return this.sync();
      });
    return this.nextSync;
  }

  private compactIfDue(): Promise<void> {
    const due = this.open.size === 0 ? this.size >= TRUNCATE_AT : this.size >= REWRITE_AT;
    if (!due) return Promise.resolve();
    return this.serial(async () => {
      if (this.broken || !this.file) return;
      // Never swap the file under a sync already running on it; the next done() tries again.
      if (this.open.size > 0 && this.syncing) return;
      if (this.open.size === 0) {
        // Nothing open, so nothing here matters any more: an unsynced cut lost in a power
        // cut only brings back intents already settled, which the resolver asks about again.
        await this.file.truncate(0);
        this.size = 0;
      } else {
        this.rewriting = this.rewriteWith([...this.open.values()]).finally(() => {
          this.rewriting = undefined;
        });
        await this.rewriting;
      }
    });
  }

  /** A new file with only `intents` (temp + fsync + rename + directory fsync), reopened for appends. */
  private async rewriteWith(intents: readonly Intent[]): Promise<void> {
    const text = intents.map((i) => `${JSON.stringify({ k: "intent", ...i })}\n`).join("");
    await writeDurably(this.fs, this.path, text);
    const previous = this.file;
    this.file = await this.fs.openForUpdate(this.path);
    this.size = Buffer.byteLength(text);
    await previous?.close().catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** Whole lines that parse as intents or outcomes; anything else (a torn tail) is skipped. */
function parseLines(text: string): Line[] {
  const end = text.lastIndexOf("\n");
  const out: Line[] = [];
  for (const raw of end < 0 ? [] : text.slice(0, end).split("\n")) {
    try {
      const line = JSON.parse(raw) as Line;
      if (line.k === "done" && typeof line.txnId === "string") out.push(line);
      else if (line.k === "intent" && typeof line.txnId === "string" && typeof line.cardId === "string") out.push(line);
    } catch {
      // not a whole line: nothing was asked on it
    }
  }
  return out;
}

function stripKind(line: { k: "intent" } & Intent): Intent {
  const { k: _k, ...intent } = line;
  return intent;
}
