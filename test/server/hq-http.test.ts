/**
 * The head-office API through real fastify on a loopback port: the bearer
 * token, every error shape, and the flows a head office runs — with what terminals
 * receive over MQTT checked, not assumed.
 */

import { pino } from "pino";
import t from "tap";
import { parseMoney } from "../../rules/money.js";
import { demoPolicy } from "../../rules/policy.js";
import { lossCard } from "../../server/backoffice/card-status.js";
import { startHqHttp } from "../../server/http/hq-http.js";
import { ALICE, LI, WANG, ZHANG } from "./backoffice-fixture.js";
import { httpRig, TOKEN } from "./hq-http-rig.js";
import { openTestDb } from "./ledger-fixture.js";
import { demoBalance } from "./test-terminal.js";

const db = await openTestDb();
t.teardown(() => db.close());

t.test("without the bearer token every route but the OpenAPI document is refused", async (t) => {
  const { call } = await httpRig(t, db);
  for (const token of [null, "wrong-token-wrong-token"]) {
    const r = await call("GET", `/api/v1/cards/${ZHANG}`, undefined, { token });
    t.equal(r.status, 401);
    t.same(Object.keys(r.body).sort(), ["code", "message"]);
    t.equal(r.body.code, "CT_UNAUTHORIZED");
  }
  t.equal((await call("POST", `/api/v1/cards/${ZHANG}/loss`, {}, { token: null })).status, 401);
  t.match((await call("GET", `/api/v1/cards/${ZHANG}`)).body, { status: "active" }, "nothing changed");
  const doc = await call("GET", "/api/v1/openapi.json", undefined, { token: null });
  t.equal(doc.status, 200);
  t.match(doc.body, { openapi: "3.1.0", components: { securitySchemes: { bearer: { scheme: "bearer" } } } });
  t.ok((doc.body.paths as Record<string, unknown>)["/api/v1/cards/{cardId}/topups"]);
});

t.test("a server open beyond loopback without a token refuses to start", async (t) => {
  const log = pino({ level: "silent" });
  const deps = { db, published: async () => {}, log };
  await t.rejects(startHqHttp({ host: "0.0.0.0", port: 0 }, deps), /CT_CONFIG_INVALID: .*without a token/);
  await t.rejects(startHqHttp({ port: 0, token: "short" }, deps), /at least 16 characters/);
  const open = await startHqHttp({ host: "0.0.0.0", port: 0, token: TOKEN }, deps);
  t.match(open.url, /^http:\/\/0\.0\.0\.0:\d+$/);
  await open.close();
});

t.test("every error is {code, message} with its HTTP status", async (t) => {
  const { call } = await httpRig(t, db);
  const cases: [string, string, unknown, number, string][] = [
    ["GET", "/api/v1/cards/ic:FFFF", undefined, 404, "CT_NOT_FOUND"],
    ["GET", "/api/v1/nowhere", undefined, 404, "CT_NOT_FOUND"],
    ["POST", `/api/v1/cards/${ZHANG}/unloss`, {}, 409, "CT_CONFLICT"],
    ["POST", `/api/v1/cards/${ZHANG}/loss`, { reason: "x" }, 400, "CT_BAD_REQUEST"],
    ["POST", `/api/v1/cards/${ZHANG}/topups`, { amount: "100" }, 400, "CT_BAD_REQUEST"],
    ["POST", `/api/v1/cards/${ZHANG}/topups`, { amount: 12.5 }, 400, "CT_BAD_REQUEST"],
    ["POST", `/api/v1/cards/${ZHANG}/topups`, { amount: 100, extra: 1 }, 400, "CT_BAD_REQUEST"],
    ["POST", "/api/v1/members", "{not json", 400, "CT_BAD_REQUEST"],
    ["POST", "/api/v1/members", { name: "x", birthday: "13-01" }, 400, "CT_BAD_REQUEST"],
    ["POST", "/api/v1/members", { memberId: "M0001", name: "x" }, 409, "CT_CONFLICT"],
    ["POST", "/api/v1/policy", { currency: "CNY", cardTypes: {} }, 400, "CT_POLICY_INVALID"],
    ["GET", "/api/v1/reports/daily?from=May", undefined, 400, "CT_BAD_REQUEST"],
    ["GET", "/api/v1/members?limit=-1", undefined, 400, "CT_BAD_REQUEST"],
    ["POST", "/api/v1/operators/nobody/disable", undefined, 404, "CT_NOT_FOUND"],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await call(method, path, body);
    t.equal(r.status, status, `${method} ${path} → ${status}`);
    t.equal(r.body.code, code, `${method} ${path} → ${code}`);
    t.type(r.body.message, "string");
  }
  t.match(await call("GET", `/api/v1/cards/${ZHANG}`), { body: { balance: demoBalance(ZHANG) } }, "no money moved");
});

t.test("a loss at head office reaches terminals as a hotlist delta before the reply", async (t) => {
  const rig = await httpRig(t, db);
  const before = await rig.server.ledger.getHotlist();
  const r = await rig.call("POST", `/api/v1/cards/${ZHANG}/loss`, { note: "phoned in" }, { actor: "hq-bob" });
  t.equal(r.status, 200);
  t.match(r.body, { card: { status: "lost", hotlisted: true }, hotlistVersion: before.version + 1 });
  const delta = await rig.waitFor(() => rig.deltas.find((d) => d.toVersion === before.version + 1), "the delta");
  t.same(delta, { v: 1, fromVersion: before.version, toVersion: before.version + 1, added: [ZHANG], removed: [] });
  const audit = await rig.call("GET", `/api/v1/audit?subject=${ZHANG}`);
  t.match(audit.body, {
    audit: [{ actor: "hq-bob", via: "http", action: "card.loss", detail: { note: "phoned in" } }],
  });
  const found = await rig.call("POST", `/api/v1/cards/${ZHANG}/unloss`);
  t.equal(found.status, 200, "a status change needs no body");
  await rig.waitFor(() => rig.deltas.find((d) => d.removed.includes(ZHANG)), "the removal");
});

t.test("a change made beside the server (CLI, another instance) is published within a poll", async (t) => {
  const rig = await httpRig(t, db, { docPollMs: 50 });
  const { hotlistVersion } = await lossCard(db, { cardId: LI }, ALICE);
  const delta = await rig.waitFor(() => rig.deltas.find((d) => d.toVersion === hotlistVersion), "the polled delta");
  t.same(delta.added, [LI]);
});

t.test("issue to a new member, top up once per txnId, replace, report", async (t) => {
  const { call } = await httpRig(t, db);
  const issued = await call("POST", "/api/v1/cards", {
    cardId: "ic:CAFE0001",
    cardType: "standard",
    member: { name: "周杰", phone: "13600000000", birthday: "01-18" },
    pin: "8642",
  });
  t.equal(issued.status, 201);
  t.match(issued.body, { card: { memberId: "M100001", accountId: "A100001", balance: 0, hasPin: true } });
  const topup = { amount: parseMoney("1000.00"), txnId: "hq-web-1" };
  const first = await call("POST", "/api/v1/cards/ic:CAFE0001/topups", topup);
  t.match(first.body, { applied: true, amount: 100_000, bonus: 10_000, balanceAfter: 110_000 });
  const retry = await call("POST", "/api/v1/cards/ic:CAFE0001/topups", topup);
  t.match(retry.body, { applied: false, balanceAfter: 110_000 });
  const sub = await call("POST", "/api/v1/cards", {
    cardId: "ic:CAFE0002",
    primaryCardId: "ic:CAFE0001",
    dailyLimit: 5_000,
  });
  t.match(sub.body, { card: { accountId: "A100001", dailyLimit: 5_000, balance: 110_000 } });
  const replaced = await call("POST", "/api/v1/cards/ic:CAFE0001/replace", { newCardId: "ic:CAFE0003" });
  t.match(replaced.body, { card: { cardId: "ic:CAFE0003", balance: 110_000 }, old: { status: "replaced" } });
  t.match((await call("GET", "/api/v1/cards/ic:CAFE0002")).body, { primaryCardId: "ic:CAFE0003" });
  t.match((await call("POST", "/api/v1/cards/ic:CAFE0003/level", { cardType: "gold" })).body, {
    card: { cardType: "gold" },
  });
  const member = await call("GET", "/api/v1/members/M100001");
  t.match(member.body, { name: "周杰", accounts: [{ accountId: "A100001", balance: 110_000 }] });
  t.match((await call("PATCH", "/api/v1/members/M100001", { phone: null })).body, { phone: null });
  t.match((await call("GET", "/api/v1/members?q=周")).body, { members: [{ memberId: "M100001" }] });
  t.match((await call("GET", "/api/v1/accounts/A100001")).body, { recent: [{ txnId: "hq-web-1", source: "hq" }] });
  const liability = await call("GET", "/api/v1/reports/liability");
  const demo = [ZHANG, LI, WANG, "ic:0BADCAFE", "id:0012345678"].reduce((s, c) => s + demoBalance(c), 0);
  t.match(liability.body, { accounts: 6, liability: demo + 110_000, bonusIssued: 10_000 });
  const daily = await call("GET", "/api/v1/reports/daily");
  t.match(daily.body, { rows: [{ storeId: "HQ", kind: "topup", count: 1, net: 100_000 }] });
  t.match((await call("GET", "/api/v1/reports/terminals")).body, {
    terminals: [{ terminalId: "T001" }, { terminalId: "T002" }],
  });
  t.match((await call("GET", "/api/v1/reports/shortfalls?open=true")).body, { shortfalls: [] });
  t.match((await call("GET", "/api/v1/reports/alerts")).body, { alerts: [] });
});

t.test("operators and policy over HTTP; a published policy reaches terminals", async (t) => {
  const rig = await httpRig(t, db);
  const op = { operatorId: "S1-9", storeId: "S1", name: "阿强", role: "supervisor", pin: "2580" };
  t.equal((await rig.call("POST", "/api/v1/operators", op)).status, 201);
  t.match((await rig.call("GET", "/api/v1/operators?storeId=S1")).body, {
    operators: [{ operatorId: "S1-9", active: true }],
  });
  t.match((await rig.call("POST", "/api/v1/operators/S1-9/disable")).body, { active: false });
  t.equal((await rig.call("POST", "/api/v1/operators/S1-9/disable")).status, 409);
  t.match((await rig.call("POST", "/api/v1/operators/S1-9/pin", { pin: "1111" })).body, { pin: "set" });
  t.notMatch(
    JSON.stringify((await rig.call("GET", "/api/v1/operators")).body),
    /scrypt/,
    "hashes never leave the server",
  );

  const next = demoPolicy();
  next.version = 2;
  next.cardTypes.gold!.payRateBp = 8_500;
  const published = await rig.call("POST", "/api/v1/policy", next);
  t.equal(published.status, 201);
  t.match(published.body, { policy: { version: 2 } });
  const got = await rig.waitFor(() => rig.policies.find((p) => p.version === 2), "policy v2 on MQTT");
  t.equal(got.cardTypes.gold!.payRateBp, 8_500);
  t.match((await rig.call("GET", "/api/v1/policy")).body, { version: 2 });
});
