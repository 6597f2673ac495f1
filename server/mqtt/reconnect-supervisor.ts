/**
 * Head office's reconnects to the broker: capped exponential backoff with jitter
 * (lib/backoff.ts) instead of MQTT.js's fixed period, and an outage logged a few
 * times instead of per attempt (lib/outage-log.ts). Issue 15 saw ~one warning a
 * second while the broker was down: the fixed 2 s period, each attempt's error and
 * "offline" line.
 *
 * MQTT.js's own loop is turned off (reconnectPeriod 0, set by the caller) and each close
 * that we did not ask for schedules one `reconnect`, with the client's own stores passed
 * back so the messages waiting for a PUBACK survive it (without them MQTT.js starts
 * empty stores). A close from `end()` (disconnecting / disconnected) schedules nothing.
 */
import type { MqttClient } from "mqtt";
import { Backoff, type BackoffOptions, BROKER_RECONNECT } from "../../lib/backoff.js";
import { OutageLog, type OutageLogSink } from "../../lib/outage-log.js";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";

export interface ReconnectOptions {
  /** Default BROKER_RECONNECT: 1 s doubling to 5 s. */
  backoff?: BackoffOptions;
  log: OutageLogSink;
  now?: () => number;
  /** The waits between attempts (default Node's timers). */
  timers?: Timers | undefined;
}

export function superviseReconnects(client: MqttClient, o: ReconnectOptions): void {
  const backoff = new Backoff(o.backoff ?? BROKER_RECONNECT);
  const outage = new OutageLog({ what: "MQTT broker", log: o.log, now: o.now ?? Date.now });
  let lastError: string | null = null;
  const timers = o.timers ?? realTimers;
  let timer: Timer | undefined;
  const ended = () => client.disconnecting || client.disconnected;
  client.on("error", (err) => {
    lastError = err.message;
  });
  client.on("connect", () => {
    backoff.reset();
    lastError = null;
    outage.recovered();
  });
  client.on("close", () => {
    if (ended() || timer) return;
    const delay = backoff.next();
    outage.failed(lastError, delay);
    timer = timers
      .setTimeout(() => {
        timer = undefined;
        if (ended() || client.connected) return;
        client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
      }, delay)
      .unref();
  });
  client.once("end", () => timers.clearTimeout(timer));
}

/** `reconnectPeriodMs` of the server's options read as the cap (tests shorten it); base at most 1 s. */
export function reconnectBackoff(capMs: number | undefined): BackoffOptions {
  if (capMs === undefined) return BROKER_RECONNECT;
  return { baseMs: Math.min(BROKER_RECONNECT.baseMs, capMs), capMs };
}
