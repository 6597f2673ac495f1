/**
 * A short-lived MQTT connection for the doctor's broker and server rows, made the way the
 * agent connects (server.mqttUrl, username, password, TLS files) but as a client of its
 * own: a fresh client id and a clean session, so it never takes over the running agent's
 * persistent session or fires its last will.
 */
import { randomBytes } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import type { AgentConfig } from "../../config/agent-config.js";
import { realTimers, type Timers } from "../../lib/timers.js";
import { tlsOptions } from "../sync/mqtt-link.js";
import type { Finding, Say } from "./doctor-row.js";

export interface ProbeConnection {
  client: MqttClient;
  connectMs: number;
}

/** Connects or rejects within `timeoutMs` (or when `signal` aborts); never retries. */
export async function connectProbe(
  config: AgentConfig,
  opts: { timeoutMs: number; signal: AbortSignal; now: () => number; timers?: Timers | undefined },
): Promise<ProbeConnection> {
  const timers = opts.timers ?? realTimers;
  const s = config.server;
  const started = opts.now();
  const client = mqtt.connect(s.mqttUrl, {
    clientId: `cardterm-${config.terminal.id}-doctor-${randomBytes(4).toString("hex")}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: opts.timeoutMs,
    ...(s.username ? { username: s.username } : {}),
    ...(s.password ? { password: s.password } : {}),
    ...tlsOptions(s.tls), // the agent's own rule (mqtt-link.ts): the doctor connects as the agent does
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(new Error(`no answer within ${opts.timeoutMs} ms`));
      const timer = timers.setTimeout(abort, opts.timeoutMs);
      opts.signal.addEventListener("abort", abort, { once: true });
      const done = (err?: Error) => {
        timers.clearTimeout(timer);
        opts.signal.removeEventListener("abort", abort);
        if (err) reject(err);
        else resolve();
      };
      client.once("connect", () => done());
      client.once("error", (err) => done(err));
      client.once("close", () => done(new Error("the broker closed the connection")));
    });
  } catch (err) {
    client.end(true);
    throw err;
  }
  // Request/response without Nagle's delay (TESTBED "MQTT"): the round trip is what is measured.
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  return { client, connectMs: opts.now() - started };
}

/** A failed connection as a FAIL row: what went wrong in words, and where to look. */
export function brokerUnreachable(err: unknown, config: AgentConfig, say: Say): Finding {
  const e = err as NodeJS.ErrnoException;
  const text = e?.message ?? String(err);
  const where = hostOf(config.server.mqttUrl);
  const code = e?.code ?? "";
  let fix: string;
  if (code === "ECONNREFUSED") {
    fix = say(
      `${where} 上没有消息服务器在监听：确认 Mosquitto 已启动，并核对 server.mqttUrl`,
      `nothing listens at ${where}: is the broker (Mosquitto) running? Check server.mqttUrl`,
    );
  } else if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    fix = say(
      `找不到主机名 ${where}：检查 server.mqttUrl 和本机 DNS`,
      `host name ${where} not found: check server.mqttUrl and this box's DNS`,
    );
  } else if (/not authori[sz]ed|bad user ?name or password/i.test(text)) {
    fix = say(
      "消息服务器拒绝了登录：核对 server.username / server.password 与总部提供的是否一致",
      "the broker refused the log-in: check server.username / server.password against what head office gave",
    );
  } else if (/certificate|self[- ]signed|TLS|SSL|issuer/i.test(text)) {
    fix = say(
      "TLS 握手失败：检查 server.tls.caFile 是否为签发服务器证书的 CA，本机时间是否正确",
      "the TLS handshake failed: check that server.tls.caFile is the CA that signed the broker's certificate, and this box's clock",
    );
  } else {
    fix = say(
      `${where} 没有应答：检查网线、防火墙，ping 消息服务器主机`,
      `no answer from ${where}: check the network cable and firewall; ping the broker's host`,
    );
  }
  return {
    verdict: "FAIL",
    via: "direct",
    code: "CT_BROKER_UNREACHABLE",
    detail: say(`无法连接 ${where}：${text}`, `cannot connect to ${where}: ${text}`),
    fix,
  };
}

/** host:port of the broker URL, never its credentials. */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return "(server.mqttUrl)";
  }
}
