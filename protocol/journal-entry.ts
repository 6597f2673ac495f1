/**
 * Journal entries: what a terminal commits for every transaction (docs/architecture.md#the-journal).
 *
 * Each entry carries a per-terminal sequence number with no gaps, the hash of the
 * previous entry and an HMAC with the terminal's key, so deletion, reordering and
 * editing are detectable on the box and at the server. The hash covers a canonical JSON
 * form (sorted keys) of every field but `hash` and `mac`.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { CardId } from "../rules/card.js";
import type { Minor } from "../rules/money.js";

export const GENESIS_HASH = "0".repeat(64);

/**
 * sale: stored value spent (消费), maybe with points redeemed as cash and/or a count-card
 * use (an amount of 0 with only a use is a sale too); topup: stored value
 * bought (充值), maybe with bonus; refund: part or all of a sale given back (退款); void:
 * a sale or top-up cancelled whole on its business day (撤销).
 */
export type TxnKind = "sale" | "topup" | "refund" | "void";
export const TXN_KINDS: readonly TxnKind[] = ["sale", "topup", "refund", "void"];
export type TxnMode = "online" | "offline";
/** How a member paid for a top-up. */
export type PaymentMethod = "cash" | "wechat" | "alipay" | "bankcard";
export const PAYMENT_METHODS: readonly PaymentMethod[] = ["cash", "wechat", "alipay", "bankcard"];

export interface EntryBody {
  terminalId: string;
  seq: number;
  prevHash: string;
  txnId: string;
  kind: TxnKind;
  mode: TxnMode;
  /** ISO-8601 UTC time of approval on the terminal's clock. */
  at: string;
  /** The store's business day (YYYY-MM-DD) the transaction counts in. */
  businessDay: string;
  operatorId: string;
  cardId: CardId;
  gross: Minor;
  discount: Minor;
  /**
   * Stored value moved, always ≥ 0; its sign comes from the kind (balanceDelta): debited
   * for a sale, credited for a top-up (with `bonus`) or a refund, the original's reversed
   * for a void.
   */
  net: Minor;
  bonus: Minor;
  /** Points given (negative when a refund or void takes them back). */
  pointsEarned: number;
  /** For online approvals: the account's balance after this transaction, from the server. */
  balanceAfter: Minor | null;
  /**
   * Sale: points spent as cash, and the cash they stood for (already out of `net`).
   * Refund and void: the redeemed points given back, and the cash they stood for. Like
   * `net`, always ≥ 0 and the kind gives the direction (pointsDelta, redemptionOf).
   */
  pointsRedeemed?: number;
  redeemedMinor?: Minor;
  /**
   * Sale: a count-card use (次卡核销) — the package and how many of its uses were taken.
   * Refund and void: the uses given back to that package. Both or neither, uses ≥ 1, the
   * kind gives the direction (countUseOf, usesDelta). Absent fields are left out of the
   * hash (canonicalJson), so entries written before count uses existed still verify.
   */
  countPackageId?: string;
  countUses?: number;
  /** Top-up: how the member paid. */
  payment?: PaymentMethod;
  /** Refund and void: the transaction given back, and (void) its kind. */
  originalTxnId?: string;
  voidOf?: "sale" | "topup";
}

export interface JournalEntry extends EntryBody {
  hash: string;
  mac: string;
}

/** JSON with keys sorted at every level: the same object always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

export function hashBody(body: EntryBody): string {
  const { hash: _h, mac: _m, ...rest } = body as Partial<JournalEntry> & EntryBody;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

export function macOf(hash: string, key: Buffer): string {
  return createHmac("sha256", key).update(hash).digest("hex");
}

export function sealEntry(body: EntryBody, key: Buffer): JournalEntry {
  const hash = hashBody(body);
  return { ...body, hash, mac: macOf(hash, key) };
}

export type EntryProblem =
  | { kind: "hash-mismatch"; seq: number }
  | { kind: "mac-mismatch"; seq: number }
  | { kind: "chain-broken"; seq: number; expectedPrev: string }
  | { kind: "sequence-gap"; seq: number; expectedSeq: number }
  | { kind: "wrong-terminal"; seq: number; terminalId: string };

/** Check one entry against the one before it (seq and hash of the previous entry). */
export function checkEntry(
  entry: JournalEntry,
  expected: { terminalId: string; seq: number; prevHash: string },
  key: Buffer,
): EntryProblem | null {
  if (entry.terminalId !== expected.terminalId)
    return { kind: "wrong-terminal", seq: entry.seq, terminalId: entry.terminalId };
  if (entry.seq !== expected.seq) return { kind: "sequence-gap", seq: entry.seq, expectedSeq: expected.seq };
  if (entry.prevHash !== expected.prevHash)
    return { kind: "chain-broken", seq: entry.seq, expectedPrev: expected.prevHash };
  if (hashBody(entry) !== entry.hash) return { kind: "hash-mismatch", seq: entry.seq };
  const mac = Buffer.from(macOf(entry.hash, key), "hex");
  const given = Buffer.from(entry.mac, "hex");
  if (mac.length !== given.length || !timingSafeEqual(mac, given)) return { kind: "mac-mismatch", seq: entry.seq };
  return null;
}

export function describeProblem(p: EntryProblem): string {
  switch (p.kind) {
    case "hash-mismatch":
      return `entry #${p.seq} was edited: its content does not match its hash`;
    case "mac-mismatch":
      return `entry #${p.seq} has a MAC that does not match the terminal key`;
    case "chain-broken":
      return `entry #${p.seq} does not follow the entry before it (deleted or reordered entry)`;
    case "sequence-gap":
      return `entry #${p.seq} found where #${p.expectedSeq} was expected (missing or reordered entries)`;
    case "wrong-terminal":
      return `entry #${p.seq} belongs to terminal ${p.terminalId}`;
  }
}

/** Signed effect of an entry on the account's stored value. */
export function balanceDelta(e: Pick<EntryBody, "kind" | "net" | "bonus" | "voidOf">): Minor {
  switch (e.kind) {
    case "sale":
      return -e.net;
    case "topup":
      return e.net + e.bonus;
    case "refund":
      return e.net;
    case "void":
      return e.voidOf === "topup" ? -(e.net + e.bonus) : e.net;
  }
}

/**
 * Whether an entry gives back what a sale took (refund, void): its `pointsRedeemed`,
 * `redeemedMinor` and `countUses` then count the other way.
 */
export function givesBack(kind: TxnKind): boolean {
  return kind === "refund" || kind === "void";
}

/**
 * Signed effect of an entry on the account's points. `pointsEarned` carries its own sign
 * (a refund or void takes earned points back with a negative one); redeemed points are
 * spent by a sale and given back by a refund or void.
 */
export function pointsDelta(e: Pick<EntryBody, "kind" | "pointsEarned" | "pointsRedeemed">): number {
  const redeemed = e.pointsRedeemed ?? 0;
  return e.pointsEarned + (givesBack(e.kind) ? redeemed : -redeemed);
}

/**
 * Points spent as cash and the cash they stood for, signed: positive for a sale, negative
 * for a refund or void giving them back — so sums over a day are net of give-backs.
 */
export function redemptionOf(e: Pick<EntryBody, "kind" | "pointsRedeemed" | "redeemedMinor">): {
  points: number;
  minor: Minor;
} {
  const sign = givesBack(e.kind) ? -1 : 1;
  return { points: sign * (e.pointsRedeemed ?? 0), minor: sign * (e.redeemedMinor ?? 0) };
}

/**
 * Uses a sale takes off a count package, or undefined when it uses none. A refund's or
 * void's uses go back instead (usesDelta), so they are not a use: they never count
 * against what a till may spend offline, nor as a use in the daily close.
 */
export function countUseOf(
  e: Pick<EntryBody, "kind" | "countPackageId" | "countUses">,
): { packageId: string; uses: number } | undefined {
  return e.kind === "sale" ? usesOf(e) : undefined;
}

/** Uses a refund or void gives back to a count package, or undefined when none. */
export function usesGivenBack(
  e: Pick<EntryBody, "kind" | "countPackageId" | "countUses">,
): { packageId: string; uses: number } | undefined {
  return givesBack(e.kind) ? usesOf(e) : undefined;
}

/** Signed effect of an entry on a count package's remaining uses (a sale −, a refund or void +). */
export function usesDelta(
  e: Pick<EntryBody, "kind" | "countPackageId" | "countUses">,
): { packageId: string; delta: number } | undefined {
  const use = usesOf(e);
  return use && { packageId: use.packageId, delta: givesBack(e.kind) ? use.uses : -use.uses };
}

function usesOf(e: Pick<EntryBody, "countPackageId" | "countUses">): { packageId: string; uses: number } | undefined {
  return e.countPackageId !== undefined && (e.countUses ?? 0) > 0
    ? { packageId: e.countPackageId, uses: e.countUses ?? 0 }
    : undefined;
}
