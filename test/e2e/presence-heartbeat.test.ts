import { randomBytes } from "node:crypto";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { startHqServer } from "../../server/hq-server.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

t.test("the server sees a terminal's presence and heartbeat: devices, queue depth, versions", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const agent = await startAgent(testAgentConfig({ dataDir: await tempDir(t), mqttUrl: broker.url, key }), {
    log: silentLogger(),
    heartbeatMs: 100,
  });
  // Policy and hotlist arrive as two retained messages: wait for a heartbeat that has both.
  const status = await waitFor("a heartbeat with the policy and hotlist versions", async () => {
    const s = await hq.ledger.terminalStatus("T001");
    return s?.policyVersion === 1 && s.hotlistVersion === 1 && s.presence === "online" ? s : undefined;
  });
  t.equal(status.pending, 0);
  t.equal(status.hotlistVersion, 1);
  t.same(status.devices, { "reader:sim": "present", "printer:receipt": "closed" });
  await agent.close();
  await waitFor(
    "presence offline after the agent stops",
    async () => (await hq.ledger.terminalStatus("T001"))?.presence === "offline",
  );
  t.pass("offline recorded");
});
