/**
 * Every supervisor-only operation is refused to a cashier, driven by the
 * permissions, not by a hand-kept list: the routes the API serves must all be in the
 * OpenAPI document; the document marks each gated operation with its permission
 * (permissions.ts ROUTE_PERMISSIONS); every operation whose permission a supervisor has
 * and a cashier lacks must have a request below — so a new supervisor-only route fails
 * this test until it is exercised here. A cashier gets 403 CT_FORBIDDEN for each and
 * nothing changes, at the server or on the till; a supervisor may do each.
 */
import t from "tap";
import { BUILT_IN_ROLES, PERMISSIONS, type Permission, ROUTE_PERMISSIONS } from "../../agent/operators/permissions.js";
import { startTillRig } from "./till-rig.js";

interface Op {
  key: string;
  permission: Permission;
}

/** A request for each supervisor-only operation, in an order a supervisor can do them all in. */
function requests(saleA: string, saleB: string): { key: string; method: string; url: string; body?: unknown }[] {
  const card = (uid: string, op: string, body: unknown = {}) => ({
    key: `POST /api/v1/cards/{cardUid}/${op}`,
    method: "POST",
    url: `/api/v1/cards/${uid}/${op}`,
    body,
  });
  return [
    {
      key: "POST /api/v1/refunds",
      method: "POST",
      url: "/api/v1/refunds",
      body: { originalTxnId: saleA, amount: 100 },
    },
    { key: "POST /api/v1/voids", method: "POST", url: "/api/v1/voids", body: { originalTxnId: saleB } },
    { key: "GET /api/v1/close", method: "GET", url: "/api/v1/close?format=json" },
    { key: "GET /api/v1/close", method: "GET", url: "/api/v1/close?format=csv" },
    { key: "GET /api/v1/close", method: "GET", url: "/api/v1/close?format=xlsx" },
    { key: "POST /api/v1/close/print", method: "POST", url: "/api/v1/close/print", body: {} },
    { key: "POST /api/v1/receipts/self-test", method: "POST", url: "/api/v1/receipts/self-test" },
    card("0A0B0C0D", "loss", { note: "挂失" }),
    card("0A0B0C0D", "unloss"),
    card("04D5E6F7", "freeze"),
    card("04D5E6F7", "unfreeze"),
    card("0A0B0C0D", "level", { cardType: "silver" }),
    card("04A1B2C3", "replace", { newCardUid: "8F8F8F8F" }),
    card("9E9E9E9E", "recycle"),
  ];
}

t.test("every supervisor-only route: 403 to a cashier with nothing changed, allowed to a supervisor", async (t) => {
  const rig = await startTillRig(t);
  const { call, hq, agent } = rig;
  const cashier = await rig.login("001");
  const boss = await rig.login("900");

  // The document covers every route served, and marks exactly the routes of ROUTE_PERMISSIONS.
  const doc = (await call("GET", "/api/v1/openapi.json")).body as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  const documented = new Map<string, Permission | undefined>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      documented.set(`${method.toUpperCase()} ${path}`, op["x-cardterm-permission"] as Permission | undefined);
    }
  }
  const served = agent.routes.filter((r) => r.split(" ")[1]?.startsWith("/api/"));
  t.ok(served.length > 20, `the API reports its routes (${served.length})`);
  for (const route of served) t.ok(documented.has(route), `${route} is in the OpenAPI document`);
  const gated: Op[] = [...documented].flatMap(([key, permission]) => (permission ? [{ key, permission }] : []));
  t.same(
    Object.fromEntries(gated.map((o) => [o.key, o.permission])),
    ROUTE_PERMISSIONS,
    "the document marks each gated route",
  );
  for (const key of Object.keys(ROUTE_PERMISSIONS)) t.ok(served.includes(key), `${key} is served`);

  // Supervisor-only, from the table in force at this till (what the sessions report): each
  // such permission gates something, and each such route has a request here. With no policy
  // or config roles, that table is the built-in one.
  const permissionsOf = async (session: string) =>
    (await call("GET", "/api/v1/sessions/current", undefined, session)).body.permissions as Permission[];
  const [cashierList, bossList] = [await permissionsOf(cashier), await permissionsOf(boss)];
  t.same(cashierList, BUILT_IN_ROLES.cashier, "the cashier's permissions are the built-in ones here");
  t.same(bossList, BUILT_IN_ROLES.supervisor, "and the supervisor's");
  const cashierMay = new Set(cashierList);
  const may = (p: Permission) => bossList.includes(p);
  const supervisorOnly = gated.filter((o) => may(o.permission) && !cashierMay.has(o.permission));
  for (const p of PERMISSIONS.filter((p) => may(p) && !cashierMay.has(p))) {
    t.ok(
      supervisorOnly.some((o) => o.permission === p),
      `supervisor-only permission ${p} gates a route`,
    );
  }
  const sale = async (amount: number) =>
    (await call("POST", "/api/v1/sales", { amount, cardUid: "04A1B2C3" }, cashier)).body.txnId as string;
  const [saleA, saleB] = [await sale(1_000), await sale(2_000)];
  t.match(
    (await call("POST", "/api/v1/cards", { cardUid: "9E9E9E9E", cardType: "standard", memberId: "M0005" }, cashier))
      .body,
    {
      ok: true,
    },
  );
  const table = requests(saleA, saleB);
  for (const op of supervisorOnly)
    t.ok(
      table.some((r) => r.key === op.key),
      `a request for ${op.key} (${op.permission})`,
    );
  for (const r of table)
    t.ok(
      supervisorOnly.some((o) => o.key === r.key),
      `${r.key} is supervisor-only`,
    );

  // A cashier: refused each, and nothing moved.
  const before = await snapshot(rig);
  for (const r of table) {
    t.match(
      await call(r.method, r.url, r.body, cashier),
      { status: 403, body: { code: "CT_FORBIDDEN" } },
      `cashier: ${r.method} ${r.url}`,
    );
  }
  t.same(await snapshot(rig), before, "nothing changed at the server or on the till");

  // A supervisor: allowed each.
  for (const r of table) {
    const res = await call(r.method, r.url, r.body, boss);
    t.equal(res.status, 200, `supervisor: ${r.method} ${r.url}`);
    if (typeof res.body === "object" && res.body !== null && ("ok" in res.body || "approved" in res.body)) {
      t.ok(res.body.ok === true || res.body.approved === true, `done: ${r.url} ${JSON.stringify(res.body.code ?? "")}`);
    }
  }
  const afterBoss = await snapshot(rig);
  t.not(afterBoss.audit, before.audit, "the supervisor's card operations reached the server's audit log");
  t.not(afterBoss.txns, before.txns, "and the refund and void its ledger");
  t.equal(hq.db.kind, "pglite");
});

/** What a refused request must leave alone: the server's ledger, cards, hotlist, audit log; the till's journal and receipts. */
async function snapshot(rig: Awaited<ReturnType<typeof startTillRig>>) {
  const { hq, agent, call } = rig;
  const one = async (sql: string) => (await hq.db.query(sql)).rows;
  return {
    audit: await one("SELECT count(*)::int AS n FROM audit_log"),
    txns: await one("SELECT count(*)::int AS n FROM transactions"),
    cards: await one("SELECT card_id, status, card_type, account_id FROM cards ORDER BY card_id"),
    accounts: await one("SELECT id, balance, points FROM accounts ORDER BY id"),
    hotlist: (await hq.ledger.getHotlist()).version,
    journal: agent.ledger.summary().nextSeq,
    receipts: (await call("GET", "/api/v1/receipts")).body.receipts.length,
  };
}
