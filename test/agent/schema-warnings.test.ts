/**
 * A till's start prints nothing but its own log: ajv's "strict mode: missing type …"
 * warnings (a route schema whose `oneOf` branches had no `type`) went to the console at
 * every start, eight lines a technician reads as a fault. Failed before the fix in
 * agent/api/card-routes.ts.
 */
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { silentLogger } from "../../agent/logger.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { tempDir } from "../helpers/temp-dir.js";

t.test("starting the agent compiles every route schema without a console warning", async (t) => {
  const said: string[] = [];
  const saved = { warn: console.warn, log: console.log, error: console.error };
  for (const k of ["warn", "log", "error"] as const) console[k] = (...a: unknown[]) => void said.push(a.join(" "));
  try {
    // Nothing listens on port 1: the agent starts offline, which is all this needs.
    const agent = await startAgent(testAgentConfig({ dataDir: await tempDir(t), mqttUrl: "mqtt://127.0.0.1:1" }), {
      log: silentLogger(),
    });
    const res = await fetch(`${agent.url}/healthz`);
    t.equal(res.status, 200, "the API answers, so its routes were compiled");
    await agent.close();
  } finally {
    Object.assign(console, saved);
  }
  t.same(
    said.filter((line) => /strict mode/.test(line)),
    [],
    "no ajv strict-mode warning",
  );
});
