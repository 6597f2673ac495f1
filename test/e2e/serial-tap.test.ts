import { randomBytes } from "node:crypto";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { startHqServer } from "../../server/hq-server.js";
import { testAgentConfig } from "../helpers/agent-config.js";
import { getJson, postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { startPtyPair } from "../helpers/socat.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

t.test("a tap on the serial ID reader (socat pty) reaches an approved sale", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const key = randomBytes(32);
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [{ id: "T001", keyHex: key.toString("hex") }] },
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const pty = await startPtyPair();
  t.teardown(() => pty.stop());
  const config = testAgentConfig({
    dataDir: await tempDir(t),
    mqttUrl: broker.url,
    key,
    readers: [
      {
        id: "front",
        type: "serial-id",
        path: pty.agentPath,
        baudRate: 9600,
        dataBits: 8,
        parity: "none",
        stopBits: 1,
        delimiter: "\r\n",
        format: "decimal",
        debounceMs: 300,
      },
    ],
  });
  const agent = await startAgent(config, { log: silentLogger() });
  t.teardown(() => agent.close());
  type Status = {
    broker: { connected: boolean };
    policy: { policy: number | null };
    readers: { id: string; state: string }[];
  };
  await waitFor("reader open and link up", async () => {
    const s = await getJson<Status>(`${agent.url}/api/v1/status`);
    return s.broker.connected && s.policy.policy !== null && s.readers[0]?.state === "present";
  });

  const sale = postSale(agent.url, { amount: 3000 }); // waits for a tap
  await new Promise((r) => setTimeout(r, 200));
  await pty.write("0012345678\r\n");
  const reply = await sale;
  t.equal(reply.status, 200);
  t.match(reply.body, { approved: true, mode: "online", balanceAfter: 20_000 - 3_000 });
  t.match(await hq.ledger.getCard("id:0012345678"), { balance: 17_000 });

  const garbage = postSale(agent.url, { amount: 100, readerId: "front" });
  await new Promise((r) => setTimeout(r, 200));
  await pty.write("\x00\xff12ab!!\r\n"); // noise: no tap
  await new Promise((r) => setTimeout(r, 400)); // past the debounce window: a new tap of the same card
  await pty.write("0012345678\r\n");
  const second = await garbage;
  t.match(second.body, { approved: true, balanceAfter: 16_900 }, "garbage was no tap; the valid line after it was");
});
