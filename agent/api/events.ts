/**
 * Events for the POS app (issue 7): a Server-Sent Events stream at GET /api/v1/events —
 * `tap` (masked card, member name, balance, level; for a sale also points and count
 * packages, sale-route.ts), `decision` (approved or declined, with the reason), `device`
 * (a reader or the printer changed state). Card numbers are masked before they reach the
 * hub, and PINs and their hashes never do; a slow client is dropped rather than buffered.
 */
import type { FastifyInstance } from "fastify";

export type TillEvent =
  | { type: "tap"; data: Record<string, unknown> }
  | { type: "decision"; data: Record<string, unknown> }
  | { type: "device"; data: Record<string, unknown> };

type Listener = (event: TillEvent) => void;

export class EventHub {
  private readonly listeners = new Set<Listener>();
  private lastDevices = "";

  publish(event: TillEvent): void {
    for (const l of this.listeners) l(event);
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
    const unsubscribe = hub.subscribe(send);
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    req.raw.on("close", () => {
      clearInterval(ping);
      unsubscribe();
    });
  });
}
