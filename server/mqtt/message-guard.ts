/**
 * The server's gate for everything a till sends (docs/security.md):
 * before any handler sees an uplink, its seal (protocol/message-mac.ts) must match the key
 * head office holds for the terminal its topic names, and a request that moves money must
 * be fresh (its clock within the window) and new (its id not seen before). Anything else
 * is refused — never handed to the ledger, so never debited — counted, logged and
 * alerted (once per terminal and reason every 10 minutes, with how many since: a forger must
 * not be able to flood the alerts table), and answered with a refusal notice
 * (protocol/refusal-notice.ts) where that can help an honest till: a till head office does
 * not know, or whose clock is off. A replay gets no answer at all: a notice with the
 * replayed corr could otherwise reach the real till before the real reply did.
 *
 * It also seals the server's replies with the terminal's down key. Messages of one
 * terminal are admitted one at a time, in arrival order, so a terminal's journal batches
 * still reach the ingest in the order it sent them.
 */
import type { Logger } from "pino";
import {
  deriveMessageKeys,
  MESSAGE_WINDOW_MS,
  type MessageKeys,
  openPayload,
  SEALED_DOWNLINKS,
  type Seal,
  sealMatches,
  sealPayload,
  topicTail,
  UPLINKS,
} from "../../protocol/message-mac.js";
import { looksLikeNotice, type RefusalCode, type RefusalNotice } from "../../protocol/refusal-notice.js";
import { terminalIdOf, topics } from "../../protocol/topics.js";
import type { AlertInput, AlertKind } from "../ledger/alerts.js";
import { ReplayCache } from "./replay-cache.js";

export type RefusalReason = "malformed" | "unknown-terminal" | "unsigned" | "bad-mac" | "stale" | "replayed";

export interface GuardDeps {
  keyOf(terminalId: string): Promise<Buffer | undefined>;
  alert(alert: AlertInput): Promise<void>;
  now: () => number;
  /**
   * Take unsealed messages from tills older than this check, for an upgrade window
   * (`cardterm-hq run --accept-unsigned-tills`); they are answered unsealed, counted and
   * alerted. Off by default: a broker password alone must not debit a card.
   */
  acceptUnsigned: boolean;
  log: Logger;
}

export type Admission =
  | { ok: true; payload: string | Buffer }
  | { ok: false; reason: RefusalReason; notice?: { topic: string; payload: string } };

/** What head office reads in an alert and in the log for each refusal. */
const REASONS: Record<Exclude<RefusalReason, "malformed">, { alert: AlertKind; says: string }> = {
  "unknown-terminal": { alert: "unknown-terminal", says: "no terminal of this id is registered" },
  unsigned: {
    alert: "message-unsigned",
    says: "the message has no seal (a till older than head office, or not a till)",
  },
  "bad-mac": { alert: "message-forged", says: "the message's seal does not match this terminal's key" },
  stale: { alert: "message-stale", says: "the message's clock is outside the ±120 s window" },
  replayed: { alert: "message-replayed", says: "a message with this id was already taken (a replay)" },
};

/** The reply topic a refusal notice goes to, for requests that carry a corr. */
const NOTICE_TOPIC: Record<string, (terminalId: string) => string> = {
  "up/auth": topics.authReply,
  "up/op": topics.tillOpReply,
  "up/ping": topics.pong,
};

const KEY_TTL_MS = 60_000;
/** A key is read again at most this often when a seal does not match it (a terminal re-keyed with `terminal add --force`). */
const KEY_RETRY_MS = 1_000;
const ALERT_EVERY_MS = 10 * 60_000;
/** Alerts of refusals per minute for all terminals together: a flood of made-up terminal ids is counted, not written. */
const ALERTS_PER_MINUTE = 100;
const MAX_TRACKED = 10_000;

interface CachedKeys {
  keys: MessageKeys | null;
  loadedAt: number;
}

export class MessageGuard {
  readonly #keys = new Map<string, CachedKeys>();
  readonly #replays = new ReplayCache();
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #counts = new Map<string, number>();
  /** Per terminal and reason: when it was last alerted and how many refusals since. */
  readonly #alerted = new Map<string, { at: number; since: number }>();
  /** Terminals whose last admitted message was unsealed (acceptUnsigned): answered unsealed. */
  readonly #legacy = new Set<string>();
  #budget = { minute: 0, used: 0, suppressed: 0 };

  constructor(private readonly deps: GuardDeps) {}

  /** Admit one message; those of one terminal in the order they came. */
  admit(topic: string, terminalId: string, payload: Buffer): Promise<Admission> {
    const prev = this.#chains.get(terminalId) ?? Promise.resolve();
    const next = prev.then(() => this.check(topic, terminalId, payload));
    const settled = next.catch(() => {});
    this.#chains.set(terminalId, settled);
    void settled.then(() => {
      if (this.#chains.get(terminalId) === settled) this.#chains.delete(terminalId);
    });
    return next;
  }

  /** The payload sealed for the till when it is a reply tills check (SEALED_DOWNLINKS) and the key is at hand. */
  seal(topic: string, payload: string): string {
    const terminalId = terminalIdOf(topic);
    const tail = topicTail(topic);
    if (!terminalId || tail === undefined || !SEALED_DOWNLINKS.has(tail) || this.#legacy.has(terminalId))
      return payload;
    const keys = this.#keys.get(terminalId)?.keys;
    if (!keys) return payload;
    const body = JSON.parse(payload) as Record<string, unknown>;
    // A refusal notice stays unsealed: it answers a sender the server could not trust, and a
    // till takes a sealed message on these topics for a reply (protocol/refusal-notice.ts).
    if (looksLikeNotice(body)) return payload;
    return sealPayload(keys.down, "down", topic, body, this.deps.now());
  }

  /** Messages refused (and unsealed ones accepted) since start, by reason: the server's metric. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  private async check(topic: string, terminalId: string, payload: Buffer): Promise<Admission> {
    const tail = topicTail(topic);
    const rule = tail === undefined ? undefined : UPLINKS[tail];
    // Presence and anything unexpected pass to the link as before (it drops unknown topics).
    if (!rule || tail === undefined) return { ok: true, payload };
    const opened = openPayload(payload);
    if (!opened.ok) return this.refuse("malformed", topic, terminalId, opened.reason, undefined);
    const { body, seal } = opened;
    const corr = typeof body.corr === "string" && body.corr.length > 0 ? body.corr : undefined;
    let keys = await this.keysOf(terminalId, false);
    if (!keys) keys = await this.keysOf(terminalId, true);
    if (!keys)
      return this.refuse(
        "unknown-terminal",
        topic,
        terminalId,
        undefined,
        noticeFor(
          corr,
          "TERMINAL_NOT_REGISTERED",
          `head office has no terminal ${terminalId}: register it with cardterm-hq terminal add ${terminalId}`,
        ),
      );
    if (!seal) return this.unsealed(topic, terminalId, body, corr);
    if (!(await this.sealVerifies(terminalId, topic, body, seal, keys)))
      return this.refuse(
        "bad-mac",
        topic,
        terminalId,
        undefined,
        noticeFor(
          corr,
          "TERMINAL_NOT_REGISTERED",
          `the key of terminal ${terminalId} at head office does not match this till's: provision it again (cardterm-hq terminal add ${terminalId} --force) and install the new config`,
        ),
      );
    this.#legacy.delete(terminalId);
    if (rule.fresh) {
      const now = this.deps.now();
      const offBy = seal.at - now;
      if (Math.abs(offBy) > MESSAGE_WINDOW_MS)
        return this.refuse(
          "stale",
          topic,
          terminalId,
          `off by ${Math.round(offBy / 1000)} s`,
          noticeFor(
            corr,
            "CLOCK_SKEW",
            `this till's clock is ${Math.round(Math.abs(offBy) / 1000)} s ${offBy > 0 ? "ahead of" : "behind"} head office's; online requests need it within ${MESSAGE_WINDOW_MS / 1000} s`,
          ),
        );
      if (!this.#replays.firstSight(terminalId, seal.id, seal.at + MESSAGE_WINDOW_MS, now))
        return this.refuse("replayed", topic, terminalId, `id ${seal.id}`, undefined);
    }
    return { ok: true, payload: JSON.stringify(body) };
  }

  private unsealed(
    topic: string,
    terminalId: string,
    body: Record<string, unknown>,
    corr: string | undefined,
  ): Admission {
    if (!this.deps.acceptUnsigned)
      return this.refuse(
        "unsigned",
        topic,
        terminalId,
        undefined,
        noticeFor(
          corr,
          "TERMINAL_NOT_REGISTERED",
          "the request carries no seal: this till is older than head office; upgrade it (or run head office with --accept-unsigned-tills while upgrading)",
        ),
      );
    this.#legacy.add(terminalId);
    this.count("unsigned-accepted");
    this.alertOnce(
      terminalId,
      "message-unsigned",
      topic,
      "accepted unsealed (--accept-unsigned-tills): upgrade this till",
    );
    return { ok: true, payload: JSON.stringify(body) };
  }

  private async sealVerifies(
    terminalId: string,
    topic: string,
    body: unknown,
    seal: Seal,
    keys: MessageKeys,
  ): Promise<boolean> {
    if (sealMatches(keys.up, "up", topic, body, seal)) return true;
    const cached = this.#keys.get(terminalId);
    if (cached && this.deps.now() - cached.loadedAt < KEY_RETRY_MS) return false;
    const fresh = await this.keysOf(terminalId, true);
    return fresh !== undefined && sealMatches(fresh.up, "up", topic, body, seal);
  }

  private async keysOf(terminalId: string, reload: boolean): Promise<MessageKeys | undefined> {
    const now = this.deps.now();
    const cached = this.#keys.get(terminalId);
    const usable = cached && (reload ? now - cached.loadedAt < KEY_RETRY_MS : now - cached.loadedAt < KEY_TTL_MS);
    if (usable) return cached.keys ?? undefined;
    const key = await this.deps.keyOf(terminalId);
    this.#keys.delete(terminalId);
    this.#keys.set(terminalId, { keys: key ? deriveMessageKeys(key) : null, loadedAt: now });
    trim(this.#keys);
    return key ? (this.#keys.get(terminalId)?.keys ?? undefined) : undefined;
  }

  private refuse(
    reason: RefusalReason,
    topic: string,
    terminalId: string,
    detail: string | undefined,
    refusal: Omit<RefusalNotice, "serverTimeMs"> | undefined,
  ): Admission {
    this.count(reason);
    if (reason === "malformed") {
      this.deps.log.warn({ code: "CT_MESSAGE_INVALID", topic, reason: detail }, "malformed MQTT message dropped");
      return { ok: false, reason };
    }
    const says = detail ? `${REASONS[reason].says} (${detail})` : REASONS[reason].says;
    this.alertOnce(terminalId, REASONS[reason].alert, topic, `refused, never applied: ${says}`);
    const tail = topicTail(topic) ?? "";
    const noticeTopic = NOTICE_TOPIC[tail];
    if (!refusal || !noticeTopic) return { ok: false, reason };
    const payload = JSON.stringify({ ...refusal, serverTimeMs: this.deps.now() } satisfies RefusalNotice);
    return { ok: false, reason, notice: { topic: noticeTopic(terminalId), payload } };
  }

  private spendBudget(now: number): boolean {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#budget.minute) {
      if (this.#budget.suppressed > 0)
        this.deps.log.warn(
          { code: "CT_MESSAGE_REFUSED", suppressed: this.#budget.suppressed },
          "refusals not alerted (over the alert budget)",
        );
      this.#budget = { minute, used: 0, suppressed: 0 };
    }
    if (this.#budget.used >= ALERTS_PER_MINUTE) {
      this.#budget.suppressed += 1;
      return false;
    }
    this.#budget.used += 1;
    return true;
  }

  private count(reason: string): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
  }

  /** Logs and alerts the first refusal of a kind per terminal every 10 minutes; the next alert says how many came between. */
  private alertOnce(terminalId: string, kind: AlertKind, topic: string, detail: string): void {
    const key = `${terminalId}\u0000${kind}`;
    const now = this.deps.now();
    const last = this.#alerted.get(key);
    if (last && now - last.at < ALERT_EVERY_MS) {
      last.since += 1;
      return;
    }
    if (!this.spendBudget(now)) return;
    const more = last && last.since > 0 ? `; ${last.since} more since the last alert` : "";
    this.#alerted.delete(key);
    this.#alerted.set(key, { at: now, since: 0 });
    trim(this.#alerted);
    const text = `${topic}: ${detail}${more}`;
    this.deps.log.warn({ code: "CT_MESSAGE_REFUSED", terminalId, topic, kind }, text);
    this.deps
      .alert({ kind, terminalId, detail: text })
      .catch((err: Error) => this.deps.log.error({ err: err.message, terminalId }, "alert not recorded"));
  }
}

/** A notice needs the request's corr: a journal batch or a heartbeat gets none. */
function noticeFor(
  corr: string | undefined,
  refused: RefusalCode,
  detail: string,
): Omit<RefusalNotice, "serverTimeMs"> | undefined {
  return corr === undefined ? undefined : { v: 1, corr, refused, detail };
}

/** Forgets the oldest entries past MAX_TRACKED (topics can name any terminal id). */
function trim<V>(map: Map<string, V>): void {
  while (map.size > MAX_TRACKED) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
