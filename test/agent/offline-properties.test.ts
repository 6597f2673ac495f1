/**
 * The offline rules as properties (docs/architecture.md#the-offline-rules): random sequences of
 * sales (one at a time and in bursts from several readers), link changes (up, down, timing
 * out), syncs of random prefixes of the journal, card refreshes, card-cache flushes, waits and
 * restarts, driving a real TerminalLedger on disk and the real Decider against a model of the
 * server. After every step:
 *   (a) the unsynced offline total and count, per card and per terminal, are within limits;
 *   (b) an approved offline debit never leaves a card's known balance negative;
 *   (c) every known balance equals the initial balance minus every approved debit (an
 *       independent replay of the decisions), and again after a restart replays the journal.
 * The agent decides sales only so far (no top-up or refund path in the Decider): sales,
 * syncs and outages are covered; top-ups and refunds join the step list when they exist.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import t, { type Test } from "tap";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider, type OnlineAuthoriser } from "../../agent/sale/decider.js";
import type { Decision } from "../../agent/sale/decision.js";
import type { AuthReply } from "../../protocol/messages.js";
import type { CardSnapshot } from "../../rules/card.js";
import type { OfflineLimits } from "../../rules/offline-rules.js";
import { cardTypeOf, demoPolicy } from "../../rules/policy.js";
import { priceSale } from "../../rules/pricing.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const HOUR = 3600_000;
const START = Date.parse("2026-11-22T02:00:00Z");
const policy = demoPolicy();
/** Cards 0–2 are cached on the till at the start; card 3 is known to the server only. */
const CARDS = [
  { cardId: "ic:0C000000", cardType: "standard" },
  { cardId: "ic:0C000001", cardType: "silver" },
  { cardId: "ic:0C000002", cardType: "gold" },
  { cardId: "ic:0C000003", cardType: "standard" },
] as const;
const CACHED_AT_START = 3;

type Link = "up" | "down" | "timeout";
type Sale = { card: number; gross: number; delay: number };
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
  balances: number[];
  link: Link;
  steps: Step[];
}

/** The central server as far as this till is concerned: balances, what it applied, in what order. */
class ServerModel {
  readonly balance: number[];
  readonly applied = new Set<string>();
  appliedSeq = 0;

  constructor(initial: number[]) {
    this.balance = [...initial];
  }

  snapshot(i: number): CardSnapshot {
    const c = CARDS[i]!;
    return { ...c, accountId: `A${i}`, memberName: "会员", status: "active", balance: this.balance[i]!, points: 0 };
  }

  /** Online authorisation: applied at once, against what the server knows. */
  /** As server/ledger/authorise.ts: the till's unsynced offline debits are already spent. */
  authorise(txnId: string, i: number, gross: number, unsyncedOffline = 0): AuthReply {
    const type = cardTypeOf(policy, CARDS[i]!.cardType)!;
    const price = priceSale(gross, type);
    const base = { v: 1 as const, corr: txnId, txnId, appliedSeq: this.appliedSeq };
    if (this.balance[i]! - unsyncedOffline < price.net)
      return { ...base, approved: false, code: "INSUFFICIENT_BALANCE", card: this.snapshot(i) };
    this.balance[i]! -= price.net;
    this.applied.add(txnId);
    return { ...base, approved: true, ...price, balanceAfter: this.balance[i]!, card: this.snapshot(i) };
  }
}

const indexOf = (cardId: string) => CARDS.findIndex((c) => c.cardId === cardId);

class World {
  ledger!: TerminalLedger;
  decider!: Decider;
  readonly server: ServerModel;
  readonly clock = { now: START };
  link: Link;
  /** Σ net of every approved debit per card: the model's replay. */
  readonly approved: number[] = CARDS.map(() => 0);
  /** The latest contact with the server the till was told about. */
  contact = START;
  private txn = 0;
  /** How long each transaction's online reply takes to arrive, by txnId. */
  private readonly delays = new Map<string, number>();

  constructor(
    private readonly dir: string,
    readonly run: Run,
  ) {
    this.server = new ServerModel(run.balances);
    this.link = run.link;
  }

  async open(): Promise<void> {
    this.ledger = await TerminalLedger.open({ dataDir: this.dir, terminalId: "T001", key });
    const online: OnlineAuthoriser = {
      isConnected: () => this.link !== "down",
      authorise: async (req) => {
        const delay = this.delays.get(req.txnId) ?? 0;
        if (this.link === "timeout") return "timeout";
        const reply = this.server.authorise(req.txnId, indexOf(req.cardId), req.gross, req.unsyncedOfflineMinor);
        this.contact = this.clock.now;
        // Replies may arrive out of order (several server instances share the ingest).
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        return reply;
      },
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
    for (let i = 0; i < CACHED_AT_START; i++)
      await this.ledger.rememberCard(this.server.snapshot(i), { appliedSeq: 0, onlineThrough: 0 }, START);
    this.ledger.noteContact(START);
  }

  sell(s: Sale): Promise<Decision> {
    const txnId = `txn-${++this.txn}`;
    this.delays.set(txnId, s.delay);
    return this.decider.decideSale({
      txnId,
      cardId: CARDS[s.card]!.cardId,
      gross: s.gross,
      operatorId: "001",
    });
  }

  /** The till's view of what the offline rules would see for this sale, computed by the model. */
  facts(s: Sale) {
    const { cardId, cardType } = CARDS[s.card]!;
    const cached = this.ledger.card(cardId) !== undefined;
    const net = cached ? priceSale(s.gross, cardTypeOf(policy, cardType)!).net : s.gross;
    const pendingOffline = this.ledger.pending().filter((e) => e.mode === "offline" && e.kind === "sale");
    const mine = pendingOffline.filter((e) => e.cardId === cardId);
    const sum = (xs: { net: number }[]) => xs.reduce((a, e) => a + e.net, 0);
    return {
      cached,
      net,
      card: { minor: sum(mine), count: mine.length },
      terminal: { minor: sum(pendingOffline), count: pendingOffline.length },
      known: this.run.balances[s.card]! - this.approved[s.card]!,
      since: this.clock.now - (this.ledger.lastContactAt() ?? Number.NEGATIVE_INFINITY),
    };
  }

  record(d: Decision, s: Sale): void {
    const outcome = d.approved ? `approved ${d.mode}` : d.code;
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    if (d.approved) this.approved[s.card]! += d.entry.net;
    if (d.approved && d.mode === "online") this.contact = this.clock.now;
  }

  /** The server applies the first k pending entries (each once) and acks them. */
  async sync(k: number): Promise<void> {
    const done = this.ledger.pending().slice(0, k);
    const last = done.at(-1);
    if (!last) return;
    for (const e of done) {
      if (this.server.applied.has(e.txnId)) continue;
      this.server.applied.add(e.txnId);
      this.server.balance[indexOf(e.cardId)]! -= e.net;
    }
    this.server.appliedSeq = last.seq;
    await this.ledger.acknowledge(last.seq, this.clock.now);
    this.contact = this.clock.now;
  }

  async refresh(i: number): Promise<void> {
    const seen = { appliedSeq: this.server.appliedSeq, onlineThrough: this.ledger.summary().nextSeq - 1 };
    await this.ledger.rememberCard(this.server.snapshot(i), seen, this.clock.now);
  }
}

/** (a) and (c): limits hold and every known balance replays the approved decisions. */
function invariantProblems(w: World): string[] {
  const { limits } = w.run;
  const problems: string[] = [];
  const terminal = w.ledger.offlineExposure();
  if (terminal.minor > limits.terminalMinor || terminal.count > limits.terminalCount)
    problems.push(
      `terminal exposure ${terminal.minor}/${terminal.count} passes ${limits.terminalMinor}/${limits.terminalCount}`,
    );
  CARDS.forEach(({ cardId }, i) => {
    const card = w.ledger.offlineExposure(cardId);
    if (card.minor > limits.perCardMinor || card.count > limits.perCardCount)
      problems.push(
        `${cardId} exposure ${card.minor}/${card.count} passes ${limits.perCardMinor}/${limits.perCardCount}`,
      );
    const known = w.ledger.knownBalance(cardId);
    const replay = w.run.balances[i]! - w.approved[i]!;
    if (known !== undefined && known !== replay) problems.push(`${cardId} known balance ${known}, replay ${replay}`);
  });
  const seqs = w.ledger.pending().map((e) => e.seq);
  const { ackedSeq, nextSeq } = w.ledger.summary();
  if (seqs.some((s, j) => s !== ackedSeq + 1 + j) || nextSeq !== ackedSeq + seqs.length + 1)
    problems.push(`pending ${seqs} is not gapless after #${ackedSeq}`);
  return problems;
}

/** How often each outcome happened over all runs: proof that the generator reaches every rule. */
const seen = new Map<string, number>();

type Facts = ReturnType<World["facts"]>;

/** An offline decision agrees with the rules applied to the model's own figures: no overspend, no spurious decline. */
function offlineDecisionProblems(w: World, d: Decision, f: Facts): string[] {
  const L = w.run.limits;
  const breaks: Record<string, boolean> = {
    OFFLINE_DISABLED: !L.enabled,
    CARD_UNKNOWN: !f.cached && !L.allowUnknownCards,
    OFFLINE_LIMIT_TXN: f.net > L.perTransactionMinor,
    OFFLINE_LIMIT_CARD_AMOUNT: f.card.minor + f.net > L.perCardMinor,
    OFFLINE_LIMIT_CARD_COUNT: f.card.count + 1 > L.perCardCount,
    OFFLINE_LIMIT_TERMINAL_AMOUNT: f.terminal.minor + f.net > L.terminalMinor,
    OFFLINE_LIMIT_TERMINAL_COUNT: f.terminal.count + 1 > L.terminalCount,
    OFFLINE_TOO_LONG: f.since > L.maxOfflineAgeMs,
    INSUFFICIENT_BALANCE: f.cached && f.known < f.net,
  };
  const broken = Object.keys(breaks).filter((k) => breaks[k]);
  if (d.approved) {
    const problems = broken.map((code) => `offline approval of ${f.net} although ${code}`);
    const known = w.ledger.knownBalance(d.entry.cardId);
    if (known !== undefined && known < 0) problems.push(`offline approval left known balance ${known}`); // (b)
    return problems;
  }
  return breaks[d.code] ? [] : [`declined ${d.code} but the model says it holds (${JSON.stringify(f)})`];
}

async function applyStep(w: World, s: Step): Promise<string[]> {
  switch (s.kind) {
    case "sale": {
      const facts = w.facts(s);
      const d = await w.sell(s);
      w.record(d, s);
      return d.mode === "offline" ? offlineDecisionProblems(w, d, facts) : [];
    }
    case "burst": {
      // Taps on several readers at once: the lock must make check + commit one step.
      const ds = await Promise.all(s.sales.map((x) => w.sell(x)));
      for (const [j, d] of ds.entries()) w.record(d, s.sales[j]!);
      return [];
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
      const before = CARDS.map((c) => w.ledger.knownBalance(c.cardId));
      await w.open();
      const integrity = w.ledger.checkIntegrity();
      if (!integrity.ok) return [`after a restart: ${integrity.problem}`];
      const after = CARDS.map((c) => w.ledger.knownBalance(c.cardId));
      const contact = w.ledger.lastContactAt() ?? 0;
      const problems =
        JSON.stringify(after) === JSON.stringify(before) ? [] : [`restart changed ${before} to ${after}`];
      if (contact > w.contact) problems.push("the restarted till remembers a contact that never happened");
      return problems;
    }
  }
}

/**
 * Online replies may arrive out of the server's order (a delay of a few ms on some asks):
 * an older snapshot must never be cached over a newer one. The bug that once let it
 * (the case "replies that arrive out of order do not overstate a card's balance" below
 * pins it on its own) is fixed by one decision per account (agent/journal/account-locks.ts),
 * so they are always generated.
 */
const saleArb = fc.record({
  card: fc.nat(CARDS.length - 1),
  gross: fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 8_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }) },
  ),
  delay: fc.constantFrom(0, 0, 1, 3),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: saleArb.map((x) => ({ kind: "sale" as const, ...x })) },
  {
    weight: 2,
    arbitrary: fc.array(saleArb, { minLength: 2, maxLength: 4 }).map((sales) => ({ kind: "burst" as const, sales })),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Link>("up", "down", "timeout").map((state) => ({ kind: "link" as const, state })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((k) => ({ kind: "sync" as const, k })) },
  { weight: 1, arbitrary: fc.nat(CARDS.length - 1).map((card) => ({ kind: "refresh" as const, card })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * HOUR }).map((ms) => ({ kind: "wait" as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
);

const limitsArb: fc.Arbitrary<OfflineLimits> = fc.record({
  enabled: fc.constantFrom(true, true, true, true, true, false),
  perTransactionMinor: fc.integer({ min: 2_000, max: 30_000 }),
  perCardMinor: fc.integer({ min: 5_000, max: 50_000 }),
  perCardCount: fc.integer({ min: 1, max: 6 }),
  terminalMinor: fc.integer({ min: 10_000, max: 80_000 }),
  terminalCount: fc.integer({ min: 1, max: 10 }),
  maxOfflineAgeMs: fc.integer({ min: HOUR, max: 6 * HOUR }),
  allowUnknownCards: fc.boolean(),
});

const runArb: fc.Arbitrary<Run> = fc.record({
  limits: limitsArb,
  balances: fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: CARDS.length, maxLength: CARDS.length }),
  link: fc.constantFrom<Link>("up", "down", "down", "timeout"),
  steps: fc.array(stepArb, { minLength: 5, maxLength: 40, size: "medium" }),
});

async function play(t: Test, run: Run): Promise<void> {
  const w = new World(await tempDir(t, "cardterm-prop-"), run);
  await w.start();
  for (const [i, s] of run.steps.entries()) {
    const problems = [...(await applyStep(w, s)), ...invariantProblems(w)];
    if (problems.length > 0) throw new Error(`step ${i} ${JSON.stringify(s)}: ${problems.join("; ")}`);
  }
}

t.test("offline exposure, known balances and the journal agree with a model of the decisions", async (t) => {
  await fc.assert(
    fc.asyncProperty(runArb, (run) => play(t, run)),
    { numRuns: 150 },
  );
  t.comment([...seen].map(([k, n]) => `${k}: ${n}`).join(", "));
  const reached = [
    "approved online",
    "approved offline",
    "OFFLINE_DISABLED",
    "CARD_UNKNOWN",
    "OFFLINE_LIMIT_TXN",
    "OFFLINE_LIMIT_CARD_AMOUNT",
    "OFFLINE_LIMIT_CARD_COUNT",
    "OFFLINE_LIMIT_TERMINAL_AMOUNT",
    "OFFLINE_LIMIT_TERMINAL_COUNT",
    "OFFLINE_TOO_LONG",
    "INSUFFICIENT_BALANCE",
  ];
  for (const outcome of reached) t.ok(seen.has(outcome), `the runs reached ${outcome}`);
});

t.test("replies that arrive out of order do not overstate a card's balance", async (t) => {
  // Sale A is applied first at the server but its reply is slower than B's.
  const run: Run = {
    limits: {
      enabled: true,
      perTransactionMinor: 30_000,
      perCardMinor: 50_000,
      perCardCount: 5,
      terminalMinor: 80_000,
      terminalCount: 8,
      maxOfflineAgeMs: HOUR,
      allowUnknownCards: false,
    },
    balances: [10_000, 0, 0, 0],
    link: "up",
    steps: [
      {
        kind: "burst",
        sales: [
          { card: 0, gross: 1_000, delay: 5 },
          { card: 0, gross: 2_000, delay: 0 },
        ],
      },
    ],
  };
  await t.resolves(play(t, run), "the known balance is 10 000 − 1 000 − 2 000");
});

t.test("an online approval does not take a card's known balance below zero", async (t) => {
  const run: Run = {
    limits: {
      enabled: true,
      perTransactionMinor: 30_000,
      perCardMinor: 50_000,
      perCardCount: 5,
      terminalMinor: 80_000,
      terminalCount: 8,
      maxOfflineAgeMs: HOUR,
      allowUnknownCards: false,
    },
    balances: [10_000, 0, 0, 0],
    link: "down",
    steps: [
      { kind: "sale", card: 0, gross: 8_000, delay: 0 }, // offline: known 2 000
      { kind: "link", state: "up" },
      { kind: "sale", card: 0, gross: 8_000, delay: 0 }, // online: the server still sees 10 000
    ],
  };
  const w = new World(await tempDir(t), run);
  await w.start();
  for (const s of run.steps) await applyStep(w, s);
  t.ok((w.ledger.knownBalance(CARDS[0].cardId) ?? 0) >= 0, `known balance ${w.ledger.knownBalance(CARDS[0].cardId)}`);
});
