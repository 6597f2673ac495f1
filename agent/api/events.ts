/**
 * Events for the POS app: a Server-Sent Events stream at GET /api/v1/events —
 * `tap` (masked card, member name, balance, level; for a sale also points and count
 * packages, sale-route.ts), `decision` (approved or declined, with the reason), `device`
 * (a reader or the printer changed state). Every event's data carries `at` (ISO time it
 * happened); a client that connects is sent the devices' states and the last few taps and
 * decisions first (recent()). Card numbers are masked before they reach the
 * hub, and PINs and their hashes never do; a slow client is dropped rather than buffered.
 */
import type { FastifyInstance } from "fastify";
import { realTimers, type Timers } from "../../lib/timers.js";

export type TillEvent =
  | { type: "tap"; data: Record<string, unknown> }
  | { type: "decision"; data: Record<string, unknown> }
  | { type: "device"; data: Record<string, unknown> };

type Listener = (event: TillEvent) => void;

/** Events a newly connected client is sent first: enough to fill a status screen. */
const RECENT_KEPT = 20;

export class EventHub {
  /**
   * `now` stamps each event's `at`, so one replayed to a late client keeps its own time;
   * `timers` keep each stream's keep-alive ping.
   */
  constructor(
    private readonly now: () => number = Date.now,
    readonly timers: Timers = realTimers,
  ) {}

  private readonly listeners = new Set<Listener>();
  private lastDevices = "";
  private readonly recentEvents: TillEvent[] = [];
  private devicesNow: TillEvent | undefined;

  publish(given: TillEvent): void {
    const at = given.data.at ?? new Date(this.now()).toISOString();
    const event = { ...given, data: { ...given.data, at } } as TillEvent;
    if (event.type === "device") this.devicesNow = event;
    else {
      this.recentEvents.push(event);
      if (this.recentEvents.length > RECENT_KEPT) this.recentEvents.shift();
    }
    for (const l of this.listeners) l(event);
  }

  /**
   * What a client that connects now has missed: the devices' current states, then the last
   * few taps and decisions (masked as published). A status screen opened on a quiet till
   * is filled at once instead of staying empty until something changes.
   */
  recent(): TillEvent[] {
    return [...(this.devicesNow ? [this.devicesNow] : []), ...this.recentEvents];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called on a timer with the device states; publishes only changes. */
  devices(states: Record<string, string>): void {
    const text = JSON.stringify(states);
    if (text === this.lastDevices) return;
    this.lastDevices = text;
    this.publish({ type: "device", data: states });
  }
}

export function eventRoutes(app: FastifyInstance, hub: EventHub): void {
  app.get("/api/v1/events", (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.write(": cardterm events\n\n");
    const send = (e: TillEvent) => {
      // Back-pressure: a client that stops reading is cut off, never buffered without end.
      if (!res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`)) res.destroy();
    };
    for (const e of hub.recent()) send(e);
    const unsubscribe = hub.subscribe(send);
    const ping = hub.timers.setInterval(() => res.write(": ping\n\n"), 15_000);
    req.raw.on("close", () => {
      hub.timers.clearInterval(ping);
      unsubscribe();
    });
  });
}
