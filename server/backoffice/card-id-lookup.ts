/**
 * A card id as a person types it. The ledger's ids are `<technology>:<number>`
 * (rules/card.ts), but what is printed on a card or read off a reader is the number
 * alone, and `cardterm-hq card show 04AABBCC` used to answer "not in the ledger".
 * A bare number is looked up under every technology, in the form each one writes it
 * (IC uids in upper-case hex): one match is that card; none says the form expected; two
 * (an ID card and an IC card with the same digits) ask for the full id rather than pick.
 * Every candidate is an exact primary-key lookup.
 */

import { CardtermError } from "../../protocol/errors.js";
import { type CardTechnology, isCardId, cardId as makeCardId } from "../../rules/card.js";
import type { Queryable } from "../db/db.js";

const TECHNOLOGIES: readonly CardTechnology[] = ["ic", "id", "qr", "sim"];
const EXPECTED = "write the card id as <technology>:<number>, e.g. ic:04A1B2C3 or id:0012345678";

/** The ledger's card id for `text`: itself when it names a technology, else the one card its number fits. */
export async function resolveCardId(q: Queryable, text: string): Promise<string> {
  const typed = text.trim();
  if (typed.includes(":")) return typed;
  const candidates = candidatesOf(typed);
  if (candidates.length === 0)
    throw new CardtermError("CT_BAD_REQUEST", `${JSON.stringify(typed)} is not a card number; ${EXPECTED}`);
  const { rows } = await q.query<{ card_id: string }>(
    "SELECT card_id FROM cards WHERE card_id = ANY($1::text[]) ORDER BY card_id DESC",
    [candidates],
  );
  if (rows.length === 1) return rows[0]!.card_id;
  if (rows.length === 0) {
    throw new CardtermError(
      "CT_NOT_FOUND",
      `no card ${typed} in the ledger (looked for ${candidates.join(", ")}); ${EXPECTED}`,
    );
  }
  const ids = rows.map((r) => r.card_id).join(", ");
  throw new CardtermError("CT_BAD_REQUEST", `${typed} is more than one card: ${ids}; give the full id`);
}

function candidatesOf(typed: string): string[] {
  const out: string[] = [];
  for (const tech of TECHNOLOGIES) {
    try {
      const id = makeCardId(tech, typed);
      // An IC uid drops anything not hex: "04-AA" is not the number "04AA" someone typed.
      if (isCardId(id) && (tech !== "ic" || /^[0-9A-Fa-f]+$/.test(typed))) out.push(id);
    } catch {
      // not a number this technology writes
    }
  }
  return [...new Set(out)];
}
