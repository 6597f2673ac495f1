/**
 * The broker's row: connect with the configured URL, credentials and TLS, then a round
 * trip — publish to this terminal's own test topic (topics.diagEcho) and receive it
 * back — with the time each took. When the agent runs, its own link state is shown too:
 * the doctor connecting while the agent cannot says the agent needs a restart.
 */
import { randomBytes } from "node:crypto";
import type { AgentConfig } from "../../config/agent-config.js";
import { topics } from "../../protocol/topics.js";
import type { AgentStatusView } from "./agent-probe.js";
import type { CheckContext, DoctorCheck, Finding, Say } from "./doctor-row.js";
import { pause, sayIn } from "./doctor-row.js";
import { brokerUnreachable, connectProbe, hostOf } from "./mqtt-probe.js";

export interface BrokerCheckOptions {
  config: AgentConfig;
  label: string;
  agent: AgentStatusView | null;
  /** How long the connect and the round trip may each take. */
  waitMs: number;
}

export function brokerCheck(o: BrokerCheckOptions): DoctorCheck {
  return { check: "broker", label: o.label, via: o.agent ? "agent+direct" : "direct", run: (ctx) => run(o, ctx) };
}

async function run(o: BrokerCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  let conn: Awaited<ReturnType<typeof connectProbe>>;
  try {
    conn = await connectProbe(o.config, { timeoutMs: o.waitMs, signal: ctx.signal, now: ctx.now });
  } catch (err) {
    const failed = brokerUnreachable(err, o.config, say);
    return o.agent
      ? { ...failed, via: "agent+direct", detail: `${failed.detail}; ${agentView(o.agent, say)}` }
      : failed;
  }
  const { client, connectMs } = conn;
  try {
    const echo = await roundTrip(client, topics.diagEcho(o.config.terminal.id), o.waitMs, ctx);
    const connected = say(
      `已连接 ${hostOf(o.config.server.mqttUrl)}（${connectMs} ms）`,
      `connected to ${hostOf(o.config.server.mqttUrl)} in ${connectMs} ms`,
    );
    const parts = [connected];
    let finding: Finding;
    if (echo.ok) {
      parts.push(say(`往返 ${echo.ms} ms`, `round trip ${echo.ms} ms`));
      finding = { verdict: "PASS", via: "direct", detail: "" };
    } else {
      parts.push(echo.why);
      finding = {
        verdict: "WARN",
        via: "direct",
        detail: "",
        fix: say(
          "消息服务器收下了测试消息但没有送回：ACL 需允许终端读写 cardterm/v1/t/<终端号>/diag/#（pattern readwrite cardterm/v1/t/%u/diag/#）",
          "the broker took the test message but did not send it back: its ACL must let a terminal read and write cardterm/v1/t/<id>/diag/# (pattern readwrite cardterm/v1/t/%u/diag/#)",
        ),
      };
    }
    if (o.agent) {
      parts.push(agentView(o.agent, say));
      if (!o.agent.broker.connected && finding.verdict === "PASS") {
        finding = {
          verdict: "WARN",
          via: "agent+direct",
          detail: "",
          fix: say(
            "诊断程序能连上而代理连不上：代理会自动重试；一分钟后仍未连上就重启代理（systemctl restart cardterm）",
            "the doctor connects but the agent does not: it retries by itself; if it is still down in a minute, restart it (systemctl restart cardterm)",
          ),
        };
      }
      finding.via = "agent+direct";
    }
    return { ...finding, detail: parts.join("; ") };
  } finally {
    client.end(true);
  }
}

type Echo = { ok: true; ms: number } | { ok: false; why: string };

/** Subscribe, publish a nonce at QoS 1, wait for it to come back. */
async function roundTrip(
  client: import("mqtt").MqttClient,
  topic: string,
  waitMs: number,
  ctx: CheckContext,
): Promise<Echo> {
  const say = sayIn(ctx.lang);
  const granted = await client.subscribeAsync(topic, { qos: 1 });
  if (granted.some((g) => g.qos === 128)) {
    return { ok: false, why: say(`消息服务器拒绝订阅 ${topic}`, `the broker refused the subscription to ${topic}`) };
  }
  const nonce = randomBytes(8).toString("hex");
  const started = ctx.now();
  const back = new Promise<number>((resolve) => {
    client.on("message", (t, payload) => {
      if (t === topic && payload.toString() === nonce) resolve(ctx.now() - started);
    });
  });
  await client.publishAsync(topic, nonce, { qos: 1 });
  const ms = await Promise.race([back, pause(waitMs, ctx.signal).then(() => null)]);
  if (ms === null)
    return {
      ok: false,
      why: say(
        `${Math.round(waitMs / 1000)} 秒内未收到回送`,
        `not received back within ${Math.round(waitMs / 1000)} s`,
      ),
    };
  return { ok: true, ms };
}

function agentView(agent: AgentStatusView, say: Say): string {
  const b = agent.broker;
  if (b.connected) return say(`代理已连接（自 ${b.since ?? "?"}）`, `agent connected since ${b.since ?? "?"}`);
  return say(
    `代理未连接${b.lastError ? `：${b.lastError}` : ""}`,
    `agent not connected${b.lastError ? `: ${b.lastError}` : ""}`,
  );
}
