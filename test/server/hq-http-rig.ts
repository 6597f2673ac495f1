/**
 * A head-office API under test: the demo ledger, an aedes broker, cardterm-hq with its
 * HTTP API on a free loopback port, an MQTT client watching what terminals receive, and
 * a small fetch wrapper.
 */
import mqtt, { type MqttClient } from "mqtt";
import { pino } from "pino";
import type { Test } from "tap";
import { decodeMessage, type HotlistDelta } from "../../protocol/messages.js";
import { topics } from "../../protocol/topics.js";
import type { PolicyDocument } from "../../rules/policy.js";
import type { Db } from "../../server/db/db.js";
import { type HqServer, startHqServer } from "../../server/hq-server.js";
import { startAedes } from "../helpers/aedes-broker.js";
import { freePort } from "../helpers/free-port.js";
import { resetBackoffice } from "./backoffice-fixture.js";

export const TOKEN = "test-admin-token-0123456789";

export interface Reply {
  status: number;
  body: Record<string, unknown> & { code?: string; message?: string };
}

export interface HttpRig {
  server: HqServer;
  url: string;
  /** Deltas and policies as a terminal receives them, in order. */
  deltas: HotlistDelta[];
  policies: PolicyDocument[];
  call(method: string, path: string, body?: unknown, opts?: { token?: string | null; actor?: string }): Promise<Reply>;
  waitFor<T>(probe: () => T | undefined, what: string): Promise<T>;
}

export async function httpRig(t: Test, db: Db, opts: { docPollMs?: number } = {}): Promise<HttpRig> {
  await resetBackoffice(db);
  const broker = await startAedes();
  const port = await freePort();
  const server = await startHqServer({
    mqttUrl: broker.url,
    db,
    log: pino({ level: "silent" }),
    http: { port, token: TOKEN },
    docPollMs: opts.docPollMs,
  });
  const terminal: MqttClient = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  const deltas: HotlistDelta[] = [];
  const policies: PolicyDocument[] = [];
  terminal.on("message", (topic, payload) => {
    if (topic === topics.hotlistDelta()) {
      const d = decodeMessage("hotlistDelta", payload);
      if (d.ok) deltas.push(d.value);
    } else if (topic === topics.policy()) {
      const d = decodeMessage("policy", payload);
      if (d.ok) policies.push(d.value);
    }
  });
  await terminal.subscribeAsync([topics.hotlistDelta(), topics.policy()], { qos: 1 });
  t.teardown(async () => {
    await terminal.endAsync(true);
    await server.close();
    await broker.close();
  });
  const url = `http://127.0.0.1:${port}`;
  t.equal(server.http?.url, url, "listening where asked");
  return {
    server,
    url,
    deltas,
    policies,
    call: async (method, path, body, o = {}) => {
      const headers: Record<string, string> = {};
      const token = o.token === undefined ? TOKEN : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (o.actor) headers["x-cardterm-actor"] = o.actor;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Reply["body"] };
    },
    waitFor: async (probe, what) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
