/**
 * The durable print queue: every receipt is a small JSON file under
 * `<dataDir>/print-queue/` (written with writeDurably: temp file, fsync, rename, directory
 * fsync) before its first byte goes to the printer, and is printed from there — at once
 * when the printer takes it, or later, in order, when it returns (a retry timer with
 * capped, jittered backoff, and a kick from the printer monitor when the paper or cover
 * is fixed). Printed receipts stay for `keepFor` (7 days) for `cardterm receipt reprint`.
 *
 * The guarantee is **at least once**, and a copy that may be a second one says REPRINT:
 *
 * - A job is marked printed durably only after the printer accepted its bytes. A crash
 *   between the two loses nothing but may print the receipt again after the restart.
 * - Each attempt asks the printer before and after it (checked-print.ts): a receipt is
 *   printed only when the printer still says it can print once it has the bytes.
 * - Before each attempt the job is written with `inFlight: true`. On start-up an
 *   in-flight job is one whose outcome nobody knows; it is printed again with the REPRINT
 *   mark. The same goes for an attempt where the printer took every byte but could not
 *   be asked afterwards whether it printed them.
 * - An attempt that failed before any byte could reach the printer (connection refused,
 *   paper out before the job), or whose receipt was torn short (the connection dropped
 *   mid-receipt, the paper ran out under it), leaves no mark: the customer never got a
 *   receipt, so the one that prints later is the original (issue 15, item 5).
 *
 * At most once was the alternative: never print a job whose attempt was interrupted. It
 * would lose the receipt of exactly the sales where something went wrong, which the
 * issue forbids ("never loses a receipt"); a marked duplicate harms nobody.
 *
 * Printing never undoes or holds up an approval: `submit` waits at most `waitMs` for the
 * first attempt and then reports the receipt as "queued"; a failure to store the job
 * durably (disk full) still prints it from memory.
 */
import { canTakeJobs, type ReceiptPrinter } from "../../drivers/printer/receipt-printer.js";
import { Backoff } from "../../lib/backoff.js";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";
import { CardtermError } from "../../protocol/errors.js";
import { type DurableFs, nodeDurableFs } from "../store/durable-file.js";
import { CheckedPrint, mayBeCompleteOnPaper } from "./checked-print.js";
import type { PrintQueueStatus, QueueLog, ReceiptOutcome, StoredJob } from "./print-job.js";
import { PrintJobFiles } from "./print-job-files.js";
import type { ReceiptRequest } from "./receipt-data.js";
import type { ReceiptLayout } from "./receipt-layout.js";
import { opensDrawer, receiptJobId, receiptMarkup } from "./receipt-templates.js";

export type { PrintQueueStatus, QueueLog, ReceiptOutcome, StoredJob } from "./print-job.js";

export interface PrintQueueOptions {
  /** The queue's directory, `<dataDir>/print-queue`. */
  dir: string;
  printer: ReceiptPrinter;
  layout: ReceiptLayout;
  fs?: DurableFs;
  now?: () => number;
  /** The retry's and the submit wait's timers (default Node's). */
  timers?: Timers;
  log?: QueueLog;
  /** Retry backoff while the printer is away. Default 2 s doubling to 60 s, jittered. */
  retry?: { baseMs: number; capMs: number; random?: () => number };
  /** How long printed receipts are kept for reprint. Default 7 days. */
  keepForMs?: number;
  /**
   * A receipt could not print (printer away, paper out): the printer monitor should look
   * now, and often until it clears, so status and heartbeat show it at once and the
   * receipt prints within a poll of the paper coming back.
   */
  onHeld?: () => void;
  /**
   * Start printing waiting receipts at once (default). `false` for a one-off command that
   * prints one receipt with `printOnce` and leaves the rest to the agent.
   */
  start?: boolean;
}

const DEFAULT_KEEP_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

type Waiter = (outcome: ReceiptOutcome) => void;

export class PrintQueue {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly files: PrintJobFiles;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly backoff: Backoff;
  private readonly checked: CheckedPrint;
  private pumping: Promise<void> | null = null;
  private timer: Timer | null = null;
  private nextRetryAt: number | null = null;
  private closed = false;
  private lastPrune = 0;
  private lastError: string | null = null;
  private lastN = 0;
  private rekick = false;
  private constructor(private readonly opts: PrintQueueOptions) {
    this.files = new PrintJobFiles(opts.dir, opts.fs ?? nodeDurableFs, opts.log);
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.backoff = new Backoff(opts.retry ?? { baseMs: 2_000, capMs: 60_000 });
    this.checked = new CheckedPrint(opts.printer);
  }

  /** Load the stored jobs, prune old ones, and start printing what is pending. */
  static async open(opts: PrintQueueOptions): Promise<PrintQueue> {
    const q = new PrintQueue(opts);
    await q.load();
    await q.prune();
    if (opts.start === false) q.closed = true;
    else q.kick();
    return q;
  }

  /**
   * Store the receipt durably and print it; wait at most `waitMs` for the first attempt.
   * Never rejects: the approval it belongs to stands whatever happens here.
   */
  async submit(request: ReceiptRequest, waitMs = 1_000): Promise<ReceiptOutcome> {
    const id = receiptJobId(request);
    if (this.opts.printer.type === "none") return { jobId: id, printed: false, error: "no printer is configured" };
    const existing = this.jobs.get(id);
    if (existing) return existing.state === "printed" ? this.reprint(id, waitMs) : this.wait(id, waitMs);
    // Attempted at once when nothing is ahead of it: mark the attempt in the same write,
    // so the first byte waits for one fsync, not two.
    const job = this.newJob(request, this.pendingCount() === 0 && this.pumping === null && this.printerTakesJobs());
    const stored = await this.persist(job);
    const outcome = this.wait(id, waitMs);
    this.kick(true);
    const result = await outcome;
    return stored ? result : { ...result, error: result.error ?? "the receipt could not be stored on disk" };
  }

  /** Store a receipt durably without printing it (for `printOnce`); returns its id. */
  async store(request: ReceiptRequest): Promise<string> {
    const job = this.jobs.get(receiptJobId(request)) ?? this.newJob(request, false);
    if (!(await this.persist(job))) throw new CardtermError("CT_STORE_WRITE_FAILED", `receipt ${job.id} not stored`);
    return job.id;
  }

  private newJob(request: ReceiptRequest, inFlight: boolean): StoredJob {
    const job: StoredJob = {
      v: 1,
      id: receiptJobId(request),
      n: ++this.lastN,
      request,
      createdAt: new Date(this.now()).toISOString(),
      state: "pending",
      inFlight,
      mayBeOnPaper: false,
      openDrawer: opensDrawer(request),
      attempts: inFlight ? 1 : 0,
      prints: 0,
      printedAt: null,
      lastError: null,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  /**
   * Print a stored receipt again, marked REPRINT (a pending one prints now, marked only if
   * a copy may be on paper). Rejects CT_NOT_FOUND for an unknown id.
   */
  async reprint(id: string, waitMs = 10_000): Promise<ReceiptOutcome> {
    const job = this.jobs.get(id);
    if (!job) throw new CardtermError("CT_NOT_FOUND", `no receipt ${id} is kept on this terminal`);
    if (job.state === "printed") {
      job.state = "pending";
      job.openDrawer = false;
      await this.persist(job);
    }
    const outcome = this.wait(id, waitMs);
    this.backoff.reset();
    this.kick(true);
    return outcome;
  }

  /**
   * One attempt at one receipt, now, whatever is queued before it (`start: false` queues
   * only): a printed one again with REPRINT, a waiting one for the first time.
   */
  async printOnce(id: string): Promise<ReceiptOutcome> {
    const job = this.jobs.get(id);
    if (!job) throw new CardtermError("CT_NOT_FOUND", `no receipt ${id} is kept on this terminal`);
    if (job.state === "printed") Object.assign(job, { state: "pending", openDrawer: false });
    let outcome: ReceiptOutcome = { jobId: id, printed: "queued" };
    this.waiters.set(id, [...(this.waiters.get(id) ?? []), (o) => (outcome = o)]);
    await this.attempt(job);
    this.waiters.delete(id);
    return outcome;
  }

  /** The printer may be back (status poll): retry now instead of at the next timer. */
  printerReady(): void {
    if (this.pendingCount() === 0) return;
    this.backoff.reset();
    this.kick(true);
  }

  /** Every kept receipt, oldest first (for `cardterm receipt list`). */
  list(): StoredJob[] {
    return this.ordered();
  }

  get(id: string): StoredJob | undefined {
    return this.jobs.get(id);
  }

  status(): PrintQueueStatus {
    const pending = this.ordered().filter((j) => j.state === "pending");
    return {
      pending: pending.length,
      oldestPendingAt: pending[0]?.createdAt ?? null,
      lastError: pending.length > 0 ? this.lastError : null,
      nextRetryAt: this.nextRetryAt === null ? null : new Date(this.nextRetryAt).toISOString(),
    };
  }

  /** Stop retrying; the attempt in flight ends when the printer is closed (`idle()` waits). */
  close(): void {
    this.closed = true;
    this.clearTimer();
    for (const id of [...this.waiters.keys()]) this.settle(id, { printed: "queued", error: "the agent is stopping" });
  }

  async idle(): Promise<void> {
    await this.pumping;
  }

  // ---- printing -------------------------------------------------------------------------

  /** Start the pump unless it runs; `now` also cuts a backoff wait short. */
  private kick(now = false): void {
    if (this.closed) return;
    if (this.timer && !now) return;
    this.clearTimer();
    if (this.pumping) {
      this.rekick = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.rekick && !this.closed) {
        this.rekick = false;
        this.kick(true);
      }
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      this.rekick = false;
      const job = this.ordered().find((j) => j.state === "pending");
      if (!job || this.closed) return;
      // The state may be one a job's own check set long ago: ask again before waiting on.
      if (!this.printerTakesJobs()) await this.opts.printer.refreshStatus?.();
      if (!this.printerTakesJobs()) {
        this.lastError = this.opts.printer.status().detail ?? this.opts.printer.status().state;
        this.scheduleRetry();
        return;
      }
      if (!(await this.attempt(job))) {
        this.scheduleRetry();
        return;
      }
      this.backoff.reset();
      await this.pruneNowAndThen();
    }
  }

  /** One attempt at one job; true when the printer took it. */
  private async attempt(job: StoredJob): Promise<boolean> {
    if (!job.inFlight) {
      job.inFlight = true;
      job.attempts += 1;
      await this.persist(job);
    }
    const markup = receiptMarkup(job.request, this.opts.layout, { reprint: job.mayBeOnPaper || job.prints > 0 });
    try {
      const result = await this.checked.print({ id: job.id, markup, openDrawer: job.openDrawer });
      Object.assign(job, { state: "printed", inFlight: false, openDrawer: false, lastError: null });
      job.prints += 1;
      job.printedAt = new Date(this.now()).toISOString();
      await this.persist(job);
      this.settle(job.id, { printed: true, previewPng: result.previewPng });
      return true;
    } catch (err) {
      const message = (err as Error).message;
      // The drawer opens with the sale or not at all: never later, with nobody at the till.
      Object.assign(job, { inFlight: false, openDrawer: false, lastError: message });
      job.mayBeOnPaper ||= mayBeCompleteOnPaper(err);
      this.lastError = message;
      await this.persist(job);
      this.opts.log?.warn({ job: job.id, attempts: job.attempts, err: message }, "receipt kept for printing later");
      this.settle(job.id, { printed: "queued", error: message });
      this.opts.onHeld?.();
      return false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.timer) return;
    const delay = this.backoff.next();
    this.nextRetryAt = this.now() + delay;
    this.timer = this.timers
      .setTimeout(() => {
        this.timer = null;
        this.nextRetryAt = null;
        this.kick();
      }, delay)
      .unref();
  }

  private clearTimer(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.nextRetryAt = null;
  }

  private printerTakesJobs(): boolean {
    return canTakeJobs(this.opts.printer.status().state);
  }

  // ---- waiting for an outcome ---------------------------------------------------------------

  private wait(id: string, waitMs: number): Promise<ReceiptOutcome> {
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => done({ jobId: id, printed: "queued" }), waitMs);
      const done = (o: ReceiptOutcome) => {
        this.timers.clearTimeout(timer);
        const list = this.waiters.get(id);
        const rest = list?.filter((w) => w !== done) ?? [];
        if (rest.length > 0) this.waiters.set(id, rest);
        else this.waiters.delete(id);
        resolve(o);
      };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), done]);
    });
  }

  private settle(id: string, outcome: Omit<ReceiptOutcome, "jobId">): void {
    for (const w of this.waiters.get(id) ?? []) w({ jobId: id, ...outcome });
  }

  // ---- the files (print-job-files.ts) ----------------------------------------------

  private persist(job: StoredJob): Promise<boolean> {
    return this.files.save(job);
  }

  private async load(): Promise<void> {
    for (const job of await this.files.loadAll()) {
      if (job.inFlight) {
        // Stopped mid-attempt: the receipt may or may not be on paper.
        job.inFlight = false;
        job.mayBeOnPaper = true;
        job.openDrawer = false;
      }
      this.jobs.set(job.id, job);
      this.lastN = Math.max(this.lastN, job.n);
    }
    if (this.pendingCount() > 0) this.opts.log?.info({ pending: this.pendingCount() }, "receipts waiting to print");
  }

  private async pruneNowAndThen(): Promise<void> {
    if (this.now() - this.lastPrune >= PRUNE_EVERY_MS) await this.prune();
  }

  /** Delete printed receipts older than keepFor. Pending ones are kept however old. */
  private async prune(): Promise<void> {
    this.lastPrune = this.now();
    const before = this.now() - (this.opts.keepForMs ?? DEFAULT_KEEP_MS);
    for (const job of [...this.jobs.values()]) {
      if (job.state !== "printed" || job.printedAt === null || Date.parse(job.printedAt) >= before) continue;
      this.jobs.delete(job.id);
      await this.files.remove(job.id);
    }
  }

  private ordered(): StoredJob[] {
    return [...this.jobs.values()].sort((a, b) => a.n - b.n);
  }

  private pendingCount(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.state === "pending") n++;
    return n;
  }
}
