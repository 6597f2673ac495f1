/**
 * One simulated terminal for the ingest benchmarks, run in a worker thread so that its
 * CPU (sealing, JSON, MQTT) is not the server's: the agent's own MqttLink and
 * JournalUploader over a journal held in memory (TerminalLedger's upload side). It
 * drains `entries` and reports the wall time and each batch's ack latency.
 */
import { parentPort, workerData } from "node:worker_threads";
import { silentLogger } from "../agent/logger.js";
import { JournalUploader, type UploadSource } from "../agent/sync/journal-uploader.js";
import { MqttLink } from "../agent/sync/mqtt-link.js";
import { realTimers } from "../lib/timers.js";
import type { JournalEntry } from "../protocol/journal-entry.js";
import { topics } from "../protocol/topics.js";
import { TestTerminal } from "../test/server/test-terminal.js";
import { nowMs } from "./stats.js";

export interface TerminalJob {
  url: string;
  terminalId: string;
  keyHex: string;
  cards: string[];
  entries: number;
  batchSize: number;
  window: number;
}

export interface TerminalResult {
  terminalId: string;
  /** From the first batch sent to the last entry acknowledged. */
  seconds: number;
  /** Per batch: from its first send to the ack that covered it (ms). */
  ackLatencies: number[];
}

/** TerminalLedger's upload side, in memory, timing when each entry was first sent and acked. */
export class MemoryJournal implements UploadSource {
  #entries: JournalEntry[];
  #acked = 0;
  readonly sentAt = new Map<number, number>();
  readonly ackLatencies: number[] = [];

  constructor(entries: JournalEntry[]) {
    this.#entries = entries;
  }

  pending(): readonly JournalEntry[] {
    return this.#entries;
  }

  async acknowledge(ackedSeq: number): Promise<number> {
    const keep = this.#entries.findIndex((e) => e.seq > ackedSeq);
    const trimmed = keep < 0 ? this.#entries.length : keep;
    const now = nowMs();
    for (const [upTo, at] of this.sentAt) {
      if (upTo > ackedSeq) continue;
      this.ackLatencies.push(now - at);
      this.sentAt.delete(upTo);
    }
    this.#entries = this.#entries.slice(trimmed);
    this.#acked = Math.max(this.#acked, ackedSeq);
    return trimmed;
  }

  summary() {
    return { nextSeq: 0, ackedSeq: this.#acked, pending: this.#entries.length, lastContactAt: null };
  }
}

/** Sales and a top-up in ten over the bench cards, each terminal starting at its own place (its store's members). */
export function backlog(term: TestTerminal, cards: readonly string[], n: number): JournalEntry[] {
  const offset = Number.parseInt(term.id.replace(/\D/g, "") || "0", 10) * 97;
  return Array.from({ length: n }, (_, i) => {
    const card = cards[(offset + i * 7) % cards.length]!;
    return i % 10 === 9 ? term.topup(card, 10_000) : term.sale(card, 100 + (i % 900));
  });
}

/** Seals the backlog, connects, says it is `ready`, then drains the backlog when told to `go`. */
export async function runTerminal(job: TerminalJob, ready: () => void, go: Promise<void>): Promise<TerminalResult> {
  const term = new TestTerminal(job.terminalId, job.keyHex);
  const journal = new MemoryJournal(backlog(term, job.cards, job.entries));
  const log = silentLogger();
  const link = new MqttLink({
    url: job.url,
    terminalId: job.terminalId,
    subscriptions: [topics.ack(job.terminalId)],
    log,
  });
  const connected = new Promise<void>((resolve) => link.once("connected", () => resolve()));
  link.start();
  await connected;
  ready();
  await go;
  // Timestamps each batch as the uploader hands it to the link.
  const publish = link.publish.bind(link);
  link.publish = (topic, payload, opts) => {
    const upTo = (JSON.parse(payload) as { entries: JournalEntry[] }).entries.at(-1)!.seq;
    if (!journal.sentAt.has(upTo)) journal.sentAt.set(upTo, nowMs());
    return publish(topic, payload, opts);
  };
  const t0 = nowMs();
  const uploader = new JournalUploader(link, journal, {
    terminalId: job.terminalId,
    batchSize: job.batchSize,
    window: job.window,
    ackTimeoutMs: 30_000,
    now: Date.now,
    timers: realTimers,
    log,
  });
  uploader.kick();
  while (journal.pending().length > 0) await new Promise((r) => setTimeout(r, 2));
  const seconds = (nowMs() - t0) / 1000;
  uploader.close();
  await link.close();
  return { terminalId: job.terminalId, seconds, ackLatencies: journal.ackLatencies };
}

// As a worker: one message of jobs, then "go"; answers with the results.
if (parentPort && workerData?.role === "terminals") {
  const port = parentPort;
  const jobs = workerData.jobs as TerminalJob[];
  let start: () => void = () => {};
  const go = new Promise<void>((resolve) => {
    start = resolve;
  });
  port.on("message", (m) => {
    if (m === "go") start();
  });
  let waiting = jobs.length;
  const ready = () => {
    if (--waiting === 0) port.postMessage("ready");
  };
  const running = jobs.map((job) => runTerminal(job, ready, go));
  void Promise.all(running).then(
    (results) => port.postMessage({ results }),
    (err: Error) => port.postMessage({ error: err.stack ?? err.message }),
  );
}
