/**
 * A real Mosquitto per test suite, on a free loopback port with its own config file
 * (docs/architecture.md#testing-against-real-components). `stop()` kills it by pid; `start()`
 * brings it back on the same port, with its persistence file, as a broker restart in production
 * would (a SIGKILL loses what was not yet saved; `stop("SIGTERM")` saves first).
 *
 * Options add what the security and fault suites need: a per-client queue limit, a TLS
 * listener, a password file and an ACL file. The broker's log is kept (`log()`) so a
 * test can show what Mosquitto did silently (a denied or dropped message).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, waitForPort } from "./free-port.js";

export interface MosquittoBroker {
  /** mqtt://127.0.0.1:PORT, or mqtts:// with `tls`. */
  url: string;
  port: number;
  /** The broker's own directory (config, persistence). */
  dir: string;
  /** Kills the broker by pid (SIGKILL by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** Reloads the password and ACL files (SIGHUP), e.g. after `cardterm-hq terminal add`. */
  reload(): Promise<void>;
  /** What the broker logged so far (last 256 KiB). */
  log(): string;
  close(): Promise<void>;
}

export interface MosquittoOptions {
  /** Lines appended to the generated config. */
  extraConfig?: string;
  /** Per-client QoS 1 queue limit; beyond it Mosquitto drops messages silently. Default 100000. */
  maxQueuedMessages?: number;
  /** Serve TLS instead of plain TCP. */
  tls?: { caFile: string; certFile: string; keyFile: string; requireCertificate?: boolean };
  /** mosquitto_passwd file; anonymous clients are refused when set. */
  passwordFile?: string;
  aclFile?: string;
  /** Mosquitto log types to keep (default error, warning, notice). */
  logTypes?: string[];
}

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";

export async function startMosquitto(options: string | MosquittoOptions = {}): Promise<MosquittoBroker> {
  const opts: MosquittoOptions = typeof options === "string" ? { extraConfig: options } : options;
  const dir = await mkdtemp(join(tmpdir(), "cardterm-mosq-"));
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  await writeFile(conf, configText(opts, port, dir));
  let child: ChildProcess | undefined;
  let logText = "";
  const broker: MosquittoBroker = {
    url: `${opts.tls ? "mqtts" : "mqtt"}://127.0.0.1:${port}`,
    port,
    dir,
    async start() {
      if (child) return;
      const c = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
      child = c;
      killOnExit(c);
      c.stderr?.on("data", (d: Buffer) => {
        logText = (logText + d.toString("utf8")).slice(-256 * 1024);
      });
      c.once("exit", () => {
        if (child === c) child = undefined;
      });
      await waitForPort(port);
    },
    async stop(signal = "SIGKILL") {
      const c = child;
      if (!c?.pid) return;
      const exited = new Promise((r) => c.once("exit", r));
      process.kill(c.pid, signal);
      await exited;
    },
    async reload() {
      if (child?.pid) process.kill(child.pid, "SIGHUP");
      // Mosquitto reloads at the top of its next loop; give it that loop.
      await new Promise((r) => setTimeout(r, 200));
    },
    log: () => logText,
    async close() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

function configText(opts: MosquittoOptions, port: number, dir: string): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${opts.passwordFile ? "false" : "true"}`,
    "persistence true",
    `persistence_location ${dir}/`,
    `max_queued_messages ${opts.maxQueuedMessages ?? 100_000}`,
    "set_tcp_nodelay true",
    "log_dest stderr",
    ...(opts.logTypes ?? ["error", "warning", "notice"]).map((t) => `log_type ${t}`),
  ];
  // Started as root, Mosquitto drops to the `mosquitto` user and can then read neither
  // the private temp dir nor the files in it; tests keep it as the user that started it.
  if (process.getuid?.() === 0) lines.push("user root");
  if (opts.tls) {
    lines.push(`cafile ${opts.tls.caFile}`, `certfile ${opts.tls.certFile}`, `keyfile ${opts.tls.keyFile}`);
    lines.push(`require_certificate ${opts.tls.requireCertificate ? "true" : "false"}`);
  }
  if (opts.passwordFile) lines.push(`password_file ${opts.passwordFile}`);
  if (opts.aclFile) lines.push(`acl_file ${opts.aclFile}`);
  if (opts.extraConfig) lines.push(opts.extraConfig);
  return `${lines.join("\n")}\n`;
}

export interface TestPki {
  caFile: string;
  /** For 127.0.0.1 and localhost. */
  server: { certFile: string; keyFile: string };
  /** A client certificate per name given (CN = the name), signed by the same CA. */
  clients: Record<string, { certFile: string; keyFile: string }>;
  /** A CA nobody trusts, with a server certificate of its own (the man in the middle). */
  rogue: { caFile: string; certFile: string; keyFile: string };
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1 and client certificates, made with
 * the openssl CLI (Node has no X.509 generation API). EC P-256, valid two days.
 */
export async function createTestPki(dir: string, clients: readonly string[] = []): Promise<TestPki> {
  const ca = await makeCa(dir, "ca", "cardterm test CA");
  const server = await issue(
    dir,
    ca,
    "server",
    "localhost",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth",
  );
  const issued: TestPki["clients"] = {};
  for (const name of clients)
    issued[name] = await issue(dir, ca, `client-${name}`, name, "extendedKeyUsage=clientAuth");
  const rogueCa = await makeCa(dir, "rogue-ca", "not the chain's CA");
  const rogue = await issue(dir, rogueCa, "rogue-server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  return { caFile: ca.certFile, server, clients: issued, rogue: { caFile: rogueCa.certFile, ...rogue } };
}

const openssl = (args: string[]) => promisify(execFile)("openssl", args);
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makeCa(dir: string, name: string, cn: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { certFile, keyFile };
}

async function issue(
  dir: string,
  ca: { certFile: string; keyFile: string },
  name: string,
  cn: string,
  extensions: string,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, `${extensions}\n`);
  await openssl(["req", ...EC, "-keyout", keyFile, "-out", csr, "-subj", `/CN=${cn}`]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  return { certFile, keyFile };
}

/** Killed by pid when this process exits, even after an uncaught error skipped the teardown. */
const children = new Set<ChildProcess>();
let exitHooked = false;
function killOnExit(child: ChildProcess): void {
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", () => {
      for (const c of children)
        if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, "SIGKILL");
    });
  }
  children.add(child);
  child.once("exit", () => children.delete(child));
}
