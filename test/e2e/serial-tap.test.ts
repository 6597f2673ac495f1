import t from "tap";
import { postSale } from "../helpers/api-client.js";
import { startRig } from "../helpers/rig.js";
import { startPtyPair } from "../helpers/socat.js";
import { waitFor } from "../helpers/wait-for.js";

t.test("a tap on the serial ID reader (socat pty) reaches an approved sale", async (t) => {
  const pty = await startPtyPair();
  t.teardown(() => pty.stop());
  const { hq, agent, api } = await startRig(t, {
    agent: {
      ready: "none",
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
    },
  });
  await waitFor("reader open and link up", async () => {
    const s = await api.status();
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
