/**
 * `cardterm run` under a systemd stand-in: a child process with
 * NOTIFY_SOCKET and WATCHDOG_USEC set, talking to a real unix datagram socket through
 * systemd-notify — READY=1 with a STATUS= line once the API serves, WATCHDOG=1 at half
 * WATCHDOG_USEC, a STATUS= that follows the journal, RELOADING=1 … READY=1 around a
 * SIGHUP reload (a refused one said in the STATUS line), STOPPING=1 last on SIGTERM.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import t from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { demoPolicy } from "../../rules/policy.js";
import { startAgentProcess } from "../helpers/agent-process.js";
import { postSale } from "../helpers/api-client.js";
import { freePort } from "../helpers/free-port.js";
import { notifySocket } from "../helpers/notify-socket.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const CARD = "ic:04A1B2C3";

t.test("cardterm run tells systemd it is ready, alive, reloading and stopping", async (t) => {
  const dir = await tempDir(t);
  const key = randomBytes(32);
  await writeFile(`${dir}/policy.json`, JSON.stringify(demoPolicy()));
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  ledger.noteContact(Date.now());
  await ledger.rememberCard(
    {
      cardId: CARD,
      accountId: "A1",
      memberName: "张伟",
      cardType: "standard",
      status: "active",
      balance: 100_000,
      points: 0,
    },
    { appliedSeq: 0, onlineThrough: 0 },
    Date.now(),
  );
  await ledger.close();
  const apiPort = await freePort();
  const file = `${dir}/cardterm.yaml`;
  const config = [
    "version: 1",
    "terminal:",
    "  id: T001",
    `  key: { hex: "${key.toString("hex")}" }`,
    `  dataDir: ${dir}`,
    `api: { host: 127.0.0.1, port: ${apiPort} }`,
    "server:",
    `  mqttUrl: mqtt://127.0.0.1:${await freePort()}`,
    "",
  ].join("\n");
  await writeFile(file, config);
  const sock = await notifySocket(t);
  const agent = await startAgentProcess({
    config: file,
    apiPort,
    env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "1000000" },
  });
  t.teardown(() => agent.kill());
  const fields = () => sock.received.filter((f) => f !== "BARRIER=1");

  await waitFor("READY=1", () => fields().includes("READY=1"));
  t.same(fields().slice(0, 2), ["READY=1", "STATUS=offline, 0 pending"], "ready, with what systemctl status shows");
  await waitFor("three watchdog pings (every 500 ms)", () => fields().filter((f) => f === "WATCHDOG=1").length >= 3);

  // The STATUS line follows the journal: an offline sale now waits for the server.
  t.match((await postSale(agent.url, { amount: 1000, cardUid: CARD })).body, { approved: true, mode: "offline" });
  await waitFor("STATUS with the pending sale", () => fields().includes("STATUS=offline, 1 pending"), 12_000);

  // An invalid file: the file watch reloads it (and refuses it) by itself; then SIGHUP does
  // the same, bracketed by RELOADING=1 and READY=1 with the refusal in the STATUS line.
  const saved = fields().length;
  await writeFile(file, `${config}offlne: {}\n`);
  await waitFor("the file watch's reload", () => fields().slice(saved).includes("READY=1"));
  const before = fields().length;
  process.kill(agent.child.pid!, "SIGHUP");
  await waitFor("READY=1 after the reload", () => fields().slice(before).includes("READY=1"));
  const reload = fields()
    .slice(before)
    .filter((f) => f !== "WATCHDOG=1");
  t.match(reload[0], /^RELOADING=1$/);
  t.match(reload[1], /^MONOTONIC_USEC=\d+$/);
  t.same(reload.slice(2, 4), ["READY=1", "STATUS=offline, 1 pending, config reload refused (CT_RELOAD_REFUSED)"]);

  await agent.kill("SIGTERM");
  t.match(await agent.exited, { code: 0 });
  await waitFor("STOPPING=1 to arrive", () => fields().includes("STOPPING=1"));
  t.equal(fields().at(-1), "STOPPING=1", "STOPPING=1 is the last word");
  t.notOk(
    fields().some((f) => f.startsWith("ERRNO=")),
    "systemd-notify never reported an error",
  );
});
