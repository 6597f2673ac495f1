/**
 * A real Mosquitto per test suite, on a free loopback port with its own config file
 * (TESTBED). `stop()` kills it by pid; `restart()` brings it back on the same port, with
 * its persistence file, as a broker restart in production would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./free-port.js";

export interface MosquittoBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";

export async function startMosquitto(extraConfig = ""): Promise<MosquittoBroker> {
  const dir = await mkdtemp(join(tmpdir(), "cardterm-mosq-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence true",
      `persistence_location ${dir}/`,
      "max_queued_messages 100000",
      "set_tcp_nodelay true",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      extraConfig,
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  const broker: MosquittoBroker = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async start() {
      if (child) return;
      child = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
      child.stderr?.on("data", () => {});
      child.once("exit", () => {
        child = undefined;
      });
      await waitForPort(port);
    },
    async stop() {
      const c = child;
      if (!c?.pid) return;
      const exited = new Promise((r) => c.once("exit", r));
      process.kill(c.pid, "SIGKILL");
      await exited;
    },
    async close() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
