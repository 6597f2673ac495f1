/**
 * Head office's operators for this till (protocol/operators-doc.ts), as received on the
 * terminal's own retained topic, validated, kept only when newer, and stored durably
 * (temp file, fsync, rename) before anyone may log in with it — so after a restart with
 * the server out of reach, an operator head office created still logs in, and one it
 * disabled still does not.
 *
 * The listener (OperatorSessions.setHqOperators) runs with the stored document at open()
 * and after each newer one is stored: sessions of operators removed, disabled or
 * re-roled end there.
 */
import { decodeOperatorsDoc, type OperatorsDocument, operatorsDocKey } from "../../protocol/operators-doc.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import { type DurableFs, nodeDurableFs, writeDurably } from "../store/durable-file.js";
import type { MqttLink } from "./mqtt-link.js";

type Link = Pick<MqttLink, "on" | "subscribe">;
export type OperatorsListener = (doc: OperatorsDocument) => void;

const FILE = "operators.json";

export class OperatorsCache {
  private doc: OperatorsDocument | undefined;
  private listener: OperatorsListener | undefined;
  /** One message at a time: the version check must see what the previous one stored. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dataDir: string,
    private readonly terminalId: string,
    private readonly log: Logger,
    private readonly fs: DurableFs,
  ) {}

  static async open(
    dataDir: string,
    terminalId: string,
    log: Logger,
    fs: DurableFs = nodeDurableFs,
  ): Promise<OperatorsCache> {
    const cache = new OperatorsCache(dataDir, terminalId, log, fs);
    const stored = await fs.readFile(`${dataDir}/${FILE}`);
    if (stored !== null) {
      const d = decodeOperatorsDoc(stored);
      if (d.ok && d.value.terminalId === terminalId) cache.doc = d.value;
      else
        log.error(
          { reason: d.ok ? "another terminal's" : d.reason },
          "stored operators are invalid; waiting for the server's",
        );
    }
    return cache;
  }

  /** Called now with the stored document (if any), then with each newer one once stored. */
  onChange(listener: OperatorsListener): void {
    this.listener = listener;
    if (this.doc) listener(this.doc);
  }

  attach(link: Link): void {
    const topic = topics.operators(this.terminalId);
    link.on("message", (t, payload) => {
      if (t === topic) this.enqueue(() => this.onDocument(payload));
    });
    link.subscribe(topic);
  }

  current(): OperatorsDocument | undefined {
    return this.doc;
  }

  version(): number | null {
    return this.doc?.version ?? null;
  }

  /** Resolves once every message received so far has been handled (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: Error) => {
      // The document in memory is unchanged; the retained one comes again at the next connect.
      this.log.error({ err: err.message }, "operators not stored");
    });
  }

  private async onDocument(payload: Buffer): Promise<void> {
    if (payload.length === 0) return; // a cleared retained message: nothing to follow
    const d = decodeOperatorsDoc(payload);
    if (!d.ok) return void this.log.warn({ reason: d.reason }, "CT_MESSAGE_INVALID: operators dropped");
    const doc = d.value;
    if (doc.terminalId !== this.terminalId) {
      return void this.log.warn({ for: doc.terminalId }, "CT_MESSAGE_INVALID: operators of another terminal dropped");
    }
    if (!isNewer(doc, this.doc)) return;
    await writeDurably(this.fs, `${this.dataDir}/${FILE}`, JSON.stringify(doc));
    this.doc = doc;
    this.log.info({ version: doc.version, operators: doc.operators.length }, "operators updated");
    this.listener?.(doc);
  }
}

/** Higher version, or the same version with other contents (the till moved store; see operators-doc.ts). */
function isNewer(doc: OperatorsDocument, held: OperatorsDocument | undefined): boolean {
  if (!held) return true;
  if (doc.version !== held.version) return doc.version > held.version;
  return operatorsDocKey(doc) !== operatorsDocKey(held);
}
