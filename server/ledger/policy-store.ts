/**
 * The versioned policy document (docs/policy.md): the newest version is the current one.
 */
import type { PolicyDocument } from "../../rules/policy.js";
import type { Queryable } from "../db/db.js";

export async function currentPolicy(q: Queryable): Promise<PolicyDocument | undefined> {
  const { rows } = await q.query<{ document: PolicyDocument | string }>(
    "SELECT document FROM policies ORDER BY version DESC LIMIT 1",
  );
  const doc = rows[0]?.document;
  return typeof doc === "string" ? (JSON.parse(doc) as PolicyDocument) : doc;
}

/** Stores a policy version; false if that version already exists (versions are immutable). */
export async function savePolicy(q: Queryable, doc: PolicyDocument): Promise<boolean> {
  const { rows } = await q.query(
    "INSERT INTO policies (version, document) VALUES ($1, $2::jsonb) ON CONFLICT (version) DO NOTHING RETURNING version",
    [doc.version, JSON.stringify(doc)],
  );
  return rows.length > 0;
}
