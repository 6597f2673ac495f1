/**
 * The rig `cardterm doctor` is run against (test/e2e/doctor.test.ts): the embedded broker,
 * the central server on PGlite, a socat pty for the serial reader, the TCP printer
 * stand-in, a temp data dir and the YAML config naming them all; the doctor run as a
 * separate process with `--json`, its rows by check.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Test } from "tap";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { openDb } from "../../server/db/open-db.js";
import { startHqServer } from "../../server/hq-server.js";
import { hotlistDelta, hotlistDocument } from "../../server/ledger/hotlist.js";
import { currentPolicy } from "../../server/ledger/policy-store.js";
import { terminalKeyOf } from "../../server/ledger/terminal-keys.js";
import type { HqLedger } from "../../server/mqtt/hq-link.js";
import { decodeEscPos } from "../helpers/escpos-decode.js";
import { freePort } from "../helpers/free-port.js";
import { type PtyPair, startPtyPair } from "../helpers/socat.js";
import { TcpPrinterStandIn } from "../helpers/tcp-printer.js";
import { tempDir } from "../helpers/temp-dir.js";

const CLI = fileURLToPath(new URL("../../agent/cli/cardterm.ts", import.meta.url));
export const TOKEN = "doctor-test-token-0123456789";

export interface Row {
  check: string;
  verdict: string;
  via: string;
  detail: string;
  fix?: string;
  code?: string;
}
export interface Run {
  code: number | null;
  rows: Record<string, Row>;
  stderr: string;
}

/** Runs `cardterm doctor --json` as a child process; `onStderr` sees what it tells the technician. */
export function doctor(
  config: string,
  args: string[] = [],
  onStderr?: (text: string) => void,
  stdin?: string,
): Promise<Run> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CLI, "doctor", "--config", config, "--json", "--lang", "en", "--timeout", "8", ...args],
    { stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] },
  );
  if (stdin !== undefined) child.stdin?.end(stdin);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    onStderr?.(stderr);
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      try {
        const report = JSON.parse(stdout) as { rows: Row[]; exitCode: number };
        if (report.exitCode !== code) throw new Error(`exit ${code} but the report says ${report.exitCode}`);
        resolve({ code, rows: Object.fromEntries(report.rows.map((r) => [r.check, r])), stderr });
      } catch (err) {
        reject(new Error(`doctor printed no report (exit ${code}): ${(err as Error).message}\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Taps a card on the serial reader once the doctor asks for one (as the technician would). */
export function tapWhenAsked(pty: PtyPair): (stderr: string) => void {
  let tapped = false;
  return (stderr) => {
    if (tapped || !/tap a card on reader front/.test(stderr)) return;
    tapped = true;
    void pty.write("0012345678\r\n");
  };
}

/** The rows other than `except` all passed (or were skipped for a reason given). */
export function othersPass(t: Test, run: Run, except: string[]): void {
  for (const [check, row] of Object.entries(run.rows)) {
    // The rig's till has no operators: that row WARNs CT_NO_OPERATORS (doctor.test.ts checks it).
    if (check === "operators") continue;
    if (!except.includes(check)) t.equal(row.verdict, "PASS", `${check} still passes: ${row.detail}`);
  }
}

export async function rig(t: Test) {
  const dir = await tempDir(t, "cardterm-doctor-");
  const key = randomBytes(32);
  const mqttPort = await freePort();
  let broker = await startEmbeddedBroker(mqttPort);
  t.teardown(() => broker.close());
  const db = await openDb({});
  t.teardown(() => db.close());
  const startHq = () =>
    startHqServer({
      mqttUrl: broker.url,
      db,
      seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
      reconnectPeriodMs: 200,
      log: silentLogger(),
    });
  let hq = await startHq();
  t.teardown(() => hq.close());
  const pty = await startPtyPair();
  t.teardown(() => pty.stop());
  const printer = await TcpPrinterStandIn.start();
  t.teardown(() => printer.close());
  const apiPort = await freePort();
  const yaml = (dataDir: string, extra = "") =>
    `terminal:\n  id: T001\n  key: { hex: "${key.toString("hex")}" }\n  dataDir: ${dataDir}\n` +
    `server:\n  mqttUrl: ${broker.url}\napi:\n  port: ${apiPort}\n  token: "${TOKEN}"\n` +
    `readers:\n  - id: front\n    type: serial-id\n    path: ${pty.agentPath}\n` +
    `printer:\n  type: network\n  host: 127.0.0.1\n  port: ${printer.port}\n${extra}`;
  const config = `${dir}/cardterm.yaml`;
  await writeFile(config, yaml(`${dir}/data`));
  return {
    dir,
    key,
    config,
    yaml,
    pty,
    printer,
    db,
    get broker() {
      return broker;
    },
    async restartBroker() {
      broker = await startEmbeddedBroker(mqttPort);
    },
    async stopHq() {
      await hq.close();
    },
    async startHq() {
      hq = await startHq();
    },
    /** The self-test pages the printer stand-in received, as text. */
    pages(): string[] {
      return printer
        .jobs()
        .map((bytes) => decodeEscPos(bytes).lines.join("\n"))
        .filter((text) => text.includes("打印机自检"));
    },
  };
}

/** A server link that answers pings and publishes the documents, and nothing else (the skewed clock's). */
export function documentsOnly(db: Awaited<ReturnType<typeof openDb>>): HqLedger {
  const ignored = async () => ({ ok: false, reason: "not this test's server" }) as never;
  return {
    ingest: ignored,
    authorise: ignored,
    tillOp: async () => undefined,
    presence: async () => {},
    heartbeat: async () => {},
    terminalKey: (id) => terminalKeyOf(db, id),
    alert: async () => {},
    policy: () => currentPolicy(db),
    hotlist: () => hotlistDocument(db),
    hotlistDelta: (from, to) => hotlistDelta(db, from, to),
  };
}

export function sale(txnId: string) {
  const day = new Date().toISOString().slice(0, 10);
  return {
    txnId,
    kind: "sale" as const,
    mode: "offline" as const,
    at: new Date().toISOString(),
    businessDay: day,
    operatorId: "001",
    cardId: "id:0012345678",
    gross: 500,
    discount: 0,
    net: 500,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter: null,
  };
}
