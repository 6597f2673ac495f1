/**
 * The central server's row: a ping through the broker (protocol/ping.ts) must be answered
 * by the server, and the server's clock must agree with this box's. Receipt times, the
 * business day and the offline age limit (DESIGN §4 rule 7) all trust the box's clock:
 * beyond `warnSkewMs` the row warns, beyond `failSkewMs` it fails, with the NTP fix.
 */
import { randomUUID } from "node:crypto";
import type { AgentConfig } from "../../config/agent-config.js";
import { clockSkewMs, decodePing, type PingRequest } from "../../protocol/ping.js";
import { topics } from "../../protocol/topics.js";
import type { AgentStatusView } from "./agent-probe.js";
import type { CheckContext, DoctorCheck, Finding, Say } from "./doctor-row.js";
import { pause, sayIn, shortDuration } from "./doctor-row.js";
import { brokerUnreachable, connectProbe } from "./mqtt-probe.js";

export const SKEW_LIMITS = { warnMs: 30_000, failMs: 5 * 60_000 };

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
    const answered = new Promise<{ serverTimeMs: number; receivedAt: number }>((resolve) => {
      client.on("message", (topic, payload) => {
        if (topic !== topics.pong(id)) return;
        const pong = decodePing("pingReply", payload);
        if (pong.ok && pong.value.corr === corr)
          resolve({ serverTimeMs: pong.value.serverTimeMs, receivedAt: ctx.now() });
      });
    });
    const ping: PingRequest = { v: 1, corr, terminalId: id, sentAt: new Date(sentAt).toISOString() };
    await client.publishAsync(topics.ping(id), JSON.stringify(ping), { qos: 1 });
    const pong = await Promise.race([answered, pause(o.waitMs, ctx.signal).then(() => null)]);
    if (!pong) return noAnswer(o, say);
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
