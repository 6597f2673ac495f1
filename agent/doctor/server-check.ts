/**
 * The central server's row: a ping through the broker (protocol/ping.ts) must be answered
 * by the server, and the server's clock must agree with this box's. Receipt times, the
 * business day and the offline age limit (offline rule 7) all trust the box's clock:
 * beyond `warnSkewMs` the row warns, beyond `failSkewMs` it fails, with the NTP fix.
 *
 * The ping goes sealed with this till's key and only a sealed pong counts (docs/security.md),
 * so the row also proves head office knows this till and holds its key; when it does not,
 * the server's refusal notice fails the row with TERMINAL_NOT_REGISTERED and what head
 * office said, instead of a time-out that reads like a network fault.
 */
import { randomUUID } from "node:crypto";
import type { AgentConfig } from "../../config/agent-config.js";
import { MESSAGE_WINDOW_MS } from "../../protocol/message-mac.js";
import { clockSkewMs, decodePing, type PingRequest } from "../../protocol/ping.js";
import type { RefusalNotice } from "../../protocol/refusal-notice.js";
import { topics } from "../../protocol/topics.js";
import { silentLogger } from "../logger.js";
import { LinkSeal } from "../sync/link-seal.js";
import type { AgentStatusView } from "./agent-probe.js";
import type { CheckContext, DoctorCheck, Finding, Say } from "./doctor-row.js";
import { pause, sayIn, shortDuration } from "./doctor-row.js";
import { brokerUnreachable, connectProbe } from "./mqtt-probe.js";

/** Beyond MESSAGE_WINDOW_MS head office refuses the till's online requests (protocol/message-mac.ts): that is a failure. */
export const SKEW_LIMITS = { warnMs: 30_000, failMs: MESSAGE_WINDOW_MS };

export interface ServerCheckOptions {
  config: AgentConfig;
  label: string;
  agent: AgentStatusView | null;
  /** How long the connect, and then the server's answer, may each take. */
  waitMs: number;
  skew?: { warnMs: number; failMs: number };
}

export function serverCheck(o: ServerCheckOptions): DoctorCheck {
  return { check: "server", label: o.label, via: "direct", run: (ctx) => run(o, ctx) };
}

async function run(o: ServerCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  let conn: Awaited<ReturnType<typeof connectProbe>>;
  try {
    conn = await connectProbe(o.config, { timeoutMs: o.waitMs, signal: ctx.signal, now: ctx.now });
  } catch (err) {
    const b = brokerUnreachable(err, o.config, say);
    return { ...b, detail: say(`无法询问服务器：${b.detail}`, `cannot ask the server: ${b.detail}`) };
  }
  const { client } = conn;
  try {
    const id = o.config.terminal.id;
    await client.subscribeAsync(topics.pong(id), { qos: 1 });
    const corr = randomUUID();
    const sentAt = ctx.now();
    const seal = new LinkSeal(o.config.terminal.key, ctx.now, silentLogger());
    const answered = new Promise<{ serverTimeMs: number; receivedAt: number } | RefusalNotice>((resolve) => {
      client.on("message", (topic, payload) => {
        if (topic !== topics.pong(id)) return;
        const got = seal.incoming(topic, payload);
        if (got.kind === "notice" && got.notice.corr === corr) resolve(got.notice);
        if (got.kind !== "verified") return;
        const pong = decodePing("pingReply", got.payload);
        if (pong.ok && pong.value.corr === corr)
          resolve({ serverTimeMs: pong.value.serverTimeMs, receivedAt: ctx.now() });
      });
    });
    const ping: PingRequest = { v: 1, corr, terminalId: id, sentAt: new Date(sentAt).toISOString() };
    await client.publishAsync(topics.ping(id), seal.outgoing(topics.ping(id), JSON.stringify(ping)), { qos: 1 });
    const pong = await Promise.race([answered, pause(o.waitMs, ctx.signal).then(() => null)]);
    if (!pong) return noAnswer(o, say);
    if ("refused" in pong) return refused(pong, id, say);
    const skew = clockSkewMs(sentAt, pong.receivedAt, pong.serverTimeMs);
    return judgeSkew(skew, pong.receivedAt - sentAt, o.skew ?? SKEW_LIMITS, say, lastContact(o.agent, ctx, say));
  } finally {
    client.end(true);
  }
}

function judgeSkew(
  skewMs: number,
  rttMs: number,
  limits: { warnMs: number; failMs: number },
  say: Say,
  contact: string,
): Finding {
  const direction = skewMs > 0 ? say("快", "ahead") : say("慢", "behind");
  const skewText =
    Math.abs(skewMs) < 1000
      ? say("时钟一致（相差不到 1 秒）", "clocks agree (within 1 s)")
      : say(
          `本机时钟比服务器${direction} ${shortDuration(skewMs)}`,
          `this box's clock is ${shortDuration(skewMs)} ${direction} of the server's`,
        );
  const detail = [say(`服务器应答 ${rttMs} ms`, `server answered in ${rttMs} ms`), skewText, contact]
    .filter(Boolean)
    .join("; ");
  const fix = say(
    "打开网络校时：timedatectl set-ntp true，用 timedatectl status 确认 “System clock synchronized: yes”",
    "turn on network time: timedatectl set-ntp true; check that timedatectl status says “System clock synchronized: yes”",
  );
  if (Math.abs(skewMs) > limits.failMs) return { verdict: "FAIL", via: "direct", code: "CT_CLOCK_SKEW", detail, fix };
  if (Math.abs(skewMs) > limits.warnMs) return { verdict: "WARN", via: "direct", code: "CT_CLOCK_SKEW", detail, fix };
  return { verdict: "PASS", via: "direct", detail };
}

function refused(notice: RefusalNotice, id: string, say: Say): Finding {
  return {
    verdict: "FAIL",
    via: "direct",
    code: "CT_TERMINAL_NOT_REGISTERED",
    detail: say(
      `中心服务器应答了，但不认可本机 ${id}（${notice.refused}）：${notice.detail}`,
      `the central server answered but does not recognise till ${id} (${notice.refused}): ${notice.detail}`,
    ),
    fix: say(
      `请总部登记本机或重新生成配置：cardterm-hq terminal add ${id}（已登记则加 --force），然后安装它打印的配置`,
      `have head office register this till or provision it again: cardterm-hq terminal add ${id} (with --force if it is registered), then install the config it prints`,
    ),
  };
}

function noAnswer(o: ServerCheckOptions, say: Say): Finding {
  const s = Math.round(o.waitMs / 1000);
  return {
    verdict: "FAIL",
    via: "direct",
    code: "CT_SERVER_TIMEOUT",
    detail: say(
      `消息服务器可以连接，但中心服务器 ${s} 秒内没有应答`,
      `the broker is reachable, but the central server did not answer within ${s} s`,
    ),
    fix: say(
      "联系总部：确认中心服务器 cardterm-hq 正在运行并连在同一个消息服务器上；期间可以离线交易（在限额内）",
      "call head office: is the central server (cardterm-hq) running and connected to this broker? Meanwhile sales go on offline, within the limits",
    ),
  };
}

function lastContact(agent: AgentStatusView | null, ctx: CheckContext, say: Say): string {
  const at = agent?.server.lastContactAt;
  if (!agent) return "";
  if (!at) return say("代理尚未与服务器联系过", "the agent has not reached the server yet");
  return say(
    `代理上次联系服务器 ${shortDuration(ctx.now() - Date.parse(at))} 前`,
    `the agent last reached it ${shortDuration(ctx.now() - Date.parse(at))} ago`,
  );
}
