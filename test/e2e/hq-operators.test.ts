/**
 * Operators from head office and roles from policy and config, end to end: the
 * embedded broker (aedes), the real central server on PGlite, and the agent loaded from a
 * YAML file through the real loader, driven over its HTTP API.
 *
 *   1. operators created at head office log in at the till by PIN and by operator card;
 *      their sale and refund record them at the server;
 *   2. the chain's policy takes refunds from supervisors → 403 at the till, same session;
 *   3. the till's config narrows its cashiers, on reload; asking for more than the chain
 *      grants gives nothing more;
 *   4. head office disables an operator → their session ends, their log-in is refused;
 *   5. a till whose cached policy was edited to let cashiers manage cards: the server still
 *      refuses a card loss from an operator head office knows as a cashier;
 *   6. the till restarts with the broker gone: head office's operators still log in from
 *      the durable cache, the disabled one still does not.
 */
import { readFile, writeFile } from "node:fs/promises";
import t from "tap";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { DEMO_OPERATOR_PINS, DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { loadConfig } from "../../config/load-config.js";
import type { PolicyDocument } from "../../rules/policy.js";
import { BUILT_IN_ROLES } from "../../rules/roles.js";
import { addOperator, setOperatorActive } from "../../server/backoffice/operators.js";
import { getPolicy, publishPolicy } from "../../server/backoffice/policy.js";
import { startHqServer } from "../../server/hq-server.js";
import { provisionTerminal } from "../../server/provision/provision-terminal.js";
import { freePort } from "../helpers/free-port.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "pos-app-token-hq-operators-0123";
const HQ_ACTOR = { id: "hq-alice", via: "cli" } as const;
const GOLD = "04A1B2C3"; // 张伟, gold, 1000.00
const SILVER = "04D5E6F7"; // 李娜, silver
const BOSS = DEMO_OPERATORS[1]!; // "900", a supervisor only this till's config knows

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field with t.match
  body: any;
}

t.test("operators from head office, roles from policy and config, the server's own check", async (t) => {
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const hq = await startHqServer({
    mqttUrl: broker.url,
    seedDemo: { terminals: [] },
    docPollMs: 100,
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  t.teardown(() => hq.close());
  const db = hq.db;
  const till = await provisionTerminal(db, { terminalId: "T001", storeId: "S001" });
  const hire = (operatorId: string, role: string, pin: string, cardUid?: string) =>
    addOperator(db, { operatorId, storeId: "S001", name: `员工${operatorId}`, role, pin, cardUid }, HQ_ACTOR);
  await hire("H-C1", "cashier", "2468");
  await hire("H-C2", "cashier", "8642");
  await hire("H-S1", "supervisor", "1357", "ABCD0001");
  await addOperator(
    db,
    { operatorId: "X-9", storeId: "S999", name: "别店", role: "supervisor", pin: "1111" },
    HQ_ACTOR,
  );

  const dir = await tempDir(t);
  const file = `${dir}/cardterm.yaml`;
  const port = await freePort();
  const writeConfig = (extra: string[] = []) =>
    writeFile(
      file,
      [
        "version: 1",
        "terminal:",
        "  id: T001",
        "  storeId: S001",
        `  key: { hex: "${till.keyHex}" }`,
        `  dataDir: ${dir}/data`,
        "  language: en",
        "api:",
        `  port: ${port}`,
        `  token: ${TOKEN}`,
        "operators:",
        `  - id: "${BOSS.id}"`,
        `    name: ${BOSS.name}`,
        "    role: supervisor",
        `    pinHash: "${BOSS.pinHash}"`,
        ...extra,
        "server:",
        `  mqttUrl: ${broker.url}`,
        "",
      ].join("\n"),
    );
  await writeConfig();

  let agent: RunningAgent | undefined;
  t.teardown(() => agent?.close());
  const start = async () => {
    agent = await startAgent(await loadConfig(file), {
      log: silentLogger(),
      backoff: { baseMs: 100, capMs: 400 },
      ackTimeoutMs: 2000,
    });
    return agent;
  };
  const call = async (method: string, path: string, body?: unknown, session?: string): Promise<Reply> => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (session) headers["x-cardterm-session"] = session;
    const res = await fetch(`${agent!.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const login = (operatorId: string, pin: string) => call("POST", "/api/v1/sessions", { operatorId, pin });
  const permissions = async (session: string) =>
    (await call("GET", "/api/v1/sessions/current", undefined, session)).body.permissions as string[];
  const operatorOf = async (txnId: string) =>
    (await db.query<{ operator_id: string }>("SELECT operator_id FROM transactions WHERE txn_id = $1", [txnId])).rows[0]
      ?.operator_id;

  await start();
  await waitFor("the till holds the policy and head office's operators", async () => {
    const s = (await call("GET", "/api/v1/status")).body;
    return s.broker.connected && s.policy.policy !== null && s.operators.version !== null;
  });

  // 1. Head office's operators log in: by PIN, and by operator card; another store's do not.
  const c1 = await login("H-C1", "2468");
  t.match(c1, {
    status: 200,
    body: { operator: { id: "H-C1", name: "员工H-C1", role: "cashier", source: "hq" } },
  });
  t.same(c1.body.permissions, BUILT_IN_ROLES.cashier, "the built-in cashier");
  const cashier = c1.body.session as string;
  const byCard = await call("POST", "/api/v1/sessions", { cardUid: "abcd0001" });
  t.match(byCard, { status: 200, body: { operator: { id: "H-S1", role: "supervisor", source: "hq" } } });
  const boss = byCard.body.session as string;
  t.match(await login("X-9", "1111"), { status: 401, body: { code: "CT_LOGIN_FAILED" } }, "another store's operator");
  t.match(await login("H-C1", "1111"), { status: 401, body: { code: "CT_LOGIN_FAILED" } }, "a wrong PIN");
  t.equal((await login(BOSS.id, DEMO_OPERATOR_PINS["900"])).status, 200, "the config's own operator still logs in");

  const sale = await call("POST", "/api/v1/sales", { amount: 5_000, cardUid: GOLD }, cashier);
  t.match(sale, { status: 200, body: { approved: true } });
  const refund = await call("POST", "/api/v1/refunds", { originalTxnId: sale.body.txnId, amount: 1_000 }, boss);
  t.match(refund, { status: 200, body: { approved: true } }, "head office's supervisor refunds");
  t.equal(await operatorOf(sale.body.txnId), "H-C1", "the sale records its operator at the server");
  t.equal(await operatorOf(refund.body.txnId), "H-S1", "and the refund its");

  // 2. The chain takes refunds from supervisors: refused at the till, the session unchanged.
  const { version: _, ...base } = await getPolicy(db);
  const noRefunds = ["sale", "topup", "balance", "void", "close", "status", "selftest", "cardIssue", "cardManage"];
  const v2 = (await publishPolicy(db, { ...base, roles: { supervisor: noRefunds } }, HQ_ACTOR)).policy.version;
  await waitFor(
    "the till holds the new policy",
    async () => (await call("GET", "/api/v1/status")).body.policy.policy === v2,
  );
  t.match(
    await call("POST", "/api/v1/refunds", { originalTxnId: sale.body.txnId, amount: 500 }, boss),
    { status: 403, body: { code: "CT_FORBIDDEN", message: /supervisor H-S1 may not refund/ } },
    "no refunds for supervisors now",
  );
  t.same(await permissions(boss), noRefunds, "the session reports the chain's list");
  t.match(
    await call("POST", "/api/v1/voids", { originalTxnId: sale.body.txnId }, boss),
    { status: 200 },
    "a void still is theirs",
  );

  // 3. The till's config narrows its cashiers, and cannot give supervisors refunds back.
  await writeConfig(["roles:", "  cashier: [sale, balance, status]", "  supervisor: [sale, refund, void, status]"]);
  t.match(await agent!.reload("api"), { result: "applied" });
  t.same(await permissions(cashier), ["sale", "balance", "status"], "the cashier narrowed, same session");
  t.same(await permissions(boss), ["sale", "void", "status"], "refund listed by the config, not granted by the chain");
  t.match(await call("POST", "/api/v1/topups", { amount: 1_000, cardUid: GOLD, payment: "cash" }, cashier), {
    status: 403,
    body: { code: "CT_FORBIDDEN" },
  });
  t.match(await call("POST", "/api/v1/refunds", { originalTxnId: sale.body.txnId, amount: 500 }, boss), {
    status: 403,
  });
  await writeConfig();
  t.match(await agent!.reload("api"), { result: "applied" });
  t.same(await permissions(cashier), BUILT_IN_ROLES.cashier, "roles section gone: the chain's list again");

  // 4. Head office disables an operator: the session ends, the log-in is refused.
  await setOperatorActive(db, { operatorId: "H-C1", active: false }, HQ_ACTOR);
  await waitFor(
    "the cashier's session ended",
    async () => (await call("GET", "/api/v1/sessions/current", undefined, cashier)).status === 401,
  );
  t.match(await login("H-C1", "2468"), { status: 401, body: { code: "CT_LOGIN_FAILED" } }, "log-in refused");
  t.equal((await call("GET", "/api/v1/sessions/current", undefined, boss)).status, 200, "others stay logged in");

  // 5. The till's cached policy edited to let cashiers manage cards: the server still says no.
  await agent!.close();
  const cached = JSON.parse(await readFile(`${dir}/data/policy.json`, "utf8")) as PolicyDocument;
  cached.roles = { ...cached.roles, cashier: ["sale", "balance", "status", "cardManage"] };
  await writeFile(`${dir}/data/policy.json`, JSON.stringify(cached));
  await start();
  await waitFor("the till is back online", async () => (await call("GET", "/api/v1/status")).body.broker.connected);
  const c2 = (await login("H-C2", "8642")).body.session as string;
  t.ok((await permissions(c2)).includes("cardManage"), "the tampered till lets its cashier try");
  const loss = await call("POST", `/api/v1/cards/${SILVER}/loss`, { note: "挂失" }, c2);
  t.match(loss, {
    status: 200,
    body: { ok: false, code: "OPERATOR_NOT_ALLOWED", message: /Head office does not allow this operator/ },
  });
  const card = await db.query<{ status: string }>("SELECT status FROM cards WHERE card_id = $1", [`ic:${SILVER}`]);
  t.equal(card.rows[0]!.status, "active", "the card is not lost at the server");

  // 6. Restart with the broker gone: head office's operators log in from the cache.
  await agent!.close();
  await broker.close();
  await start();
  t.equal((await call("GET", "/api/v1/status")).body.broker.connected, false, "offline");
  t.match(await login("H-S1", "1357"), { status: 200, body: { operator: { id: "H-S1", source: "hq" } } });
  t.match(await login("H-C1", "2468"), { status: 401 }, "the disabled one still refused");
  await agent!.close();
});
