/**
 * A terminal's side of the protocol for server tests: builds sealed, chained journal
 * entries with a test key, priced like the agent would price them, and auth requests.
 */
import { randomUUID } from "node:crypto";
import {
  type EntryBody,
  GENESIS_HASH,
  type JournalEntry,
  sealEntry,
  type TxnMode,
} from "../../protocol/journal-entry.js";
import type { AuthRequest, JournalBatch } from "../../protocol/messages.js";
import { cardTypeOf, demoPolicy } from "../../rules/policy.js";
import { priceSale } from "../../rules/pricing.js";
import { DEMO_MEMBERS } from "../../server/ledger/seed-demo.js";

export const BUSINESS_DAY = "2025-05-20";

export interface SaleOpts {
  mode?: TxnMode;
  txnId?: string;
  businessDay?: string;
}

export class TestTerminal {
  seq = 0;
  prevHash = GENESIS_HASH;

  constructor(
    readonly id: string,
    readonly keyHex: string,
  ) {}

  get key(): Buffer {
    return Buffer.from(this.keyHex, "hex");
  }

  reset(): void {
    this.seq = 0;
    this.prevHash = GENESIS_HASH;
  }

  /** Seals the next entry of this terminal's chain. */
  next(
    fields: Partial<EntryBody> & Pick<EntryBody, "kind" | "cardId" | "gross" | "net">,
    key = this.key,
  ): JournalEntry {
    const body: EntryBody = {
      terminalId: this.id,
      seq: this.seq + 1,
      prevHash: this.prevHash,
      txnId: randomUUID(),
      mode: "offline",
      at: "2025-05-20T04:05:06.000Z",
      businessDay: BUSINESS_DAY,
      operatorId: "op1",
      discount: 0,
      bonus: 0,
      pointsEarned: 0,
      balanceAfter: null,
      ...fields,
    };
    const entry = sealEntry(body, key);
    this.seq = entry.seq;
    this.prevHash = entry.hash;
    return entry;
  }

  /** A sale priced by the card's demo card type (standard for unknown cards). */
  sale(cardId: string, gross: number, opts: SaleOpts = {}): JournalEntry {
    const price = priceDemo(cardId, gross, opts.businessDay ?? BUSINESS_DAY);
    return this.next({
      kind: "sale",
      cardId,
      gross,
      discount: price.discount,
      net: price.net,
      pointsEarned: price.pointsEarned,
      mode: opts.mode ?? "offline",
      ...(opts.txnId ? { txnId: opts.txnId } : {}),
    });
  }

  topup(cardId: string, amount: number, bonus = 0, opts: SaleOpts = {}): JournalEntry {
    return this.next({
      kind: "topup",
      cardId,
      gross: amount,
      net: amount,
      bonus,
      mode: opts.mode ?? "online",
      ...(opts.txnId ? { txnId: opts.txnId } : {}),
    });
  }

  batch(entries: JournalEntry[]): JournalBatch {
    return { v: 1, terminalId: this.id, entries };
  }

  authRequest(cardId: string, gross: number, opts: { txnId?: string; businessDay?: string } = {}): AuthRequest {
    return {
      v: 1,
      corr: randomUUID(),
      txnId: opts.txnId ?? randomUUID(),
      terminalId: this.id,
      operatorId: "op1",
      cardId,
      kind: "sale",
      gross,
      businessDay: opts.businessDay ?? BUSINESS_DAY,
      at: "2025-05-20T04:05:06.000Z",
    };
  }
}

export function priceDemo(cardId: string, gross: number, businessDay = BUSINESS_DAY) {
  const m = DEMO_MEMBERS.find((d) => d.cardId === cardId);
  const type = cardTypeOf(demoPolicy(), m?.cardType ?? "standard")!;
  return priceSale(gross, type, { birthday: m?.birthday, today: businessDay.slice(5) });
}

export function demoBalance(cardId: string): number {
  const m = DEMO_MEMBERS.find((d) => d.cardId === cardId);
  if (!m) throw new Error(`no demo card ${cardId}`);
  return m.balance;
}
