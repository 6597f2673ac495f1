/**
 * MACs over what the journal's entries do not cover themselves: the chain head (so
 * cutting the newest or oldest entries and rewinding the head to match is caught) and
 * each cached card (so a raised balance or a lost card set back to active is caught).
 * A whole-file rollback to an older genuine copy can only be caught by the server,
 * which knows the highest sequence it has seen.
 */
import { createHmac } from "node:crypto";
import { canonicalJson } from "../../protocol/journal-entry.js";
import type { CachedCard, JournalDoc } from "./journal-state.js";

function mac(key: Buffer, label: string, value: unknown): string {
  return createHmac("sha256", key).update(label).update("\0").update(canonicalJson(value)).digest("hex");
}

export function headMac(doc: JournalDoc, key: Buffer): string {
  const { terminalId, nextSeq, headHash, ackedSeq, ackedHash } = doc;
  return mac(key, "journal-head", { terminalId, nextSeq, headHash, ackedSeq, ackedHash });
}

export function sealCard(card: Omit<CachedCard, "mac">, key: Buffer): CachedCard {
  const { mac: _old, ...body } = card as CachedCard;
  return { ...body, mac: mac(key, "card", body) };
}

export function cardSealOk(card: CachedCard, key: Buffer): boolean {
  return card.mac !== undefined && sealCard(card, key).mac === card.mac;
}
