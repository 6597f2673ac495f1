/**
 * An embedded aedes broker (MQTT 3.1.1 only) on 127.0.0.1 and a free port, for tests.
 * close() drops every client connection and stops listening.
 */
import { createServer, type Socket } from "node:net";

export interface TestBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startAedes(): Promise<TestBroker> {
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("aedes test broker has no TCP port");
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    port: address.port,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
