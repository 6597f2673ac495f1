import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import t from "tap";
import { parseConfigText } from "../../config/load-config.js";
import { topics } from "../../protocol/topics.js";
import { openDb } from "../../server/db/open-db.js";
import { verifyPasswdLine } from "../../server/provision/mosquitto-passwd.js";
import { startAedes } from "../helpers/aedes-broker.js";
import { startMosquitto } from "../helpers/mosquitto.js";
import { firstMessage, MqttTerminal } from "./mqtt-terminal.js";
import { TestTerminal } from "./test-terminal.js";

const CLI = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");
const DEPLOY_ACL = join(import.meta.dirname, "../../deploy/mosquitto/acl");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: "", LOG_LEVEL: "info" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = once(child, "close").then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, done };
}

const cli = (...args: string[]) => start(args).done;

t.test("usage errors name the problem and exit 2", async (t) => {
  const noDb = await cli("card", "ic:04A1B2C3");
  t.equal(noDb.code, 2);
  t.match(noDb.stderr, /card show: card needs --data-dir or --database-url/);
  const noUrl = await cli("run");
  t.equal(noUrl.code, 2);
  t.match(noUrl.stderr, /run needs --mqtt-url/);
  const typo = await cli("run", "--mqtt-urll", "mqtt://x");
  t.equal(typo.code, 2);
  t.match(typo.stderr, /unknown option '--mqtt-urll'/);
});

t.test("run serves terminals until SIGTERM; card reads the ledger it left", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-cli-"));
  const broker = await startAedes();
  t.teardown(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = join(dir, "ledger");
  const term = new TestTerminal("T001", "5a".repeat(32));
  const server = start([
    "run",
    "--mqtt-url",
    broker.url,
    "--data-dir",
    dataDir,
    "--seed-demo",
    "--terminal",
    `T001:${term.keyHex}`,
  ]);
  t.teardown(() => server.child.kill("SIGKILL"));
  await firstMessage(broker.url, topics.policy(), () => true, 20_000);

  const mq = await MqttTerminal.connect(broker.url, term);
  t.match(await mq.auth(term.authRequest("ic:04A1B2C3", 1_000)), { approved: true, net: 880 });
  await mq.sendBatch([term.sale("ic:04D5E6F7", 2_000)]);
  t.match(await mq.waitAck(() => true), { ackedSeq: 1, rejected: [] });
  await mq.close();

  const busy = await cli("card", "ic:04A1B2C3", "--data-dir", dataDir);
  t.equal(busy.code, 1);
  t.match(busy.stderr, /CT_STORE_WRITE_FAILED: data directory .* is in use/);

  server.child.kill("SIGTERM");
  const stopped = await server.done;
  t.equal(stopped.code, 0, "clean shutdown");
  t.match(stopped.stdout, /cardterm-hq stopped/);

  const zhang = await cli("card", "ic:04A1B2C3", "--data-dir", dataDir);
  t.equal(zhang.code, 0);
  // The online approval was never journalled by a till here, so it is still a hold.
  t.match(zhang.stdout, /ic:04A1B2C3 {2}张伟 {2}gold {2}active {2}balance 991\.20 {2}held 8\.80 {2}points 500/);
  const li = await cli("card", "ic:04D5E6F7", "--data-dir", dataDir, "--json");
  t.match(JSON.parse(li.stdout), { cardId: "ic:04D5E6F7", balance: 30_000 - 1_900 });
  const missing = await cli("card", "ic:FFFFFFFF", "--data-dir", dataDir);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /CT_NOT_FOUND/);
});

t.test("terminal add: a fresh key registered, broker credentials Mosquitto accepts, a config that loads", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-provision-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "ledger");
  const passwd = join(dir, "passwd");
  const added = await cli(
    "terminal",
    "add",
    "T777",
    "--store",
    "S9",
    "--data-dir",
    dataDir,
    "--mqtt-url",
    "mqtt://x:1",
  );
  t.equal(added.code, 0, added.stderr);
  const [, brokerLine] = /^# {3}(T777:\$7\$\S+)$/m.exec(added.stdout) ?? [];
  t.ok(brokerLine, "the password-file line is printed for the broker's admin");
  const config = parseConfigText(added.stdout, "snippet.yaml");
  t.match(config, { terminal: { id: "T777", storeId: "S9" }, server: { mqttUrl: "mqtt://x:1", username: "T777" } });
  t.ok(verifyPasswdLine(brokerLine!, config.server.password!), "the line is the snippet's password, hashed");

  const db = await openDb({ dataDir });
  const row = await db.query<{ key_hex: string; store_id: string }>("SELECT key_hex, store_id FROM terminals");
  await db.close();
  t.same(row.rows, [{ key_hex: config.terminal.key.toString("hex"), store_id: "S9" }], "the ledger has the same key");

  const again = await cli("terminal", "add", "T777", "--data-dir", dataDir);
  t.equal(again.code, 1);
  t.match(again.stderr, /T777 is already registered; give --force/);

  // --password-file writes Mosquitto's file; --json is for scripts.
  const forced = await cli(
    "terminal",
    "add",
    "T777",
    "--data-dir",
    dataDir,
    "--force",
    "--json",
    "--password-file",
    passwd,
  );
  const out = JSON.parse(forced.stdout) as { keyHex: string; password: string; passwdLine: string };
  t.not(out.keyHex, config.terminal.key.toString("hex"), "--force replaced the key");
  await cli("terminal", "add", "T778", "--data-dir", dataDir, "--password-file", passwd);
  const lines = readFileSync(passwd, "utf8").trim().split("\n");
  t.same(
    lines.map((l) => l.split(":")[0]),
    ["T777", "T778"],
    "one line per terminal; a re-added terminal's line is replaced",
  );
  t.equal(statSync(passwd).mode & 0o777, 0o640);

  const broker = await startMosquitto({ passwordFile: passwd, aclFile: DEPLOY_ACL });
  t.teardown(() => broker.close());
  const ok = await mqtt.connectAsync(broker.url, { username: "T777", password: out.password, reconnectPeriod: 0 });
  t.ok(ok.connected, "Mosquitto accepts the generated credentials");
  await ok.endAsync();
  await t.rejects(
    mqtt.connectAsync(broker.url, { username: "T777", password: config.server.password, reconnectPeriod: 0 }),
    /Not authorized|Bad username or password/,
    "the replaced password no longer works",
  );
});
