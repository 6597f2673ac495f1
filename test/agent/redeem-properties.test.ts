/**
 * Offline rule 8 for points and count uses, as properties: random sequences of offline
 * sales that redeem points or use a count package, acknowledgements of random prefixes of
 * the journal (the server applied them) and card refreshes from a model of the server,
 * driving a real TerminalLedger on disk and the real Decider. After every step:
 *   (a) the points and uses redeemed by pending entries the snapshot does not include never
 *       exceed the snapshot's points and uses — the till spends only what it knows exists;
 *   (b) every redemption ever approved is covered by the points the server had granted
 *       (opening points + points earned by entries it had applied), and likewise uses;
 *   (c) the server, once everything is applied, never goes below zero points or uses: a
 *       single till offline can never cause a shortfall of either.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import t from "tap";
import { includes } from "../../agent/journal/journal-state.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import { demoPolicy } from "../../rules/policy.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const CARD = "ic:0D000001";
const PKG = "P1";
const START = Date.parse("2026-11-22T02:00:00Z");
const down: OnlineAuthoriser = { isConnected: () => false, authorise: async () => "timeout" };
const limits = {
  enabled: true,
  perTransactionMinor: 10_000_000,
  perCardMinor: 100_000_000,
  perCardCount: 1000,
  terminalMinor: 100_000_000,
  terminalCount: 1000,
  maxOfflineAgeMs: 24 * 3600_000,
  allowUnknownCards: false,
};

type Step =
  | { kind: "redeem"; gross: number; points: number }
  | { kind: "use"; uses: number; gross: number }
  | { kind: "sync"; k: number }
  | { kind: "refresh" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("redeem" as const),
      gross: fc.integer({ min: 1, max: 60_000 }),
      points: fc.integer({ min: 1, max: 400 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("use" as const),
      uses: fc.integer({ min: 1, max: 3 }),
      gross: fc.constantFrom(0, 0, 1_500),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("sync" as const), k: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("refresh" as const) }) },
);

/** The server as far as this card goes: what it applied of the till's journal. */
class ServerModel {
  applied: JournalEntry[] = [];
  constructor(
    readonly points0: number,
    readonly uses0: number,
  ) {}
  get points(): number {
    return this.points0 + this.applied.reduce((s, e) => s + e.pointsEarned - (e.pointsRedeemed ?? 0), 0);
  }
  get uses(): number {
    return this.uses0 - this.applied.reduce((s, e) => s + (e.countUses ?? 0), 0);
  }
  get granted(): number {
    return this.points0 + this.applied.reduce((s, e) => s + e.pointsEarned, 0);
  }
  snapshot(): CardSnapshot {
    return {
      cardId: CARD,
      accountId: "A1",
      memberName: "会员",
      cardType: "gold",
      status: "active",
      balance: 100_000_000,
      points: this.points,
      packages: [{ packageId: PKG, service: "洗车", remainingUses: this.uses, expiresOn: null }],
    };
  }
}

t.test("offline, unsynced redemptions and uses never exceed the points and uses the till knows of", async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 1_500 }),
      fc.integer({ min: 0, max: 6 }),
      fc.array(step, { minLength: 1, maxLength: 30 }),
      async (points0, uses0, steps) => {
        const dir = await tempDir(t);
        const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
        const server = new ServerModel(points0, uses0);
        await ledger.rememberCard(server.snapshot(), { appliedSeq: 0, onlineThrough: 0 }, START);
        ledger.noteContact(START);
        const decider = new Decider({
          terminalId: "T001",
          ledger,
          online: down,
          policy: demoPolicy,
          hotlist: () => new Set(),
          now: () => START,
          log: silentLogger(),
          settings: { offline: limits, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "en" },
        });
        let n = 0;
        let redeemed = 0;
        let used = 0;
        for (const s of steps) {
          if (s.kind === "redeem" || s.kind === "use") {
            const d = await decider.decideSale({
              txnId: `p-${runs}-${++n}`,
              cardId: CARD,
              gross: s.gross,
              operatorId: "001",
              ...(s.kind === "redeem" ? { redeemPoints: s.points } : { countUse: { packageId: PKG, uses: s.uses } }),
            });
            if (d.approved) {
              redeemed += d.entry.pointsRedeemed ?? 0;
              used += d.entry.countUses ?? 0;
              // (b) covered by what the server had granted when it was approved.
              if (redeemed > server.granted) throw new Error(`redeemed ${redeemed} > granted ${server.granted}`);
              if (used > uses0) throw new Error(`used ${used} > ${uses0} uses`);
            } else if (!["POINTS_INSUFFICIENT", "COUNT_EXHAUSTED"].includes(d.code)) {
              throw new Error(`unexpected decline ${d.code}`);
            }
          } else if (s.kind === "sync") {
            const batch = ledger.pending().slice(0, s.k);
            if (batch.length > 0) {
              server.applied.push(...batch);
              await ledger.acknowledge(batch[batch.length - 1]!.seq, START);
            }
          } else {
            await ledger.rememberCard(
              server.snapshot(),
              { appliedSeq: ledger.summary().ackedSeq, onlineThrough: 0 },
              START,
            );
          }
          // (a) after every step, on the snapshot as cached now.
          const card = ledger.card(CARD)!;
          const unsynced = ledger.pending().filter((e) => e.cardId === CARD && !includes(card, e));
          const unsyncedPoints = unsynced.reduce((sum, e) => sum + (e.pointsRedeemed ?? 0), 0);
          const unsyncedUses = unsynced.reduce((sum, e) => sum + (e.countUses ?? 0), 0);
          if (unsyncedPoints > Math.max(0, card.points))
            throw new Error(`${unsyncedPoints} unsynced > ${card.points} cached points`);
          const cachedUses = card.packages?.[0]?.remainingUses ?? 0;
          if (unsyncedUses > Math.max(0, cachedUses))
            throw new Error(`${unsyncedUses} unsynced > ${cachedUses} cached uses`);
        }
        // (c) everything applied: the server never goes below zero.
        server.applied.push(...ledger.pending());
        await ledger.close();
        runs++;
        return server.points >= 0 && server.uses >= 0;
      },
    ),
    { numRuns: 60 },
  );
  t.equal(runs, 60, "every run ended with the server at or above zero points and uses");
});
