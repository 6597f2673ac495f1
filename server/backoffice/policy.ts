/**
 * Card types and rules (卡类型与规则): read the current policy, check a new version and
 * publish it. Versions are immutable (policy-store.ts); terminals get the new one when the
 * server publishes it retained (hq-server.ts notices the new version).
 */
import { CardtermError } from "../../protocol/errors.js";
import { cardTypeOf, type PolicyDocument } from "../../rules/policy.js";
import { topUpTierProblems } from "../../rules/top-up.js";
import type { Db, Queryable } from "../db/db.js";
import { currentPolicy, savePolicy } from "../ledger/policy-store.js";
import { type Actor, audit, checkActor } from "./actor.js";
import { policyShapeProblems } from "./policy-problems.js";

export async function getPolicy(q: Queryable): Promise<PolicyDocument> {
  const doc = await currentPolicy(q);
  if (!doc) throw new CardtermError("CT_NOT_FOUND", "no policy has been published yet");
  return doc;
}

/** The card type, which must exist in the current policy (cards of unknown types are declined NO_POLICY). */
export async function requireCardType(q: Queryable, cardType: unknown): Promise<string> {
  const policy = await currentPolicy(q);
  const known = policy ? Object.keys(policy.cardTypes) : [];
  if (typeof cardType !== "string" || !policy || !cardTypeOf(policy, cardType)) {
    throw new CardtermError(
      "CT_BAD_REQUEST",
      `card type ${JSON.stringify(cardType)} is not in the current policy (${known.join(", ") || "none published"})`,
    );
  }
  return cardType;
}

export interface PublishedPolicy {
  policy: PolicyDocument;
  /** Things worth a second look that do not stop publishing (e.g. a bigger top-up earning less). */
  warnings: string[];
}

/**
 * Publishes `document` (parsed JSON) as the next version. A missing version means "the
 * current one + 1". Refused with every problem listed (CT_POLICY_INVALID) when the shape
 * is wrong, the version is not above the current one, a type's id differs from its key,
 * or a card type that cards still hold is left out (those cards would be declined).
 */
export async function publishPolicy(db: Db, document: unknown, actor: Actor): Promise<PublishedPolicy> {
  checkActor(actor);
  return db.transaction(async (tx) => {
    // One publisher at a time: two would both read version N and race for N + 1.
    await tx.query("LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE");
    const current = await currentPolicy(tx);
    const doc = withVersion(document, (current?.version ?? 0) + 1);
    // Every problem at once, each at its JSON path (policy-problems.ts): shape and meaning together.
    const problems = [...policyShapeProblems(doc), ...(await meaningProblems(tx, doc, current))];
    if (problems.length > 0) {
      throw new CardtermError("CT_POLICY_INVALID", `policy not published:\n  - ${problems.join("\n  - ")}`, {
        details: { problems },
      });
    }
    const policy = doc as PolicyDocument;
    await savePolicy(tx, policy);
    await audit(tx, actor, "policy.publish", `policy:${policy.version}`, {
      version: policy.version,
      cardTypes: Object.keys(policy.cardTypes),
    });
    return { policy, warnings: warnings(policy) };
  });
}

function withVersion(document: unknown, next: number): unknown {
  if (document === null || typeof document !== "object" || Array.isArray(document)) return document;
  return "version" in document ? document : { ...document, version: next };
}

/**
 * What the schema cannot say. Run on a document that may be misshapen too (so the
 * publisher hears everything at once): each check looks only at the parts it needs, where
 * they have the right type.
 */
async function meaningProblems(
  q: Queryable,
  document: unknown,
  current: PolicyDocument | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  const doc = (document !== null && typeof document === "object" ? document : {}) as Partial<Record<string, unknown>>;
  if (current && typeof doc.version === "number" && doc.version <= current.version) {
    problems.push(`version ${doc.version} is not above the current version ${current.version}`);
  }
  const types = doc.cardTypes;
  if (types === null || typeof types !== "object" || Array.isArray(types)) return problems;
  const ids = Object.keys(types);
  if (ids.length === 0) problems.push("cardTypes is empty: every card would be declined");
  for (const [key, type] of Object.entries(types as Record<string, unknown>)) {
    const id = type !== null && typeof type === "object" ? (type as { id?: unknown }).id : undefined;
    if (typeof id === "string" && id !== key) {
      problems.push(`cardTypes.${key}.id is ${JSON.stringify(id)}; it must equal its key`);
    }
  }
  const { rows } = await q.query<{ card_type: string; n: unknown }>(
    `SELECT card_type, count(*) AS n FROM cards WHERE status NOT IN ('replaced', 'cancelled')
     AND NOT (card_type = ANY($1::text[])) GROUP BY card_type ORDER BY card_type`,
    [ids],
  );
  for (const r of rows) {
    problems.push(`card type ${r.card_type} is left out but ${String(r.n)} card(s) hold it; change their level first`);
  }
  return problems;
}

function warnings(doc: PolicyDocument): string[] {
  return Object.entries(doc.cardTypes).flatMap(([key, type]) =>
    topUpTierProblems(type.topUpBonus).map((p) => `${key}: ${p}`),
  );
}
