/**
 * The till the benchmarks time: a real ledger in `dir` and a real Decider, offline (the
 * server link is down), with cards cached and every limit out of the way, so that what
 * is timed is the decision and the durable commit, not a decline.
 */
import { randomBytes } from "node:crypto";
import { TerminalLedger } from "../agent/journal/terminal-ledger.js";
import { silentLogger } from "../agent/logger.js";
import { Decider } from "../agent/sale/decider.js";
import { demoPolicy } from "../rules/policy.js";

const LIMIT = 1_000_000_000;

export async function offlineTill(dir: string, cardIds: readonly string[], language: "zh-CN" | "en" = "en") {
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key: randomBytes(32) });
  for (const cardId of cardIds) {
    await ledger.rememberCard(
      {
        cardId,
        accountId: cardId,
        memberName: "张小明",
        cardType: "standard",
        status: "active",
        balance: LIMIT,
        points: 0,
      },
      { appliedSeq: 0, onlineThrough: 0 },
      Date.now(),
    );
  }
  ledger.noteContact(Date.now());
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online: { isConnected: () => false, authorise: async () => "timeout" },
    policy: demoPolicy,
    hotlist: () => new Set(),
    now: Date.now,
    log: silentLogger(),
    settings: {
      offline: {
        enabled: true,
        maxOfflineAgeMs: 1e12,
        allowUnknownCards: false,
        perTransactionMinor: LIMIT,
        perCardMinor: LIMIT,
        perCardCount: 1e9,
        terminalMinor: LIMIT,
        terminalCount: 1e9,
      },
      authTimeoutMs: 1000,
      timeZone: "Asia/Shanghai",
      language,
    },
  });
  return { ledger, decider };
}
