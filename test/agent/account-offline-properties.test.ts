/**
 * Limits per account, as a property: one account with three cards — an IC card, an ID card
 * and a sub-card with its own per-payment and daily limits — and another member's card,
 * at one till. Random sequences of sales on all of them (one at a time and in bursts),
 * link changes, syncs of prefixes of the journal, card refreshes, waits, flushes and
 * restarts drive a real TerminalLedger on disk and the real Decider against a model of the
 * server (which, like server/ledger/authorise.ts, keeps the till's unsynced offline spend
 * of the account free and a sub-card's own day). After every step:
 *   (a) the account never approved more than its balance (online or offline), and no card
 *       knows more of it than the opening balance minus every approval on its cards;
 *   (b) the other member's balance is untouched by the account's sales;
 *   (c) per-card offline totals and counts, and the till's, are within their limits;
 *   (d) the sub-card never passed its limits (per payment, and the day from what head
 *       office last said plus everything approved since);
 *   (e) an offline decline has the reason the model's figures give (no spurious decline).
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import t, { type Test } from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { Decision } from "../../agent/sale/decision.js";
import type { AuthReply, AuthRequest } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { cardTypeOf, demoPolicy } from "../../rules/policy.js";
import { priceSale } from "../../rules/pricing.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const START = Date.parse("2026-11-22T02:00:00Z"); // 10:00 in Shanghai: the waits stay in one business day
const DAY = "2026-11-22";
const policy = demoPolicy();
const IC = 0;
const ID = 1;
const SUB = 2;
const OTHER = 3;
const CARDS = [
  { cardId: "ic:0A000001", accountId: "A1", cardType: "gold" },
  { cardId: "id:0000000001", accountId: "A1", cardType: "standard" },
  { cardId: "ic:0A000002", accountId: "A1", cardType: "standard" },
  { cardId: "ic:0B000001", accountId: "B1", cardType: "silver" },
] as const;
const ON_A = [IC, ID, SUB];

type Link = "up" | "down" | "timeout";
type Sale = { card: number; gross: number };
type Step =
  | ({ kind: "sale" } & Sale)
  | { kind: "burst"; sales: Sale[] }
  | { kind: "link"; state: Link }
  | { kind: "sync"; k: number }
  | { kind: "refresh"; card: number }
  | { kind: "wait"; ms: number }
  | { kind: "flush" }
  | { kind: "restart" };

interface Run {
  limits: OfflineLimits;
  balanceA: number;
  balanceB: number;
  sub: { perTxnLimit: number | null; dailyLimit: number | null; spentToday: number };
  /** Whether the ID card was read online before the outage (else the till meets it later). */
  idCached: boolean;
  link: Link;
  steps: Step[];
}

const netOf = (i: number, gross: number) => priceSale(gross, cardTypeOf(policy, CARDS[i]!.cardType)!).net;
const indexOf = (cardId: string) => CARDS.findIndex((c) => c.cardId === cardId);

/** The central server for this till: the two accounts, the sub-card's day, what it applied. */
class ServerModel {
  readonly balance: Record<string, number>;
  subSpent: number;
  readonly applied = new Set<string>();
  appliedSeq = 0;

  constructor(private readonly run: Run) {
    this.balance = { A1: run.balanceA, B1: run.balanceB };
    this.subSpent = run.sub.spentToday;
  }

  snapshot(i: number): CardSnapshot {
    const c = CARDS[i]!;
    const base = {
      ...c,
      memberName: "会员",
      status: "active" as const,
      balance: this.balance[c.accountId]!,
      points: 0,
    };
    if (i !== SUB) return base;
    const { perTxnLimit, dailyLimit } = this.run.sub;
    const subCard = { primaryCardId: CARDS[IC].cardId, perTxnLimit, dailyLimit, spentDay: DAY };
    return { ...base, subCard: { ...subCard, spentToday: this.subSpent } };
  }

  apply(i: number, net: number): void {
    this.balance[CARDS[i]!.accountId]! -= net;
    if (i === SUB) this.subSpent += net;
  }

  /** As server/ledger/authorise.ts: the account's unsynced offline spend, the card's own day. */
  authorise(req: Omit<AuthRequest, "corr" | "v">): AuthReply {
    const i = indexOf(req.cardId);
    const net = netOf(i, req.gross);
    const base = { v: 1 as const, corr: req.txnId, txnId: req.txnId, appliedSeq: this.appliedSeq };
    const no = (code: "INSUFFICIENT_BALANCE" | "SUB_CARD_LIMIT_TXN" | "SUB_CARD_LIMIT_DAY"): AuthReply => ({
      ...base,
      approved: false,
      code,
      card: this.snapshot(i),
    });
    if (i === SUB) {
      const { perTxnLimit, dailyLimit } = this.run.sub;
      if (perTxnLimit !== null && net > perTxnLimit) return no("SUB_CARD_LIMIT_TXN");
      const unsyncedDay = req.unsyncedOfflineCardMinor ?? req.unsyncedOfflineMinor ?? 0;
      if (dailyLimit !== null && this.subSpent + unsyncedDay + net > dailyLimit) return no("SUB_CARD_LIMIT_DAY");
    }
    // As server/ledger/unsynced-others.ts: the cards the till could not place, when on this account.
    const others = (req.unsyncedOfflineOthers ?? [])
      .filter((o) => o.cardId !== req.cardId && CARDS[indexOf(o.cardId)]?.accountId === CARDS[i]!.accountId)
      .reduce((sum, o) => sum + o.minor, 0);
    const free = (req.unsyncedOfflineMinor ?? 0) + others;
    if (this.balance[CARDS[i]!.accountId]! - free < net) return no("INSUFFICIENT_BALANCE");
    this.apply(i, net);
    this.applied.add(req.txnId);
    const price = priceSale(req.gross, cardTypeOf(policy, CARDS[i]!.cardType)!);
    return {
      ...base,
      approved: true,
      ...price,
      balanceAfter: this.balance[CARDS[i]!.accountId]!,
      card: this.snapshot(i),
    };
  }
}

class World {
  ledger!: TerminalLedger;
  decider!: Decider;
  readonly server: ServerModel;
  readonly clock = { now: START };
  link: Link;
  /** Σ net approved, by card. */
  readonly approved: number[] = CARDS.map(() => 0);
  private txn = 0;

  constructor(
    private readonly dir: string,
    readonly run: Run,
  ) {
    this.server = new ServerModel(run);
    this.link = run.link;
  }

  async open(): Promise<void> {
    this.ledger = await TerminalLedger.open({ dataDir: this.dir, terminalId: "T001", key });
    const online: OnlineAuthoriser = {
      isConnected: () => this.link !== "down",
      authorise: async (req) => (this.link === "timeout" ? "timeout" : this.server.authorise(req)),
    };
    this.decider = new Decider({
      terminalId: "T001",
      ledger: this.ledger,
      online,
      policy: () => policy,
      hotlist: () => new Set(),
      now: () => this.clock.now,
      log: silentLogger(),
      settings: { offline: this.run.limits, authTimeoutMs: 50, timeZone: "Asia/Shanghai", language: "en" },
    });
  }

  async start(): Promise<void> {
    await this.open();
    for (const i of [IC, SUB, OTHER, ...(this.run.idCached ? [ID] : [])])
      await this.ledger.rememberCard(this.server.snapshot(i), { appliedSeq: 0, onlineThrough: 0 }, START);
    this.ledger.noteContact(START);
  }

  sell(s: Sale): Promise<Decision> {
    return this.decider.decideSale({
      txnId: `txn-${++this.txn}`,
      cardId: CARDS[s.card]!.cardId,
      gross: s.gross,
      operatorId: "001",
    });
  }

  record(d: Decision, s: Sale): void {
    const outcome = d.approved ? `approved ${d.mode}` : d.code;
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    if (d.approved) this.approved[s.card]! += d.entry.net;
  }

  approvedOn(account: string): number {
    return CARDS.reduce((sum, c, i) => sum + (c.accountId === account ? this.approved[i]! : 0), 0);
  }

  /** The model's figures for an offline judgement of `s`, before it is made. */
  facts(s: Sale) {
    const cached = this.ledger.card(CARDS[s.card]!.cardId) !== undefined;
    const offline = this.ledger.pending().filter((e) => e.mode === "offline" && e.kind === "sale");
    const mine = offline.filter((e) => e.cardId === CARDS[s.card]!.cardId);
    const sum = (xs: { net: number }[]) => xs.reduce((a, e) => a + e.net, 0);
    const account = CARDS[s.card]!.accountId;
    const opening = account === "A1" ? this.run.balanceA : this.run.balanceB;
    return {
      cached,
      net: netOf(s.card, s.gross),
      card: { minor: sum(mine), count: mine.length },
      terminal: { minor: sum(offline), count: offline.length },
      known: opening - this.approvedOn(account),
      subSpent: this.run.sub.spentToday + this.approved[SUB]!,
      since: this.clock.now - (this.ledger.lastContactAt() ?? Number.NEGATIVE_INFINITY),
    };
  }

  async sync(k: number): Promise<void> {
    const done = this.ledger.pending().slice(0, k);
    const last = done.at(-1);
    if (!last) return;
    for (const e of done) {
      if (this.server.applied.has(e.txnId)) continue;
      this.server.applied.add(e.txnId);
      this.server.apply(indexOf(e.cardId), e.net);
    }
    this.server.appliedSeq = last.seq;
    await this.ledger.acknowledge(last.seq, this.clock.now);
  }

  async refresh(i: number): Promise<void> {
    const { nextSeq, ackedSeq } = this.ledger.summary();
    const seen = { appliedSeq: this.server.appliedSeq, onlineThrough: nextSeq - 1, ackedAtAsk: ackedSeq };
    await this.ledger.rememberCard(this.server.snapshot(i), seen, this.clock.now);
  }
}

const seen = new Map<string, number>();

/** (a)–(d) */
function invariantProblems(w: World): string[] {
  const problems: string[] = [];
  const L = w.run.limits;
  const knownA = w.run.balanceA - w.approvedOn("A1");
  if (knownA < 0) problems.push(`account A1 approved ${w.approvedOn("A1")} against ${w.run.balanceA}`);
  CARDS.forEach(({ cardId, accountId }, i) => {
    const known = w.ledger.knownBalance(cardId);
    const replay = accountId === "A1" ? knownA : w.run.balanceB - w.approved[OTHER]!;
    // Never more than is there; less only while concurrent replies leave the till unsure.
    if (known !== undefined && known > replay) problems.push(`${cardId} knows ${known}, the replay says ${replay}`);
    const x = w.ledger.offlineExposure(cardId);
    if (x.minor > L.perCardMinor || x.count > L.perCardCount) problems.push(`${cardId} offline ${x.minor}/${x.count}`);
    if (i === SUB) {
      const day = w.run.sub.spentToday + w.approved[SUB]!;
      if (w.run.sub.dailyLimit !== null && w.approved[SUB]! > 0 && day > w.run.sub.dailyLimit)
        problems.push(`the sub-card spent ${day} today, over ${w.run.sub.dailyLimit}`);
    }
  });
  const all = w.ledger.offlineExposure();
  if (all.minor > L.terminalMinor || all.count > L.terminalCount)
    problems.push(`till offline ${all.minor}/${all.count}`);
  return problems;
}

type Facts = ReturnType<World["facts"]>;

/** (e), and the sub-card's per-payment limit on an approval. */
function decisionProblems(w: World, s: Sale, d: Decision, f: Facts): string[] {
  const { perTxnLimit, dailyLimit } = w.run.sub;
  if (d.approved) {
    const over = s.card === SUB && perTxnLimit !== null && d.entry.net > perTxnLimit;
    return over ? [`sub-card payment ${d.entry.net} over ${perTxnLimit}`] : [];
  }
  if (d.mode !== "offline") return [];
  const L = w.run.limits;
  const holds: Record<string, boolean> = {
    OFFLINE_DISABLED: !L.enabled,
    CARD_UNKNOWN: !f.cached,
    OFFLINE_LIMIT_TXN: f.net > L.perTransactionMinor,
    OFFLINE_LIMIT_CARD_AMOUNT: f.card.minor + f.net > L.perCardMinor,
    OFFLINE_LIMIT_CARD_COUNT: f.card.count + 1 > L.perCardCount,
    OFFLINE_LIMIT_TERMINAL_AMOUNT: f.terminal.minor + f.net > L.terminalMinor,
    OFFLINE_LIMIT_TERMINAL_COUNT: f.terminal.count + 1 > L.terminalCount,
    OFFLINE_TOO_LONG: f.since > L.maxOfflineAgeMs,
    INSUFFICIENT_BALANCE: f.known < f.net,
    SUB_CARD_LIMIT_TXN: s.card === SUB && perTxnLimit !== null && f.net > perTxnLimit,
    SUB_CARD_LIMIT_DAY: s.card === SUB && dailyLimit !== null && f.subSpent + f.net > dailyLimit,
  };
  return holds[d.code] ? [] : [`declined ${d.code} offline, but the model's figures allow it: ${JSON.stringify(f)}`];
}

async function applyStep(w: World, s: Step): Promise<string[]> {
  switch (s.kind) {
    case "sale": {
      const facts = w.facts(s);
      const d = await w.sell(s);
      w.record(d, s);
      return decisionProblems(w, s, d, facts);
    }
    case "burst": {
      // Taps on several readers at once, on cards of one account.
      const ds = await Promise.all(s.sales.map((x) => w.sell(x)));
      for (const [j, d] of ds.entries()) w.record(d, s.sales[j]!);
      return ds.flatMap((d, j) => (d.approved ? decisionProblems(w, s.sales[j]!, d, w.facts(s.sales[j]!)) : []));
    }
    case "link":
      w.link = s.state;
      return [];
    case "sync":
      if (w.link === "up") await w.sync(s.k);
      return [];
    case "refresh":
      if (w.link === "up") await w.refresh(s.card);
      return [];
    case "wait":
      w.clock.now += s.ms;
      return [];
    case "flush":
      await w.ledger.flushCards();
      return [];
    case "restart": {
      await w.ledger.close();
      await w.open();
      const integrity = w.ledger.checkIntegrity();
      return integrity.ok ? [] : [`after a restart: ${integrity.problem}`];
    }
  }
}

const saleArb = fc.record({
  card: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ON_A) }, { weight: 1, arbitrary: fc.constant(OTHER) }),
  gross: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 8_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }) },
  ),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: saleArb.map((x) => ({ kind: "sale" as const, ...x })) },
  {
    weight: 2,
    arbitrary: fc.array(saleArb, { minLength: 2, maxLength: 4 }).map((sales) => ({ kind: "burst" as const, sales })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<Link>("up", "down", "down", "timeout")
      .map((state) => ({ kind: "link" as const, state })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((k) => ({ kind: "sync" as const, k })) },
  { weight: 1, arbitrary: fc.constantFrom(IC, ID, SUB, OTHER).map((card) => ({ kind: "refresh" as const, card })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 * 60_000 }).map((ms) => ({ kind: "wait" as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
);

const limitArb = fc.option(fc.integer({ min: 1_000, max: 20_000 }), { nil: null, freq: 4 });

const runArb: fc.Arbitrary<Run> = fc
  .record({
    limits: fc.record({
      enabled: fc.constantFrom(true, true, true, true, false),
      perTransactionMinor: fc.integer({ min: 2_000, max: 30_000 }),
      perCardMinor: fc.integer({ min: 5_000, max: 60_000 }),
      perCardCount: fc.integer({ min: 1, max: 8 }),
      terminalMinor: fc.integer({ min: 10_000, max: 150_000 }),
      terminalCount: fc.integer({ min: 2, max: 20 }),
      maxOfflineAgeMs: fc.integer({ min: 30 * 60_000, max: 6 * 3600_000 }),
      allowUnknownCards: fc.constant(false),
    }),
    balanceA: fc.integer({ min: 0, max: 60_000 }),
    balanceB: fc.integer({ min: 0, max: 60_000 }),
    perTxnLimit: limitArb,
    dailyLimit: limitArb,
    spentFraction: fc.integer({ min: 0, max: 100 }),
    idCached: fc.boolean(),
    link: fc.constantFrom<Link>("down", "down", "up", "timeout"),
    steps: fc.array(stepArb, { minLength: 5, maxLength: 40, size: "medium" }),
  })
  .map(({ perTxnLimit, dailyLimit, spentFraction, ...r }) => ({
    ...r,
    // What head office last said the sub-card spent today: up to its daily limit.
    sub: { perTxnLimit, dailyLimit, spentToday: Math.floor(((dailyLimit ?? 10_000) * spentFraction) / 100) },
  }));

async function play(t: Test, run: Run): Promise<void> {
  const w = new World(await tempDir(t, "cardterm-acct-prop-"), run);
  await w.start();
  try {
    for (const [i, s] of run.steps.entries()) {
      const problems = [...(await applyStep(w, s)), ...invariantProblems(w)];
      if (problems.length > 0) throw new Error(`step ${i} ${JSON.stringify(s)}: ${problems.join("; ")}`);
    }
  } finally {
    await w.ledger.close();
  }
}

t.test("cards on one account never approve more than the account's known balance, offline or online", async (t) => {
  await fc.assert(
    fc.asyncProperty(runArb, (run) => play(t, run)),
    { numRuns: Number(process.env.CARDTERM_ACCOUNT_RUNS ?? 150) },
  );
  t.comment([...seen].map(([k, n]) => `${k}: ${n}`).join(", "));
  for (const outcome of [
    "approved online",
    "approved offline",
    "INSUFFICIENT_BALANCE",
    "SUB_CARD_LIMIT_TXN",
    "SUB_CARD_LIMIT_DAY",
    "OFFLINE_LIMIT_CARD_AMOUNT",
    "OFFLINE_LIMIT_CARD_COUNT",
    "CARD_UNKNOWN",
  ])
    t.ok(seen.has(outcome), `the runs reached ${outcome}`);
});
