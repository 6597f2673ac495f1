/**
 * Nothing coerced, at the till: the local API never coerces a body and never drops an
 * unknown field. Derived from the published OpenAPI document: for every route with a body
 * and every field in it, each shape the document does not admit ("25.00", "1e2", "100",
 * true, 25.5, below the minimum, null, a list, an object), an unknown field, a misspelt
 * optional field (redeemPoint) and a required field left out are sent to the real agent
 * (embedded broker, central server on PGlite). Each must be 400 CT_BAD_REQUEST naming the
 * field, and afterwards nothing moved: the till journaled nothing, the server's ledger is
 * as it was. A valid sale at the end shows the same checks see a debit when there is one.
 */
import t from "tap";
import { ledgerFingerprint } from "../helpers/ledger-fingerprint.js";
import { documentAccepts, looseSpots, type Schema, wrongShapes } from "../helpers/wrong-shapes.js";
import { startTillRig } from "./till-rig.js";

const CARD = "04A1B2C3"; // Zhang's gold card in the demo chain, ¥1000.00
const PATH_VALUES: Record<string, string> = { cardUid: `ic:${CARD}`, jobId: "no-such-receipt" };

/**
 * A valid body of each route, full enough that every field is in one (the test fails on a
 * field no base holds). Several where fields exclude each other. None is ever applied: each
 * case changes one thing that the document refuses.
 */
const BASES: Record<string, unknown[]> = {
  "POST /api/v1/sales": [
    {
      amount: 2500,
      cardUid: CARD,
      readerId: "sim",
      operatorId: "900",
      pin: "1234",
      redeemPoints: 100,
      countUse: { packageId: "P100001", uses: 1 },
    },
  ],
  "POST /api/v1/sessions": [
    { operatorId: "900", pin: "9999" },
    { cardUid: "B055B055" },
    { tap: true, readerId: "sim" },
  ],
  "POST /api/v1/topups": [{ amount: 10_000, cardUid: CARD, readerId: "sim", payment: "cash" }],
  "POST /api/v1/refunds": [{ originalTxnId: "T001-1", amount: 100, uses: 1 }],
  "POST /api/v1/voids": [{ originalTxnId: "T001-1" }],
  "POST /api/v1/balance": [{ cardUid: CARD, readerId: "sim" }],
  "POST /api/v1/receipts/self-test": [
    { doctor: [{ name: "printer", result: "PASS", detail: "ok", code: "CT_PRINTER_OFFLINE" }] },
  ],
  "POST /api/v1/close/print": [{ day: "2026-11-22", operatorId: "900" }],
  "POST /api/v1/receipts/{jobId}/reprint": [{}],
  "POST /api/v1/cards": [
    {
      cardUid: "0C0C0C0C",
      readerId: "sim",
      cardType: "gold",
      member: { name: "新会员", phone: "13800000009", birthday: "05-01" },
      pin: "1234",
    },
    { cardUid: "0C0C0C0C", cardType: "gold", memberId: "M0001" },
  ],
  "POST /api/v1/cards/{cardUid}/subcards": [
    { cardUid: "0D0D0D0D", readerId: "sim", limitMinor: 10_000, perTxnLimitMinor: 5000, pin: "1234" },
  ],
  "POST /api/v1/cards/{cardUid}/replace": [{ newCardUid: "0E0E0E0E", readerId: "sim", note: "worn" }],
  "POST /api/v1/cards/{cardUid}/level": [{ cardType: "silver", note: "asked" }],
  "POST /api/v1/cards/read": [{ readerId: "sim" }],
};
for (const op of ["loss", "unloss", "freeze", "unfreeze", "recycle"]) {
  BASES[`POST /api/v1/cards/{cardUid}/${op}`] = [{ note: "why" }];
}

type Operation = { requestBody?: { content?: { "application/json"?: { schema?: Schema } } } };

t.test("every wrong shape of every field of every body is refused, naming the field; nothing moves", async (t) => {
  const rig = await startTillRig(t, { tapTimeoutMs: 300 });
  const session = await rig.login("900");
  const doc = (await rig.call("GET", "/api/v1/openapi.json")).body as {
    paths: Record<string, Record<string, Operation>>;
  };

  const documented = new Map<string, Schema>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      if (schema) documented.set(`${method.toUpperCase()} ${path}`, schema);
    }
  }
  const served = rig.agent.routes.filter((r) => /^(POST|PUT|PATCH) /.test(r));
  for (const route of served) {
    t.ok(documented.has(route), `${route}: its body is in the OpenAPI document (an empty one where it takes none)`);
  }
  t.same(
    [...documented.keys()].filter((r) => !BASES[r]),
    [],
    "every documented body has a base here",
  );

  const tillBefore = rig.agent.ledger.summary();
  const serverBefore = await ledgerFingerprint(rig.hq.db);
  let sent = 0;
  for (const [route, schema] of documented) {
    t.same(looseSpots(schema), [], `${route}: the document refuses unknown fields and types money as integers`);
    const bases = BASES[route] ?? [];
    for (const base of bases) t.ok(documentAccepts(schema, base), `${route}: base ${JSON.stringify(base)} is valid`);
    const { cases, untried } = wrongShapes(schema, bases);
    t.same(untried, [], `${route}: every field is tried`);
    const [method, path] = route.split(" ") as [string, string];
    const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(PATH_VALUES[name] ?? name));
    for (const c of cases) {
      const r = await rig.call(method, url, c.body, session);
      sent++;
      const ok = r.status === 400 && r.body?.code === "CT_BAD_REQUEST" && r.body?.field === c.field;
      if (!ok) t.fail(`${route} ${c.what}: want 400 CT_BAD_REQUEST field ${c.field}`, { got: r.status, body: r.body });
      else if (!String(r.body.message).includes(c.field)) t.fail(`${route} ${c.what}: the message names ${c.field}`);
    }
  }
  t.ok(sent > 300, `${sent} wrong bodies sent`);

  await rig.hq.idle();
  t.same(rig.agent.ledger.summary().nextSeq, tillBefore.nextSeq, "the till journaled nothing");
  t.same(
    (await rig.call("GET", "/api/v1/transactions", undefined, session)).body.transactions,
    [],
    "no transaction today",
  );
  t.same(await ledgerFingerprint(rig.hq.db), serverBefore, "the server's ledger is as it was");

  // The same checks see a sale when one is made: a valid body goes through.
  const sale = await rig.call("POST", "/api/v1/sales", { amount: 2500, cardUid: CARD }, session);
  t.match(sale, { status: 200, body: { approved: true } }, "a valid sale is approved");
  t.equal(rig.agent.ledger.summary().nextSeq, tillBefore.nextSeq + 1, "and journaled");
  t.not((await ledgerFingerprint(rig.hq.db))["account A0001"], serverBefore["account A0001"], "and debited");
});
