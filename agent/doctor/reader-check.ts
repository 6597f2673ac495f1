/**
 * A reader's row: found (the device is there and opens; pcscd answers and lists the
 * named reader) and reading (a card event seen recently, or — with --wait-tap — a card
 * the technician taps now).
 *
 * With the agent running, the reader is held by it: its state comes from the agent's
 * status. Without it, the doctor starts the same driver the agent would
 * (agent/readers/create-reader.ts), waits for it to settle, and closes it again.
 */
import type { ReaderConfig } from "../../config/agent-config.js";
import type { ConfigProblem } from "../../config/load-config.js";
import { formatProblems } from "../../config/load-config.js";
import type { CardReader, CardTap, ReaderStatus } from "../../drivers/readers/card-reader.js";
import type { ErrorCode } from "../../protocol/errors.js";
import { maskCardId } from "../../rules/card.js";
import type { AgentStatusView } from "./agent-probe.js";
import type { CheckContext, DoctorCheck, Finding, Say, Via } from "./doctor-row.js";
import { pause, sayIn, shortDuration } from "./doctor-row.js";

export interface ReaderCheckOptions {
  reader: ReaderConfig;
  label: string;
  /** The running agent's status, or null when it is not running. */
  agent: AgentStatusView | null;
  /** Asks the running agent again (for --wait-tap through the agent). */
  refreshAgent?: () => Promise<AgentStatusView | null>;
  /** The config's complaint about this reader's device path (file:line), if any. */
  pathProblem?: ConfigProblem;
  /** Start the driver (standalone). */
  open: (reader: ReaderConfig) => CardReader;
  /** How long a freshly opened driver may take to say present or error. */
  settleMs: number;
  /** --wait-tap: ask the technician to tap a card within this time. */
  waitTapMs?: number;
  /** Tells the technician to tap now. */
  prompt?: (text: string) => void;
  /** Polls (agent status, driver state) this often. */
  pollMs?: number;
}

export function readerCheck(o: ReaderCheckOptions): DoctorCheck {
  const via: Via = o.agent ? "agent" : "direct";
  return {
    check: `reader:${o.reader.id}`,
    label: o.label,
    via,
    ...(o.waitTapMs ? { timeoutMs: o.waitTapMs + o.settleMs + 5_000 } : {}),
    run: (ctx) => (o.agent ? viaAgent(o, o.agent, ctx) : direct(o, ctx)),
  };
}

async function viaAgent(o: ReaderCheckOptions, agent: AgentStatusView, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  const status = agent.readers.find((r) => r.id === o.reader.id);
  if (!status) {
    return {
      verdict: "FAIL",
      via: "agent",
      code: "CT_NOT_FOUND",
      detail: say(`运行中的代理没有读卡器 ${o.reader.id}`, `the running agent has no reader ${o.reader.id}`),
      fix: say(
        "代理用的是另一份配置：修改配置后要重启代理（systemctl restart cardterm）",
        "the agent runs with another config: restart it after changing the config (systemctl restart cardterm)",
      ),
    };
  }
  const seen = judge(o.reader, status, "agent", ctx, say);
  if (!o.waitTapMs || seen.verdict === "FAIL") return seen;
  const since = ctx.now();
  o.prompt?.(tapPrompt(o, say));
  while (ctx.now() - since < o.waitTapMs && !ctx.signal.aborted) {
    await pause(o.pollMs ?? 250);
    const now = (await o.refreshAgent?.())?.readers.find((r) => r.id === o.reader.id);
    const at = now?.lastEventAt ? Date.parse(now.lastEventAt) : Number.NaN;
    if (at >= since) return { verdict: "PASS", via: "agent", detail: say("读到了刷卡", "a card was read") };
  }
  return noTap(o, "agent", say);
}

async function direct(o: ReaderCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  if (o.pathProblem) {
    return { ...unavailable(o.reader, say), detail: formatProblems([o.pathProblem]), via: "direct" };
  }
  const reader = o.open(o.reader);
  const taps: CardTap[] = [];
  reader.on("tap", (tap) => taps.push(tap));
  const stop = () => void reader.close();
  ctx.signal.addEventListener("abort", stop, { once: true });
  try {
    await reader.start();
    const opened = ctx.now();
    while (reader.status().state === "starting" && ctx.now() - opened < o.settleMs && !ctx.signal.aborted) {
      await pause(o.pollMs ?? 50);
    }
    const found = judge(o.reader, reader.status(), "direct", ctx, say);
    if (!o.waitTapMs || found.verdict === "FAIL") return found;
    o.prompt?.(tapPrompt(o, say));
    const since = ctx.now();
    while (taps.length === 0 && ctx.now() - since < o.waitTapMs && !ctx.signal.aborted) await pause(o.pollMs ?? 50);
    const tap = taps[0];
    if (!tap) return noTap(o, "direct", say);
    return {
      verdict: "PASS",
      via: "direct",
      detail: say(`读到卡 ${maskCardId(tap.cardId)}`, `read card ${maskCardId(tap.cardId)}`),
    };
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    await reader.close();
  }
}

/** What a reader's state means to the technician. */
function judge(config: ReaderConfig, s: ReaderStatus, via: Via, ctx: CheckContext, say: Say): Finding {
  const detail = withoutCode(s.detail);
  const last = s.lastEventAt
    ? say(
        `上次读卡 ${shortDuration(ctx.now() - Date.parse(s.lastEventAt))} 前`,
        `last read ${shortDuration(ctx.now() - Date.parse(s.lastEventAt))} ago`,
      )
    : say("尚未读过卡", "no card read yet");
  switch (s.state) {
    case "present":
      if (config.type === "simulated")
        return { verdict: "PASS", via, detail: say("模拟读卡器（无设备）", "simulated reader (no device)") };
      return {
        verdict: "PASS",
        via,
        detail: [say("已打开", "open"), detail, via === "agent" ? last : ""].filter(Boolean).join("; "),
      };
    case "silent":
      return {
        verdict: "WARN",
        via,
        detail: `${detail ?? say("长时间没有读卡", "no card read for a long time")}; ${last}`,
        fix: say(
          "刷一张卡试试；没有反应就重新插拔读卡器连线",
          "tap a card; if nothing happens, reseat the reader's cable",
        ),
      };
    case "starting":
      return {
        verdict: "WARN",
        via,
        detail: say("仍在打开中", "still opening"),
        fix: say("稍后再运行 cardterm doctor", "run cardterm doctor again in a minute"),
      };
    case "lost":
      return { ...lost(config, say), via, detail: detail ?? s.state };
    default:
      return { ...unavailable(config, say), via, detail: detail ?? s.state };
  }
}

function unavailable(config: ReaderConfig, say: Say): Finding & { code: ErrorCode } {
  const fix =
    config.type === "pcsc"
      ? say(
          "启动 pcscd（systemctl start pcscd），插好读卡器，用 pcsc_scan 查看读卡器名称是否与配置 readerName 相符",
          "start pcscd (systemctl start pcscd), plug the reader in, and check with pcsc_scan that its name matches readerName",
        )
      : config.type === "keyboard-wedge"
        ? say(
            "插好读卡器；检查 path（ls -l /dev/input/by-id/），代理用户须在 input 组（docs/deploy.md）",
            "plug the reader in; check path (ls -l /dev/input/by-id/); the agent's user must be in the input group (docs/deploy.md)",
          )
        : say(
            "插好读卡器；检查配置中的 path（ls -l /dev/serial/by-id/），代理用户须在 dialout 组（docs/deploy.md）",
            "plug the reader in; check the path in the config (ls -l /dev/serial/by-id/); the agent's user must be in the dialout group (docs/deploy.md)",
          );
  return { verdict: "FAIL", via: "direct", code: "CT_READER_UNAVAILABLE", detail: "", fix };
}

function lost(config: ReaderConfig, say: Say): Finding {
  return {
    ...unavailable(config, say),
    code: "CT_READER_LOST",
    fix: say(
      "读卡器掉线，代理正在重连：重新插拔 USB 线；仍不行时按上面的 path 检查",
      "the reader dropped out and the agent is reopening it: reseat the USB cable; if it stays lost, check its path",
    ),
  };
}

function noTap(o: ReaderCheckOptions, via: Via, say: Say): Finding {
  const s = Math.round((o.waitTapMs ?? 0) / 1000);
  return {
    verdict: "FAIL",
    via,
    code: "CT_NO_TAP",
    detail: say(`已打开，但 ${s} 秒内没有读到卡`, `open, but no card was read within ${s} s`),
    fix: say(
      "确认卡的类型与读卡器相符（ID 卡 125 kHz / IC 卡 13.56 MHz），并检查配置中的波特率和格式（baudRate、format）",
      "check that the card suits the reader (ID 125 kHz vs IC 13.56 MHz) and the baudRate and format in the config",
    ),
  };
}

function tapPrompt(o: ReaderCheckOptions, say: Say): string {
  const s = Math.round((o.waitTapMs ?? 0) / 1000);
  return say(`请在 ${s} 秒内在读卡器 ${o.reader.id} 上刷一张卡…`, `tap a card on reader ${o.reader.id} within ${s} s…`);
}

/** The drivers start their details with the code; the table shows the code on its own. */
function withoutCode(detail: string | undefined): string | undefined {
  return detail?.replace(/^CT_[A-Z_]+:\s*/, "");
}
