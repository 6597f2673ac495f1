/**
 * The operators document of each registered till (protocol/operators-doc.ts): the
 * operators of the till's store — all of its tills, or this one among those they are
 * limited to — with their PIN hashes as stored (scrypt, rules/pin.ts: the till's
 * verifyPin reads the parameters from the hash itself), and the disabled ones as bare ids.
 *
 * One document per till, not one per store or chain: each goes to that till's own topic,
 * which the broker ACL lets only that till read, so a PIN hash reaches only the tills
 * its operator may use (pin.ts: hashes of short PINs should travel no further).
 * A till with no store, or whose store has no operators, gets an empty list — which is
 * also how a till learns that its last operator was moved elsewhere.
 */
import type { HqOperatorEntry, OperatorsDocument } from "../../protocol/operators-doc.js";
import type { Role } from "../../rules/roles.js";
import type { Queryable } from "../db/db.js";
import { operatorsVersion } from "./operators.js";

interface Row {
  terminal_id: string;
  id: string | null;
  name: string | null;
  role: Role | null;
  pin_hash: string | null;
  card_uid: string | null;
  active: boolean | null;
}

/** Every registered till's document, at the current operators version. */
export async function operatorDocuments(q: Queryable): Promise<OperatorsDocument[]> {
  return documentsWhere(q, null);
}

/** One till's document; undefined when the till is not registered. */
export async function operatorDocumentFor(q: Queryable, terminalId: string): Promise<OperatorsDocument | undefined> {
  return (await documentsWhere(q, terminalId))[0];
}

async function documentsWhere(q: Queryable, terminalId: string | null): Promise<OperatorsDocument[]> {
  // The version first: a change committing between the two reads is then published again
  // at the next check with a higher version, never hidden under this one.
  const version = await operatorsVersion(q);
  const { rows } = await q.query<Row>(
    `SELECT t.id AS terminal_id, o.id, o.name, o.role, o.pin_hash, o.card_uid, o.active
     FROM terminals t
     LEFT JOIN operators o ON o.store_id = t.store_id AND (o.terminal_ids IS NULL OR t.id = ANY(o.terminal_ids))
     WHERE $1::text IS NULL OR t.id = $1
     ORDER BY t.id, o.id`,
    [terminalId],
  );
  const docs = new Map<string, OperatorsDocument>();
  for (const r of rows) {
    let doc = docs.get(r.terminal_id);
    if (!doc) {
      doc = { v: 1, terminalId: r.terminal_id, version, operators: [] };
      docs.set(r.terminal_id, doc);
    }
    if (r.id !== null) doc.operators.push(entryOf(r));
  }
  return [...docs.values()];
}

function entryOf(r: Row): HqOperatorEntry {
  if (!r.active) return { id: r.id!, active: false };
  return {
    id: r.id!,
    name: r.name!,
    role: r.role!,
    pinHash: r.pin_hash!,
    ...(r.card_uid === null ? {} : { cardUid: r.card_uid }),
    active: true,
  };
}
