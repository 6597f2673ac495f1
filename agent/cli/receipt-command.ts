/**
 * `cardterm receipt reprint | list | self-test --config FILE` — receipts for the cashier's
 * supervisor and the technician.
 *
 * When the agent runs, the command asks it over the local API, so that one process owns
 * the printer and the print queue and a receipt is never printed by two at once. When it
 * does not (connection refused), the command opens the print queue and the printer itself
 * and prints just the one receipt.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import { loadConfig } from "../../config/load-config.js";
import type { CommandSpec, ParsedInput } from "../../lib/cli/command-spec.js";
import { textOf } from "../../lib/cli/command-spec.js";
import { runSome } from "../../lib/cli/run-cli.js";
import { isCardtermError } from "../../protocol/errors.js";
import { silentLogger } from "../logger.js";
import type { ReceiptOutcome, StoredJob } from "../receipts/print-queue.js";
import { createPrinter } from "../receipts/printer-registry.js";
import { selfTestData, startReceipts } from "../receipts/receipt-setup.js";
import { AGENT_VERSION } from "../version.js";
import { CONFIG_OPTION, CONSOLE_OUTPUT } from "./common-options.js";

type Out = (line: string) => void;
type Sub = "reprint" | "list" | "self-test";

const SPECS: Record<Sub, Omit<CommandSpec, "path" | "run">> = {
  reprint: {
    summary: "print a kept receipt again, marked REPRINT (one still waiting for the printer prints now)",
    args: ["<txnId>"],
    options: [CONFIG_OPTION],
    examples: ["cardterm receipt reprint T001-000123 --config /etc/cardterm/cardterm.yaml"],
  },
  list: {
    summary: "the receipts kept on this box, waiting ones marked",
    options: [CONFIG_OPTION],
    examples: ["cardterm receipt list --config /etc/cardterm/cardterm.yaml"],
  },
  "self-test": {
    summary: "print the technician's self-test page",
    options: [CONFIG_OPTION],
    examples: ["cardterm receipt self-test --config /etc/cardterm/cardterm.yaml"],
  },
};

function receiptSpecs(out: Out, err: Out): CommandSpec[] {
  return (Object.keys(SPECS) as Sub[]).map((sub) => ({
    path: `receipt ${sub}`,
    ...SPECS[sub],
    run: (input: ParsedInput) => receipt(sub, input, out, err),
  }));
}

export const RECEIPT_COMMANDS: readonly CommandSpec[] = receiptSpecs(console.log, console.error);

/** `cardterm receipt …` from an argument list (tests call this). */
export function receiptCommand(args: string[], out: Out = console.log, err: Out = console.error): Promise<number> {
  return runSome("cardterm", receiptSpecs(out, err), ["receipt", ...args], CONSOLE_OUTPUT);
}

async function receipt(sub: Sub, input: ParsedInput, out: Out, err: Out): Promise<number> {
  const values = { config: textOf(input, "config") as string };
  const id = input.args[0];
  const config = await loadConfig(values.config);
  const agent = await askAgent(config, sub, id);
  if (agent.kind === "unreachable") {
    err(`the agent at ${apiBase(config)} does not answer: ${agent.why}`);
    return 1;
  }
  if (agent.kind === "answered") return report(sub, agent.status, agent.body, out, err);
  return locally(config, sub, id, out, err);
}

type AgentAnswer =
  | { kind: "answered"; status: number; body: unknown }
  | { kind: "not-running" }
  | { kind: "unreachable"; why: string };

function apiBase(config: AgentConfig): string {
  const host = ["0.0.0.0", "::", ""].includes(config.api.host) ? "127.0.0.1" : config.api.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.api.port}`;
}

async function askAgent(config: AgentConfig, sub: string, id: string | undefined): Promise<AgentAnswer> {
  const base = `${apiBase(config)}/api/v1/receipts`;
  const url =
    sub === "list" ? base : sub === "self-test" ? `${base}/self-test` : `${base}/${encodeURIComponent(id!)}/reprint`;
  try {
    const res = await fetch(url, { method: sub === "list" ? "GET" : "POST", signal: AbortSignal.timeout(15_000) });
    return { kind: "answered", status: res.status, body: await res.json() };
  } catch (e) {
    const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ECONNREFUSED") return { kind: "not-running" };
    return { kind: "unreachable", why: (e as Error).message };
  }
}

/** The agent is not running: open the queue and the printer here, print one receipt, close. */
async function locally(config: AgentConfig, sub: string, id: string | undefined, out: Out, err: Out): Promise<number> {
  if (sub !== "list" && config.printer.type === "none") {
    err(`${config.source}: no printer is configured (printer.type: none)`);
    return 1;
  }
  const log = silentLogger();
  const printer = createPrinter(config.printer, { language: config.terminal.language, log });
  try {
    const { queue } = await startReceipts({ config, printer, log, monitor: false, start: false });
    if (sub === "list") return report(sub, 200, { receipts: queue.list().map(summary) }, out, err);
    let jobId = id!;
    if (sub === "self-test") {
      const data = selfTestData({
        config,
        version: AGENT_VERSION,
        at: Date.now(),
        readers: config.readers.map((r) => ({ id: r.id, type: r.type, state: "agent stopped" })),
        brokerConnected: null,
        lastContactAt: null,
        journalPending: null,
        receiptsQueued: queue.status().pending,
      });
      jobId = await queue.store({ template: "self-test", data });
    }
    return report(sub, 200, await queue.printOnce(jobId), out, err);
  } catch (e) {
    if (isCardtermError(e, "CT_NOT_FOUND")) return report(sub, 404, { code: e.code, message: e.message }, out, err);
    throw e;
  } finally {
    await printer.close();
  }
}

function summary(j: StoredJob) {
  return {
    jobId: j.id,
    template: j.request.template,
    createdAt: j.createdAt,
    state: j.state,
    prints: j.prints,
    printedAt: j.printedAt,
    attempts: j.attempts,
    lastError: j.lastError,
  };
}

function report(sub: string, status: number, body: unknown, out: Out, err: Out): number {
  if (status >= 400) {
    const b = body as { code?: string; message?: string };
    err(b.message ?? `${b.code ?? "error"} (HTTP ${status})`);
    return 1;
  }
  if (sub === "list") {
    const list = (body as { receipts: ReturnType<typeof summary>[] }).receipts;
    for (const r of list) {
      const state =
        r.state === "pending"
          ? `WAITING (${r.attempts} attempts${r.lastError ? `: ${r.lastError}` : ""})`
          : `printed ×${r.prints}`;
      out(`${r.createdAt}  ${r.template.padEnd(11)}  ${r.jobId}  ${state}`);
    }
    out(`${list.length} receipt(s), ${list.filter((r) => r.state === "pending").length} waiting`);
    return 0;
  }
  const o = body as ReceiptOutcome;
  if (o.printed === true) {
    out(`receipt ${o.jobId} printed${o.previewPng ? ` (preview ${o.previewPng})` : ""}`);
    return 0;
  }
  err(
    `receipt ${o.jobId} not printed${o.printed === "queued" ? " yet; it is kept and prints when the printer is back" : ""}${o.error ? `: ${o.error}` : ""}`,
  );
  return 1;
}
