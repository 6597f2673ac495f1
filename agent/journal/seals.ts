/**
 * MACs over what the journal's entries do not cover themselves: the head document and
 * the log's attestation slots (so cutting entries, or rewinding the acknowledged point,
 * is caught) and each cached card (so a raised balance or a lost card set back to active
 * is caught). A whole-file rollback to an older genuine copy — or cutting the one newest
 * entry in the instant before it is attested — can only be caught by the server, which
 * knows the highest sequence it has seen (a reused sequence arrives with another hash).
 */
import { createHmac } from "node:crypto";
import { canonicalJson } from "../../protocol/journal-entry.js";
import type { CachedCard, JournalHead } from "./journal-state.js";

/** "Entries up to #seq are on disk, the last one hashing to `hash`." */
export interface Attestation {
  seq: number;
  hash: string;
}

function mac(key: Buffer, label: string, value: unknown): string {
  return createHmac("sha256", key).update(label).update("\0").update(canonicalJson(value)).digest("hex");
}

export function headMac(head: Omit<JournalHead, "headMac">, key: Buffer): string {
  const { terminalId, ackedSeq, ackedHash, attestedSeq, attestedHash } = head;
  return mac(key, "journal-head-2", { terminalId, ackedSeq, ackedHash, attestedSeq, attestedHash });
}

/** The head of a format-1 journal.json (before the log), checked once when it is migrated. */
export function legacyHeadMac(
  doc: { terminalId: string; nextSeq: number; headHash: string; ackedSeq: number; ackedHash: string },
  key: Buffer,
): string {
  const { terminalId, nextSeq, headHash, ackedSeq, ackedHash } = doc;
  return mac(key, "journal-head", { terminalId, nextSeq, headHash, ackedSeq, ackedHash });
}

export function slotMac(terminalId: string, a: Attestation, key: Buffer): string {
  return mac(key, "journal-slot", { terminalId, seq: a.seq, hash: a.hash });
}

export function sealCard(card: Omit<CachedCard, "mac">, key: Buffer): CachedCard {
  const { mac: _old, ...body } = card as CachedCard;
  return { ...body, mac: mac(key, "card", body) };
}

export function cardSealOk(card: CachedCard, key: Buffer): boolean {
  return card.mac !== undefined && sealCard(card, key).mac === card.mac;
}
