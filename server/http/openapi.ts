/** The OpenAPI 3.1 description of the head-office API, served at /api/v1/openapi.json. */
import * as s from "./schemas.js";

/** bodyOptional: none at all is taken as `{}` (routes use noBodyIsEmpty); what is sent is checked. */
type Op = { summary: string; body?: unknown; bodyOptional?: boolean; query?: string[]; ok?: string; errors?: number[] };

const ERROR_TEXT: Record<number, string> = {
  400: "Malformed request (CT_BAD_REQUEST, `field` names the field: types are never coerced, unknown fields never dropped), invalid amount or policy (CT_AMOUNT_INVALID, CT_POLICY_INVALID)",
  401: "No or wrong bearer token (CT_UNAUTHORIZED)",
  404: "No such member, card, account or operator (CT_NOT_FOUND)",
  409: "Does not fit the current state (CT_CONFLICT)",
};

function op(o: Op): Record<string, unknown> {
  const err = { content: { "application/json": { schema: s.errorSchema } } };
  const responses: Record<string, unknown> = { [o.ok ?? "200"]: { description: "OK" } };
  for (const code of [400, 401, ...(o.errors ?? [404])]) responses[code] = { description: ERROR_TEXT[code], ...err };
  const out: Record<string, unknown> = { summary: o.summary, responses, security: [{ bearer: [] }] };
  if (o.body) out.requestBody = { required: !o.bodyOptional, content: { "application/json": { schema: o.body } } };
  if (o.query) out.parameters = o.query.map((name) => ({ name, in: "query", schema: { type: "string" } }));
  return out;
}

const card = (summary: string, body: unknown = s.statusChangeSchema) => ({
  post: op({ summary, body, bodyOptional: body === s.statusChangeSchema, errors: [404, 409] }),
});
const noBody = { body: s.noBodySchema, bodyOptional: true };

export function hqOpenApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "cardterm-hq head-office API",
      version,
      description: "The back office: members, cards, top-ups, policy, operators, reports. Amounts are integers in fen.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths: {
      "/api/v1/members": {
        get: op({
          summary: "Find members by id, card id, phone prefix or name part",
          query: ["q", "limit", "offset"],
          errors: [],
        }),
        post: op({ summary: "Create a member", body: s.newMemberSchema, ok: "201", errors: [409] }),
      },
      "/api/v1/members/{memberId}": {
        get: op({ summary: "A member with their accounts and cards" }),
        patch: op({ summary: "Update name, phone or birthday", body: s.memberUpdateSchema }),
      },
      "/api/v1/accounts/{accountId}": {
        get: op({ summary: "An account: balance, points, cards, recent transactions" }),
      },
      "/api/v1/cards": {
        post: op({
          summary: "Issue a card (new or existing member, account, or a sub-card)",
          body: s.cardIssueSchema,
          ok: "201",
          errors: [404, 409],
        }),
      },
      "/api/v1/cards/{cardId}": { get: op({ summary: "A card with its status, account and hotlist state" }) },
      "/api/v1/cards/{cardId}/loss": card("Report lost (挂失): hotlisted"),
      "/api/v1/cards/{cardId}/unloss": card("Found again (解挂)"),
      "/api/v1/cards/{cardId}/freeze": card("Freeze (冻结): hotlisted"),
      "/api/v1/cards/{cardId}/unfreeze": card("Unfreeze (解冻)"),
      "/api/v1/cards/{cardId}/recycle": card("Recycle (注销/回收): out of use, may be issued again"),
      "/api/v1/cards/{cardId}/replace": card("Replace (补卡): the new card takes the account", s.replaceSchema),
      "/api/v1/cards/{cardId}/level": card("Change the card type (升降级)", s.levelSchema),
      "/api/v1/cards/{cardId}/limits": card("Set a sub-card's spending limits", s.limitsSchema),
      "/api/v1/cards/{cardId}/topups": card(
        "Top up at head office with the bonus tier (exactly once per txnId)",
        s.topUpSchema,
      ),
      "/api/v1/cards/{cardId}/packages": {
        get: op({ summary: "The count packages (次卡) of the card's account, newest first" }),
        post: op({
          summary: "Grant or sell a count package (次卡) to the card's account",
          body: s.packageGrantSchema,
          ok: "201",
          errors: [404, 409],
        }),
      },
      "/api/v1/operators": {
        get: op({ summary: "Operators, optionally of one store", query: ["storeId"], errors: [] }),
        post: op({
          summary: "Add an operator with a role and PIN",
          body: s.newOperatorSchema,
          ok: "201",
          errors: [409],
        }),
      },
      "/api/v1/operators/{operatorId}/disable": {
        post: op({ summary: "Disable an operator", ...noBody, errors: [404, 409] }),
      },
      "/api/v1/operators/{operatorId}/enable": {
        post: op({ summary: "Enable an operator again", ...noBody, errors: [404, 409] }),
      },
      "/api/v1/operators/{operatorId}/pin": { post: op({ summary: "Set a new PIN", body: s.operatorPinSchema }) },
      "/api/v1/policy": {
        get: op({ summary: "The current policy document" }),
        post: op({
          summary: "Publish the next policy version (terminals receive it)",
          body: s.policySchema,
          ok: "201",
          errors: [],
        }),
      },
      "/api/v1/reports/daily": {
        get: op({
          summary: "Transactions by day, store, terminal, kind, mode",
          query: ["from", "to", "storeId", "terminalId"],
          errors: [],
        }),
      },
      "/api/v1/reports/liability": {
        get: op({ summary: "Stored value owed to members, owed by members, points", errors: [] }),
      },
      "/api/v1/reports/shortfalls": {
        get: op({ summary: "Offline debits the balance could not cover", query: ["open"], errors: [] }),
      },
      "/api/v1/reports/alerts": { get: op({ summary: "Recent alerts", query: ["kind", "limit"], errors: [] }) },
      "/api/v1/reports/terminals": {
        get: op({ summary: "Each terminal's presence, queue and document versions", errors: [] }),
      },
      "/api/v1/audit": {
        get: op({ summary: "Recent audit rows, optionally for one subject", query: ["subject", "limit"], errors: [] }),
      },
    },
  };
}
