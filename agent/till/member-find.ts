/**
 * Finding a member at the till (会员查询): a member whose card is lost gives their
 * phone number or member number, and the cashier gets their cards to report one lost. The
 * server looks it up (protocol/till-member-find.ts: exact matches only, a capped list,
 * phones masked, each lookup audited); the till only checks the query, asks, and logs the
 * lookup without the number in clear. Online only: the till holds just the cards it has
 * seen, which would miss exactly the card that is lost.
 */

import { CardtermError } from "../../protocol/errors.js";
import { type FoundMember, maskPhone, normalisePhone } from "../../protocol/till-member-find.js";
import type { TillOpDeclineCode } from "../../protocol/till-ops.js";
import { declineText } from "../../rules/decline-text.js";
import { businessDay } from "../sale/business-day.js";
import type { TillOpsDeps } from "./till-operations.js";

export type MemberFindDeps = Pick<TillOpsDeps, "now" | "log" | "settings"> & {
  server: Pick<TillOpsDeps["server"], "find">;
};

/** Exactly one of the two, as typed at the till. */
export interface MemberQuery {
  phone?: string | undefined;
  memberId?: string | undefined;
}

export type MemberFindOutcome =
  | { ok: true; members: FoundMember[]; more: boolean }
  | { ok: false; code: TillOpDeclineCode; message: string };

export class MemberFinder {
  constructor(private readonly deps: MemberFindDeps) {}

  async find(query: MemberQuery, operatorId: string): Promise<MemberFindOutcome> {
    const { server, settings, log, now } = this.deps;
    const by = searchOf(query);
    const at = now();
    const call = {
      op: "find" as const,
      ...by,
      operatorId,
      businessDay: businessDay(at, settings.timeZone),
      at: new Date(at).toISOString(),
    };
    const shown = by.phone !== undefined ? { phone: maskPhone(by.phone) } : { memberId: by.memberId };
    let reply: Awaited<ReturnType<MemberFindDeps["server"]["find"]>>;
    try {
      reply = await server.find(call, settings.opTimeoutMs);
    } catch (err) {
      if (!(err instanceof CardtermError) || err.code !== "CT_SERVER_TIMEOUT") throw err;
      throw new CardtermError(
        "CT_SERVER_TIMEOUT",
        "the central server did not answer: finding a member needs it online; try again, or tap the card if the member has it",
      );
    }
    if (!reply.ok) {
      log.info({ ...shown, operatorId, code: reply.code }, "member lookup refused");
      return { ok: false, code: reply.code, message: declineText(reply.code, settings.language) };
    }
    const { members, more } = reply.found;
    log.info({ ...shown, operatorId, found: members.length, more }, "member lookup");
    return { ok: true, members, more };
  }
}

/** The query as the server takes it: a phone number normalised, or a member id; never both. */
function searchOf(query: MemberQuery): { phone: string; memberId?: never } | { memberId: string; phone?: never } {
  const phone = query.phone?.trim() ?? "";
  const memberId = query.memberId?.trim() ?? "";
  if ((phone === "") === (memberId === "")) {
    throw new CardtermError("CT_BAD_REQUEST", "give either phone or memberId, one of them");
  }
  if (memberId !== "") {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(memberId)) {
      throw new CardtermError("CT_BAD_REQUEST", "memberId must be 1–64 letters, digits, _ or -");
    }
    return { memberId };
  }
  const normalised = normalisePhone(phone);
  if (normalised === null) {
    throw new CardtermError("CT_BAD_REQUEST", "phone must be a whole phone number: 5–20 digits, an optional leading +");
  }
  return { phone: normalised };
}
