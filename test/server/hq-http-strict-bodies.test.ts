/**
 * Nothing coerced, at head office: the head-office API never coerces a body and never
 * drops an unknown field. Derived from its published OpenAPI document: for every operation
 * with a body and every field in it (a policy's card types too), each shape the document
 * does not admit ("25.00", "1e2", "100", true, 25.5, below the minimum, null, a list, an
 * object), an unknown field, a misspelt optional field and a required field left out go
 * to the real cardterm-hq. Each must be 400 CT_BAD_REQUEST naming the field, and the ledger
 * must be as it was: no top-up, package, card, member, operator, policy or audit row. A
 * valid top-up at the end shows the same check sees money move when it does.
 */
import t from "tap";
import { demoPolicy, type PolicyDocument } from "../../rules/policy.js";
import { ledgerFingerprint } from "../helpers/ledger-fingerprint.js";
import { documentAccepts, looseSpots, type Schema, wrongShapes } from "../helpers/wrong-shapes.js";
import { ZHANG } from "./backoffice-fixture.js";
import { httpRig } from "./hq-http-rig.js";
import { openTestDb } from "./ledger-fixture.js";

const db = await openTestDb();
t.teardown(() => db.close());

const PATH_VALUES: Record<string, string> = { cardId: ZHANG, memberId: "M0001", operatorId: "op-nobody" };

/**
 * A policy head office could publish (every card type cards hold), so only the fault refuses
 * it; each card type with every optional field, so each is tried.
 */
const policy = (() => {
  const p = demoPolicy();
  const standard = { ...p.cardTypes.standard!, pointsRedemption: { minorPerPoint: 1, maxShareBp: 1000 } };
  const cardTypes: PolicyDocument["cardTypes"] = { ...p.cardTypes, standard };
  return { ...p, version: 2, cardTypes, roles: { cashier: ["sale", "topup"] } };
})();

/** A valid body of each operation, full enough that every field is in one; none is ever applied. */
const BASES: Record<string, unknown[]> = {
  "POST /api/v1/members": [{ memberId: "M9001", name: "王五", phone: "13800000001", birthday: "05-01" }],
  "PATCH /api/v1/members/{memberId}": [{ name: "张伟", phone: "13800000002", birthday: "06-01" }],
  "POST /api/v1/cards": [
    {
      cardId: "ic:0C0C0C0C",
      cardType: "gold",
      member: { memberId: "M9002", name: "新会员", phone: "13800000003", birthday: "07-01" },
      memberId: "M0001",
      accountId: "A0001",
      primaryCardId: ZHANG,
      perTxnLimit: 5000,
      dailyLimit: 10_000,
      pin: "1234",
    },
  ],
  "POST /api/v1/cards/{cardId}/replace": [{ newCardId: "ic:0E0E0E0E", pin: "1234", note: "worn" }],
  "POST /api/v1/cards/{cardId}/level": [{ cardType: "silver", note: "asked" }],
  "POST /api/v1/cards/{cardId}/limits": [{ perTxnLimit: 5000, dailyLimit: 10_000 }],
  "POST /api/v1/cards/{cardId}/topups": [{ amount: 10_000, txnId: "hq-strict-1", businessDay: "2026-11-22" }],
  "POST /api/v1/cards/{cardId}/packages": [
    { service: "洗车", uses: 10, expiresOn: "2026-12-31", price: 10_000, packageId: "P9001" },
  ],
  "POST /api/v1/operators": [
    {
      operatorId: "op-9",
      storeId: "S001",
      name: "收银员九",
      role: "cashier",
      pin: "1234",
      cardUid: "ic:ABCD1234",
      terminals: ["T001"],
    },
  ],
  "POST /api/v1/operators/{operatorId}/disable": [{}],
  "POST /api/v1/operators/{operatorId}/enable": [{}],
  "POST /api/v1/operators/{operatorId}/pin": [{ pin: "1234" }],
  "POST /api/v1/policy": [policy],
};
for (const op of ["loss", "unloss", "freeze", "unfreeze", "recycle"])
  BASES[`POST /api/v1/cards/{cardId}/${op}`] = [{ note: "why" }];

type Operation = { requestBody?: { content?: { "application/json"?: { schema?: Schema } } } };

t.test("every wrong shape of every field of every body is refused, naming the field; nothing moves", async (t) => {
  const rig = await httpRig(t, db);
  const doc = (await rig.call("GET", "/api/v1/openapi.json")).body as unknown as {
    paths: Record<string, Record<string, Operation>>;
  };
  const documented = new Map<string, Schema>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const route = `${method.toUpperCase()} ${path}`;
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      if (schema) documented.set(route, schema);
      else t.notOk(/^(POST|PATCH|PUT) /.test(route), `${route}: a body schema is published (an empty one if none)`);
    }
  }
  t.same(
    [...documented.keys()].filter((r) => !BASES[r]),
    [],
    "every documented body has a base here",
  );

  const before = await ledgerFingerprint(db);
  let sent = 0;
  for (const [route, schema] of documented) {
    t.same(looseSpots(schema), [], `${route}: the document refuses unknown fields and types money as integers`);
    const bases = BASES[route] ?? [];
    for (const base of bases) t.ok(documentAccepts(schema, base), `${route}: its base is valid`);
    const { cases, untried } = wrongShapes(schema, bases);
    t.same(untried, [], `${route}: every field is tried`);
    const [method, path] = route.split(" ") as [string, string];
    const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(PATH_VALUES[name] ?? name));
    for (const c of cases) {
      const r = await rig.call(method, url, c.body);
      sent++;
      const ok = r.status === 400 && r.body.code === "CT_BAD_REQUEST" && r.body.field === c.field;
      if (!ok) t.fail(`${route} ${c.what}: want 400 CT_BAD_REQUEST field ${c.field}`, { got: r.status, body: r.body });
      else if (!String(r.body.message).includes(c.field)) t.fail(`${route} ${c.what}: the message names ${c.field}`);
    }
  }
  t.ok(sent > 300, `${sent} wrong bodies sent`);
  t.same(await ledgerFingerprint(db), before, "the ledger is as it was");

  // A body with no fault goes through, and the fingerprint sees it.
  const topUp = await rig.call("POST", `/api/v1/cards/${ZHANG}/topups`, { amount: 10_000, txnId: "hq-strict-ok" });
  t.equal(topUp.status, 200, "a valid top-up is applied");
  t.not((await ledgerFingerprint(db))["account A0001"], before["account A0001"], "and moves the balance");
});

t.test("the refusals read as a person needs them; a misspelt policy field is not published", async (t) => {
  const { call } = await httpRig(t, db);
  t.match(await call("POST", `/api/v1/cards/${ZHANG}/freeze`), { status: 200 }, "no body at all");
  t.match(await call("POST", `/api/v1/cards/${ZHANG}/unfreeze`, {}), { status: 200 }, "an empty one");
  t.match(
    await call("POST", `/api/v1/cards/${ZHANG}/loss`, { reason: "x" }),
    { status: 400, body: { code: "CT_BAD_REQUEST", field: "reason", message: /reason is not a known field.*note/ } },
    "an unknown field is named with the ones allowed",
  );
  const { pointsRedemption, ...gold } = policy.cardTypes.gold!;
  const misspelt = {
    ...policy,
    cardTypes: { ...policy.cardTypes, gold: { ...gold, pointRedemption: pointsRedemption } },
  };
  t.match(
    await call("POST", "/api/v1/policy", misspelt),
    { status: 400, body: { code: "CT_BAD_REQUEST", field: "cardTypes.gold.pointRedemption" } },
    "a policy with a misspelt field is not published (points could never pay on gold)",
  );
  t.match((await call("GET", "/api/v1/policy")).body, { version: 1 }, "the policy in force is the old one");
  t.match(
    await call("POST", `/api/v1/cards/${ZHANG}/topups`, { amount: "25.00" }),
    { status: 400, body: { field: "amount", message: /amount must be an integer .*not text/ } },
    "a numeric string is not an amount",
  );
});
