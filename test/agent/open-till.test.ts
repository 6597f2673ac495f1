/**
 * A till with no operators takes sales without any log-in: the agent
 * says so at every start, and `cardterm doctor` WARNs — FAILs when the API also listens
 * on the LAN without a token. Head office's stored operators count like the config's.
 */

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { operatorsCheck } from "../../agent/doctor/operators-check.js";
import { createLogger } from "../../agent/logger.js";
import { openTill } from "../../agent/operators/open-till.js";
import type { AgentConfig } from "../../config/agent-config.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";

const ctx = (lang: "en" | "zh-CN" = "en") => ({ lang, signal: new AbortController().signal, now: Date.now });

t.test(
  "the judgement: operators close the till; none is a warning; none on the LAN without a token fails",
  async (t) => {
    t.same(openTill({ loginRequired: true, token: null, host: "0.0.0.0" }), { level: "closed" });
    t.match(openTill({ loginRequired: false, token: null, host: "127.0.0.1" }), {
      level: "warn",
      detail: /without any log-in/,
      fix: /cardterm-hq operator add/,
    });
    t.match(openTill({ loginRequired: false, token: "s3cret-token", host: "0.0.0.0" }), { level: "warn" });
    t.match(openTill({ loginRequired: false, token: null, host: "0.0.0.0" }), {
      level: "fail",
      detail: /anyone on the store's network/,
      fix: /api\.token/,
    });
    t.match(openTill({ loginRequired: false, token: null, host: "::1" }), { level: "warn" }, "loopback v6");
    t.match(openTill({ loginRequired: false, token: null, host: "127.0.0.1" }, "zh-CN"), { detail: /不需登录/ });
  },
);

async function doctorRow(config: AgentConfig, lang: "en" | "zh-CN" = "en") {
  return operatorsCheck({ config, label: "operators", agent: null }).run(ctx(lang));
}

t.test("doctor without the agent: the operators row reads the config and head office's stored operators", async (t) => {
  const dataDir = await tempDir(t);
  const bare = testAgentConfig({ dataDir, mqttUrl: "mqtt://127.0.0.1:1" });
  t.match(await doctorRow(bare), { verdict: "WARN", via: "direct", code: "CT_NO_OPERATORS" });
  t.match(await doctorRow(bare, "zh-CN"), { verdict: "WARN", detail: /未配置操作员/ });

  const onLan = { ...bare, api: { ...bare.api, host: "0.0.0.0" } };
  t.match(await doctorRow(onLan), { verdict: "FAIL", code: "CT_NO_OPERATORS", fix: /api\.token/ });

  const withOps = testAgentConfig({ dataDir, mqttUrl: "mqtt://127.0.0.1:1", operators: DEMO_OPERATORS });
  t.match(await doctorRow(withOps), { verdict: "PASS", detail: /log-in required .*in the config/ });

  // Head office sent this till one operator (here a disabled one: it still closes the till).
  const doc = { v: 1, terminalId: "T001", version: 3, operators: [{ id: "007", active: false }] };
  await writeFile(join(dataDir, "operators.json"), JSON.stringify(doc));
  t.match(await doctorRow(onLan), { verdict: "PASS", detail: /1 from head office/ });
});

t.test("the agent with no operators says so loudly at start-up; with operators it does not", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const start = async (over: { operators?: typeof DEMO_OPERATORS }) => {
    const lines: { level: number; msg: string; code?: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const config = testAgentConfig({ dataDir: await tempDir(t), mqttUrl: broker.url, ...over });
    const agent = await startAgent(config, { log: createLogger({ level: "info", destination: sink }) });
    await agent.close();
    return lines.filter((l) => l.code === "CT_NO_OPERATORS");
  };
  const open = await start({});
  t.equal(open.length, 1, "one line at start-up");
  t.match(open[0], { level: 40, msg: /^NO LOG-IN AT THIS TILL: no operators/ });
  t.same(await start({ operators: DEMO_OPERATORS }), [], "a till with operators starts quietly");
});
