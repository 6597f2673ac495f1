/**
 * Operator sessions survive an agent restart when that is safe ("after an agent
 * restart every cashier must log in again"): the real agent on a real data directory,
 * stopped and started again on it. A session still in its idle time-out goes on with the
 * same token; one whose time-out passed while the agent was down, one whose operator left
 * the config or changed role meanwhile, and one logged out before the stop do not. The
 * store on disk never holds a usable token.
 *
 * No broker is needed: sessions are the till's own; the agent's link retries in the background.
 */
import { readFile } from "node:fs/promises";
import t from "tap";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { DEMO_OPERATOR_PINS, DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { silentLogger } from "../../agent/logger.js";
import type { AgentConfig, OperatorConfig } from "../../config/agent-config.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";

const IDLE_MS = 60_000;

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field with t.match
  body: any;
}

async function call(agent: RunningAgent, method: string, path: string, body?: unknown, session?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) headers["x-cardterm-session"] = session;
  const res = await fetch(`${agent.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null } as Reply;
}

async function logIn(agent: RunningAgent, id: "001" | "900"): Promise<string> {
  const r = await call(agent, "POST", "/api/v1/sessions", { operatorId: id, pin: DEMO_OPERATOR_PINS[id] });
  if (r.status !== 200) throw new Error(`log-in of ${id}: ${JSON.stringify(r.body)}`);
  return r.body.session as string;
}

t.test("a session goes on after a restart; expired, re-roled, removed and logged-out ones do not", async (t) => {
  const dataDir = await tempDir(t);
  const mqttUrl = `mqtt://127.0.0.1:${await freePort()}`; // nobody there: the till is offline
  let clock = Date.parse("2026-12-01T09:00:00Z");
  const now = () => clock;
  const configWith = (operators: OperatorConfig[]): AgentConfig => {
    const base = testAgentConfig({ dataDir, mqttUrl, operators });
    return { ...base, api: { ...base.api, idleTimeoutMs: IDLE_MS } };
  };
  const start = (operators: OperatorConfig[]) => startAgent(configWith(operators), { log: silentLogger(), now });

  let agent = await start(DEMO_OPERATORS);
  t.teardown(() => agent.close());
  const cashier = await logIn(agent, "001");
  const supervisor = await logIn(agent, "900");
  const leaver = await logIn(agent, "001");
  t.equal((await call(agent, "DELETE", "/api/v1/sessions/current", undefined, leaver)).status, 204);
  await agent.close();

  const stored = await readFile(`${dataDir}/sessions.json`, "utf8").catch(() => "");
  for (const token of [cashier, supervisor, leaver]) t.notOk(stored.includes(token), "no token is stored as it is");

  // Back 20 s later: still inside the 60 s idle time-out.
  clock += 20_000;
  agent = await start(DEMO_OPERATORS);
  t.match(
    await call(agent, "GET", "/api/v1/sessions/current", undefined, cashier),
    { status: 200, body: { operator: { id: "001", role: "cashier" }, idleTimeoutS: 60 } },
    "the cashier is still logged in after the restart",
  );
  t.match(await call(agent, "GET", "/api/v1/sessions/current", undefined, supervisor), {
    status: 200,
    body: { operator: { id: "900" } },
  });
  t.match(
    await call(agent, "GET", "/api/v1/sessions/current", undefined, leaver),
    { status: 401, body: { code: "CT_UNAUTHORIZED" } },
    "a session logged out before the stop stays logged out",
  );
  await agent.close();

  // The supervisor's entry is made a cashier in the config while the agent is down.
  clock += 10_000;
  const demoted = DEMO_OPERATORS.map((o) => (o.id === "900" ? { ...o, role: "cashier" as const } : o));
  agent = await start(demoted);
  t.match(
    await call(agent, "GET", "/api/v1/sessions/current", undefined, supervisor),
    { status: 401, body: { code: "CT_UNAUTHORIZED" } },
    "a re-roled operator logs in again under the new role",
  );
  t.equal((await call(agent, "GET", "/api/v1/sessions/current", undefined, cashier)).status, 200);
  await agent.close();

  // The cashier's last use was at the previous start's check; down for longer than the time-out.
  clock += IDLE_MS + 1_000;
  agent = await start(DEMO_OPERATORS);
  t.match(
    await call(agent, "GET", "/api/v1/sessions/current", undefined, cashier),
    { status: 401, body: { code: "CT_UNAUTHORIZED" } },
    "the idle time-out counts the time the agent was down",
  );
  await agent.close();

  // An operator removed from the config while the agent was down.
  const again = await start(DEMO_OPERATORS).then(async (a) => {
    const s = await logIn(a, "001");
    await a.close();
    return s;
  });
  agent = await start(DEMO_OPERATORS.filter((o) => o.id !== "001"));
  t.match(
    await call(agent, "GET", "/api/v1/sessions/current", undefined, again),
    { status: 401, body: { code: "CT_UNAUTHORIZED" } },
    "an operator taken off the config is not logged in after the restart",
  );
});
