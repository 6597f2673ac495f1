/**
 * Operators from head office and the server's role check, on PGlite: each
 * till's operators document (its store's operators, limited ones only at their tills,
 * disabled ones as bare ids, the PIN as a hash the till's verifier takes, the version
 * rising with every change), published retained on the till's own topic through a real
 * broker and republished only where it changed; a policy naming an unknown permission
 * refused; and till operations from operators head office knows checked against their
 * role there — while a retry of what was applied still gets its outcome, and operators
 * head office does not know are let through with an audit row.
 */
import mqtt from "mqtt";
import t from "tap";
import { startEmbeddedBroker } from "../../agent/demo/embedded-broker.js";
import { silentLogger } from "../../agent/logger.js";
import { decodeOperatorsDoc, type OperatorsDocument } from "../../protocol/operators-doc.js";
import type { TillOpRequest } from "../../protocol/till-ops.js";
import { topics } from "../../protocol/topics.js";
import { verifyPin } from "../../rules/pin.js";
import { demoPolicy } from "../../rules/policy.js";
import { listAudit } from "../../server/backoffice/actor.js";
import { operatorDocumentFor, operatorDocuments } from "../../server/backoffice/operator-docs.js";
import { addOperator, operatorsVersion, setOperatorActive, updateOperator } from "../../server/backoffice/operators.js";
import { publishPolicy } from "../../server/backoffice/policy.js";
import type { Db } from "../../server/db/db.js";
import { startHqServer } from "../../server/hq-server.js";
import { provisionTerminal } from "../../server/provision/provision-terminal.js";
import { handleTillOp } from "../../server/till/till-ops.js";
import { freePort } from "../helpers/free-port.js";
import { waitFor } from "../helpers/wait-for.js";
import { ALICE, code, resetBackoffice, WANG } from "./backoffice-fixture.js";
import { openTestDb } from "./ledger-fixture.js";

const db: Db = await openTestDb();
t.teardown(() => db.close());

/** Tills S1-01 and S1-02 in store S1, S2-01 in store S2; T001 (seeded) has no store. */
async function chain(): Promise<void> {
  await resetBackoffice(db);
  for (const [terminalId, storeId] of [
    ["S1-01", "S1"],
    ["S1-02", "S1"],
    ["S2-01", "S2"],
  ] as const) {
    await provisionTerminal(db, { terminalId, storeId });
  }
}

const add = (operatorId: string, storeId: string, role: string, more: Record<string, unknown> = {}) =>
  addOperator(db, { operatorId, storeId, name: `员工${operatorId}`, role, pin: "2468", ...more }, ALICE);

/** The demo policy with no version: published as the current one + 1. */
const nextPolicy = (roles?: Record<string, string[]>) => {
  const { version: _, ...rest } = demoPolicy();
  return roles ? { ...rest, roles } : rest;
};

const docOf = async (terminalId: string) => (await operatorDocumentFor(db, terminalId))!;
const ids = (doc: OperatorsDocument) => doc.operators.map((o) => `${o.id}${o.active ? "" : "(disabled)"}`);

let corr = 0;
const op = (terminalId: string, operatorId: string, body: Record<string, unknown>): TillOpRequest =>
  ({
    v: 1,
    corr: `c${++corr}`,
    terminalId,
    operatorId,
    businessDay: "2026-11-22",
    at: "2026-11-22T10:00:00.000Z",
    ...body,
  }) as TillOpRequest;

t.test("each till's document: its store's operators, scoped, disabled as bare ids, versioned", async (t) => {
  await chain();
  const v0 = await operatorsVersion(db);
  await add("C1", "S1", "cashier", { cardUid: "ic:c0ffee01" });
  await add("B1", "S1", "supervisor", { terminals: ["S1-02"] });
  await add("C2", "S2", "cashier");
  t.equal(await operatorsVersion(db), v0 + 3, "one version per change");

  t.same(ids(await docOf("S1-01")), ["C1"], "B1 works only at S1-02");
  t.same(ids(await docOf("S1-02")), ["B1", "C1"]);
  t.same(ids(await docOf("S2-01")), ["C2"]);
  t.same((await docOf("T001")).operators, [], "a till with no store gets an empty list");
  t.equal(await operatorDocumentFor(db, "nobody"), undefined);
  const c1 = (await docOf("S1-01")).operators[0]!;
  t.match(c1, { id: "C1", name: "员工C1", role: "cashier", cardUid: "C0FFEE01", active: true });
  t.ok(c1.active && verifyPin("2468", c1.pinHash), "the hash sent verifies with the till's own verifier");
  t.notOk(c1.active && verifyPin("1357", c1.pinHash));
  t.notMatch(JSON.stringify(await operatorDocuments(db)), /2468/, "no PIN in clear anywhere in the documents");
  for (const doc of await operatorDocuments(db)) {
    t.ok(decodeOperatorsDoc(JSON.stringify(doc)).ok, `${doc.terminalId}'s document passes the till's validation`);
    t.equal(doc.version, v0 + 3);
  }

  await setOperatorActive(db, { operatorId: "C1", active: false }, ALICE);
  const disabled = await docOf("S1-01");
  t.same(disabled.operators, [{ id: "C1", active: false }], "disabled: the id only, no name, no hash");
  t.equal(disabled.version, v0 + 4);
  await updateOperator(db, { operatorId: "B1", role: "cashier", terminals: null }, ALICE);
  t.same(ids(await docOf("S1-01")), ["B1", "C1(disabled)"], "B1 now at every till of S1, as a cashier");
  t.match((await docOf("S1-01")).operators[0], { id: "B1", role: "cashier" });
  t.equal((await docOf("S1-01")).version, v0 + 5);

  await t.rejects(add("C3", "S1", "cashier", { cardUid: "C0FFEE01" }), code("CT_CONFLICT"), "one card, one operator");
  await t.rejects(add("C4", "S1", "cashier", { cardUid: "!!" }), code("CT_BAD_REQUEST"));
  t.equal(await operatorsVersion(db), v0 + 5, "a refused change moves no version");
  t.same(
    (await listAudit(db, { subject: "B1" })).map((a) => a.action),
    ["operator.update", "operator.add"],
    "each change audited",
  );
});

t.test("a policy naming an unknown permission is refused with the nearest one", async (t) => {
  await chain();
  const bad = nextPolicy({ supervisor: ["sale", "refnd"], manager: ["sale"] });
  await t.rejects(publishPolicy(db, bad, ALICE), {
    code: "CT_POLICY_INVALID",
    message:
      /roles\.supervisor: unknown permission "refnd" \(did you mean "refund"\?\)[\s\S]*roles\.manager: unknown role/,
  });
  const good = await publishPolicy(db, nextPolicy({ supervisor: ["sale", "refund"] }), ALICE);
  t.same(good.policy.roles, { supervisor: ["sale", "refund"] });
});

t.test("the server checks the role of operators it knows, and lets unknown ones through with a note", async (t) => {
  await chain();
  await add("C1", "S1", "cashier");
  await add("B1", "S1", "supervisor");
  const loss = (terminal: string, who: string, requestId: string) =>
    handleTillOp(db, op(terminal, who, { op: "loss", requestId, cardId: WANG, note: "挂失" }));
  const status = async () =>
    (await db.query<{ status: string }>("SELECT status FROM cards WHERE card_id = $1", [WANG])).rows[0]!.status;

  t.match(await loss("S1-01", "C1", "r1"), {
    ok: false,
    code: "OPERATOR_NOT_ALLOWED",
    message: "operator C1 is a cashier at head office, and a cashier may not cardManage",
  });
  const refund = await handleTillOp(db, op("S1-01", "C1", { op: "refund", txnId: "t-r1", originalTxnId: "none" }));
  t.match(
    refund,
    { ok: false, code: "OPERATOR_NOT_ALLOWED" },
    "a cashier's refund is refused before anything is looked up",
  );
  t.equal(await status(), "active", "nothing changed");
  t.match(await loss("S2-01", "B1", "r2"), { ok: false, message: /works at store S1, not at till S2-01/ });

  const topUp = op("S1-01", "C1", { op: "topup", txnId: "t-top1", cardId: WANG, amount: 1000, payment: "cash" });
  t.match(await handleTillOp(db, topUp), { ok: true, txn: { kind: "topup" } }, "a cashier may top up");

  // The chain takes card management from supervisors: refused at the server too.
  await publishPolicy(db, nextPolicy({ supervisor: ["sale", "refund"] }), ALICE);
  t.match(await loss("S1-01", "B1", "r3"), { ok: false, message: /a supervisor may not cardManage/ });
  await publishPolicy(db, nextPolicy(), ALICE);
  t.match(await loss("S1-01", "B1", "r4"), { ok: true, cardOp: { op: "loss", replayed: false } });
  t.equal(await status(), "lost");

  // Disabled now: new requests refused, but the retry of what was applied gets its outcome.
  await setOperatorActive(db, { operatorId: "B1", active: false }, ALICE);
  await setOperatorActive(db, { operatorId: "C1", active: false }, ALICE);
  t.match(await loss("S1-01", "B1", "r4"), { ok: true, cardOp: { replayed: true } }, "the loss already applied");
  t.match(await handleTillOp(db, { ...topUp, corr: "again" }), { ok: true, txn: { txnId: "t-top1" } });
  t.match(await handleTillOp(db, op("S1-01", "B1", { op: "unloss", requestId: "r5", cardId: WANG })), {
    ok: false,
    message: "operator B1 is disabled at head office",
  });
  t.match(await handleTillOp(db, op("S1-01", "C1", { op: "balance", cardId: WANG })), {
    ok: false,
    code: "OPERATOR_NOT_ALLOWED",
  });

  // An operator only the till's config knows: allowed, as before, and noted for head office.
  t.match(await handleTillOp(db, op("S1-01", "900", { op: "unloss", requestId: "r6", cardId: WANG })), { ok: true });
  t.match(await handleTillOp(db, op("S1-01", "900", { op: "balance", cardId: WANG })), { ok: true });
  const notes = (await listAudit(db, { subject: "900" })).filter((a) => a.action === "till.operator-unverified");
  t.equal(notes.length, 1, "one note: the unloss (a balance query changes nothing)");
  t.match(notes[0], {
    actor: "900",
    via: "till:S1-01",
    detail: { op: "unloss", permission: "cardManage", requestId: "r6" },
  });
});

t.test("documents go out retained on each till's own topic, again only where they changed", async (t) => {
  await chain();
  await add("C1", "S1", "cashier");
  const broker = await startEmbeddedBroker(await freePort());
  t.teardown(() => broker.close());
  const hq = await startHqServer({
    mqttUrl: broker.url,
    db,
    docPollMs: 50,
    reconnectPeriodMs: 200,
    log: silentLogger(),
  });
  t.teardown(() => hq.close());

  const seen = new Map<string, OperatorsDocument[]>();
  const till = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: "watcher", reconnectPeriod: 0 });
  t.teardown(() => till.endAsync());
  till.on("message", (topic, payload) => {
    const d = decodeOperatorsDoc(payload);
    if (d.ok) seen.set(topic, [...(seen.get(topic) ?? []), d.value]);
  });
  await till.subscribeAsync([topics.operators("S1-01"), topics.operators("S2-01")], { qos: 1 });
  const of = (terminalId: string) => seen.get(topics.operators(terminalId)) ?? [];
  await waitFor("both tills' retained documents", async () => of("S1-01").length === 1 && of("S2-01").length === 1);
  t.same(ids(of("S1-01")[0]!), ["C1"], "the retained document, to a late subscriber");
  t.same(of("S2-01")[0]!.operators, []);

  // A change made straight in the database (as the CLI does) is noticed by the poll.
  const before = of("S1-01")[0]!.version;
  await add("C9", "S1", "cashier");
  await waitFor("S1-01's new document", async () => of("S1-01").length === 2);
  t.same(ids(of("S1-01")[1]!), ["C1", "C9"]);
  t.ok(of("S1-01")[1]!.version > before, "with a higher version");
  await add("Z1", "S2", "cashier");
  await waitFor("S2-01's new document", async () => of("S2-01").length === 2);
  t.equal(of("S1-01").length, 2, "S1-01's list did not change: not sent again");

  // A till moved to another store: its list changes with no operator changed.
  await provisionTerminal(db, { terminalId: "S2-01", storeId: "S1", force: true });
  await waitFor("the moved till's document", async () => of("S2-01").length === 3);
  t.same(ids(of("S2-01")[2]!), ["C1", "C9"]);
});
