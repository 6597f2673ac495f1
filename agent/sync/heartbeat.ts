/**
 * The terminal's heartbeat (DESIGN §5): device states, journal queue depth and integrity, and the
 * policy, hotlist and operators versions held, published on every connect and every `intervalMs`.
 * QoS 0: a lost heartbeat is replaced by the next one; nothing depends on each.
 */
import type { Timer, Timers } from "../../lib/timers.js";
import { forHeartbeat, type JournalIntegrity } from "../../protocol/journal-integrity.js";
import type { Heartbeat } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { Logger } from "../logger.js";
import type { MqttLink } from "./mqtt-link.js";

export interface HeartbeatSource {
  pending(): number;
  versions(): { policy: number | null; hotlist: number | null };
  /** Head office's operators document held (operators-cache.ts): head office sees which tills lack a change. */
  operatorsVersion?(): number | null;
  /** Device id → state, e.g. { "reader:front": "present", "printer:receipt": "paper-out" }. */
  devices(): Record<string, string>;
  /** The journal's integrity (TerminalLedger.checkIntegrity): head office alerts on a failure (issue 13 defect 5). */
  integrity?(): JournalIntegrity;
}

export class HeartbeatPublisher {
  private timer: Timer | undefined;

  constructor(
    private readonly link: MqttLink,
    private readonly terminalId: string,
    private readonly source: HeartbeatSource,
    private readonly opts: { intervalMs: number; now: () => number; timers: Timers; log: Logger },
  ) {
    link.on("connected", () => this.beat());
  }

  start(): void {
    this.timer = this.opts.timers.setInterval(() => this.beat(), this.opts.intervalMs).unref();
  }

  beat(): void {
    if (!this.link.isConnected()) return;
    const versions = this.source.versions();
    const message: Heartbeat = {
      v: 1,
      at: new Date(this.opts.now()).toISOString(),
      pending: this.source.pending(),
      policyVersion: versions.policy,
      hotlistVersion: versions.hotlist,
      ...(this.source.operatorsVersion ? { operatorsVersion: this.source.operatorsVersion() } : {}),
      ...(this.source.integrity ? { integrity: forHeartbeat(this.source.integrity()) } : {}),
      devices: this.source.devices(),
    };
    this.link.publish(topics.heartbeat(this.terminalId), JSON.stringify(message), { qos: 0 }).catch((err: Error) => {
      this.opts.log.debug({ err: err.message }, "heartbeat not sent");
    });
  }

  close(): void {
    this.opts.timers.clearInterval(this.timer);
  }
}
