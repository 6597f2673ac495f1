/**
 * The till's operations on the local API (docs/till-operations.md): operator sessions (PIN,
 * operator card by uid or by a tap), top-up, refund, void, balance and today's transactions.
 * Each operation names the permission it needs; the operator is the session's (api-auth.ts).
 * Declines are decisions, not errors.
 */
import type { FastifyInstance } from "fastify";
import type { JournalEntry, PaymentMethod } from "../../protocol/journal-entry.js";
import { maskCardId } from "../../rules/card.js";
import { reversibility } from "../till/reversibility.js";
import type { TillOperations, TillOutcome } from "../till/till-operations.js";
import { type ApiAuth, operatorFor, sessionToken } from "./api-auth.js";
import type { EventHub } from "./events.js";
import { tillRequestSchemas as schemas } from "./till-schemas.js";

export interface TillRouteDeps {
  auth: ApiAuth;
  ops: TillOperations;
  events: EventHub;
  /** Entries of a business day (archive + pending), for the refund picker. */
  entriesOf(day: string): Promise<JournalEntry[]>;
  today(): string;
  /** The journal point the server has applied: an offline sale past it is not at the server yet. */
  ackedSeq(): number;
}

export function tillRoutes(app: FastifyInstance, d: TillRouteDeps): void {
  app.post<{ Body: { operatorId?: string; pin?: string; cardUid?: string; tap?: boolean; readerId?: string } }>(
    "/api/v1/sessions",
    { schema: { body: schemas.session } },
    async (req) => {
      const { operatorId, pin, cardUid, tap, readerId } = req.body;
      const tapped = tap === true ? (await d.ops.nextTap(readerId)).cardId : undefined;
      const card = tapped ?? cardUid;
      const session =
        card !== undefined
          ? d.auth.sessions.logInWithCard(card)
          : d.auth.sessions.logInWithPin(operatorId ?? "", pin ?? "");
      return {
        session: session.token,
        operator: session.operator,
        // The role table in force now (built-in < policy < config: operators/role-table.ts).
        permissions: d.auth.sessions.permissionsOf(session),
        idleTimeoutS: Math.round(d.auth.sessions.idleTimeoutMs / 1000),
      };
    },
  );
  app.get("/api/v1/sessions/current", async (req) => {
    const s = d.auth.sessions.use(sessionToken(req));
    // idleTimeoutS too: a console reloaded mid-session re-arms its own idle log-out from it.
    return {
      operator: s.operator,
      permissions: d.auth.sessions.permissionsOf(s),
      idleTimeoutS: Math.round(d.auth.sessions.idleTimeoutMs / 1000),
    };
  });
  app.delete("/api/v1/sessions/current", async (req, reply) => {
    d.auth.sessions.logOut(sessionToken(req));
    return reply.status(204).send();
  });

  app.post<{ Body: { amount: number; cardUid?: string; readerId?: string; payment: PaymentMethod } }>(
    "/api/v1/topups",
    { schema: { body: schemas.topUp } },
    async (req) => reply(d, await d.ops.topUp(req.body, operatorFor(req, d.auth, "topup"))),
  );
  app.post<{ Body: { originalTxnId: string; amount?: number; uses?: number } }>(
    "/api/v1/refunds",
    { schema: { body: schemas.refund } },
    async (req) => reply(d, await d.ops.refund(req.body, operatorFor(req, d.auth, "refund"))),
  );
  app.post<{ Body: { originalTxnId: string } }>("/api/v1/voids", { schema: { body: schemas.void } }, async (req) =>
    reply(d, await d.ops.voidTxn(req.body, operatorFor(req, d.auth, "void"))),
  );
  app.post<{ Body: { cardUid?: string; readerId?: string } }>(
    "/api/v1/balance",
    { schema: { body: schemas.balance } },
    async (req) => {
      const b = await d.ops.balance(req.body ?? {}, operatorFor(req, d.auth, "balance"));
      const card = {
        id: maskCardId(b.card.cardId),
        memberName: b.card.memberName,
        cardType: b.card.cardType,
        status: b.card.status,
      };
      d.events.publish({
        type: "tap",
        data: { card: card.id, memberName: card.memberName, cardType: card.cardType, balance: b.balance },
      });
      // The account's count packages with uses left, so the till screen can offer "use one" (console).
      const packages = (b.card.packages ?? []).map((p) => ({
        packageId: p.packageId,
        service: p.service,
        remainingUses: p.remainingUses,
        expiresOn: p.expiresOn ?? null,
      }));
      return { card, balance: b.balance, points: b.points, packages, source: b.source, asOf: b.asOf };
    },
  );
  app.get<{ Querystring: { day?: string } }>(
    "/api/v1/transactions",
    {
      schema: {
        querystring: { type: "object", properties: { day: { type: "string", pattern: "^\\d{4}-\\d\\d-\\d\\d$" } } },
      },
    },
    async (req) => {
      operatorFor(req, d.auth, "status");
      const day = req.query.day ?? d.today();
      const entries = await d.entriesOf(day);
      // Voidable and refundable by the server's rules, so no screen guesses (till/reversibility.ts).
      const open = reversibility(entries, day === d.today(), d.ackedSeq());
      return {
        transactions: entries.map((e) => ({
          txnId: e.txnId,
          seq: e.seq,
          kind: e.kind,
          mode: e.mode,
          at: e.at,
          card: maskCardId(e.cardId),
          gross: e.gross,
          net: e.net,
          bonus: e.bonus,
          operatorId: e.operatorId,
          originalTxnId: e.originalTxnId ?? null,
          ...open.get(e.txnId),
        })),
      };
    },
  );
}

function reply(d: TillRouteDeps, outcome: TillOutcome): Record<string, unknown> {
  const card = outcome.card
    ? { id: maskCardId(outcome.card.cardId), memberName: outcome.card.memberName, cardType: outcome.card.cardType }
    : null;
  const body: Record<string, unknown> = outcome.approved
    ? {
        approved: true,
        mode: "online",
        txnId: outcome.txnId,
        card,
        transaction: {
          seq: outcome.entry.seq,
          kind: outcome.entry.kind,
          at: outcome.entry.at,
          gross: outcome.entry.gross,
          net: outcome.entry.net,
          bonus: outcome.entry.bonus,
          pointsEarned: outcome.entry.pointsEarned,
          // A refund or void: redeemed points and count uses given back (absent when none).
          ...(outcome.entry.pointsRedeemed
            ? { pointsRedeemed: outcome.entry.pointsRedeemed, redeemedMinor: outcome.entry.redeemedMinor ?? 0 }
            : {}),
          ...(outcome.entry.countPackageId
            ? { countUse: { packageId: outcome.entry.countPackageId, uses: outcome.entry.countUses ?? 0 } }
            : {}),
          operatorId: outcome.entry.operatorId,
          originalTxnId: outcome.entry.originalTxnId,
        },
        pointsAfter: outcome.card?.points,
        balanceAfter: outcome.entry.balanceAfter,
        receipt: outcome.receipt,
      }
    : { approved: false, mode: "online", txnId: outcome.txnId, code: outcome.code, reason: outcome.reason, card };
  d.events.publish({ type: "decision", data: { ...body, receipt: undefined } });
  return body;
}
