import t from "tap";
import { startRig } from "../helpers/rig.js";
import { waitFor } from "../helpers/wait-for.js";

t.test("the server sees a terminal's presence and heartbeat: devices, queue depth, versions", async (t) => {
  const { hq, agent } = await startRig(t, { agent: { deps: { heartbeatMs: 100 }, ready: "none" } });
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
