/**
 * The demo's MQTT broker: aedes in-process (MQTT 3.1.1 only), on 127.0.0.1. Production
 * uses the chain's Mosquitto or EMQX; this exists so `npm start` needs nothing installed.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(port: number, host = "127.0.0.1"): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    // Request/reply (online authorisation, till ops) is one small packet each way: without
    // TCP_NODELAY the broker's forwards wait on delayed ACKs, ~40 ms per hop on loopback.
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  let closed = false;
  return {
    url: `mqtt://${host}:${actual}`,
    port: actual,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
