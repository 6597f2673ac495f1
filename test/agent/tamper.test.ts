/**
 * Tamper evidence on the box (docs/architecture.md#the-journal): an entry edited, deleted,
 * reordered, re-signed with another key, a truncated file or a rewound chain head is detected
 * when the ledger opens, the message names the entry, approvals are refused with
 * CT_JOURNAL_CORRUPT and the evidence is left as it was found.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import t, { type Test } from "tap";
import { HEADER_BYTES } from "../../agent/journal/journal-log.js";
import { type NewEntry, TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { Decider } from "../../agent/sale/decider.js";
import { type EntryBody, type JournalEntry, sealEntry } from "../../protocol/journal-entry.js";
import type { CardSnapshot } from "../../rules/card.js";
import { maskCardId } from "../../rules/card.js";
import { demoPolicy } from "../../rules/policy.js";
import { entryAt as at, editHead, editLog } from "../helpers/journal-files.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const otherKey = randomBytes(32);
const NOW = Date.parse("2026-11-22T02:00:00Z");
const card: CardSnapshot = {
  cardId: "ic:04A1B2C3",
  accountId: "A1",
  memberName: "张伟",
  cardType: "standard",
  status: "active",
  balance: 1_000_000,
  points: 0,
};

function sale(n: number, mode: "online" | "offline", cardId = card.cardId): NewEntry {
  return {
    txnId: `txn-${n}`,
    kind: "sale",
    mode,
    at: "2026-11-22T02:00:00.000Z",
    businessDay: "2026-11-22",
    operatorId: "001",
    cardId,
    gross: n * 1_000,
    discount: 0,
    net: n * 1_000,
    bonus: 0,
    pointsEarned: 0,
    balanceAfter: mode === "online" ? card.balance - n * 1_000 : null,
  };
}

/** A journal with entries #1..#4 pending (or #2..#4 after an ack of #1), the card in cards.json when flushed. */
async function journal(t: Test, opts: { acked?: boolean; flushed?: boolean } = {}) {
  const dir = await tempDir(t);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  await ledger.rememberCard(card, { appliedSeq: 0, onlineThrough: 0 }, NOW);
  const modes = ["offline", "online", "offline", "offline"] as const;
  for (const [i, mode] of modes.entries()) await ledger.commit(sale(i + 1, mode), NOW);
  if (opts.acked) await ledger.acknowledge(1, NOW);
  if (opts.flushed) await ledger.flushCards();
  await ledger.close(); // the till goes idle: the newest entry is attested
  return dir;
}

/** An attacker without the key can recompute a hash, but must guess the MAC: here, a MAC under another key. */
function resign(entry: JournalEntry, withKey: Buffer): JournalEntry {
  const { hash: _h, mac: _m, ...body } = entry;
  return sealEntry(body as EntryBody, withKey);
}

/** Open the tampered journal: it must fail closed, name the problem, refuse approvals and leave the file alone. */
async function assertDetected(t: Test, dir: string, problem: RegExp): Promise<void> {
  const files = async () => [
    await readFile(`${dir}/journal.json`, "utf8"),
    await readFile(`${dir}/journal.log`, "utf8"),
  ];
  const evidence = await files();
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  const integrity = ledger.checkIntegrity();
  t.equal(integrity.ok, false, "detected at open");
  t.match(!integrity.ok && integrity.problem, problem, "the message names the entry");
  ledger.noteContact(NOW);
  const decider = new Decider({
    terminalId: "T001",
    ledger,
    online: { isConnected: () => false, authorise: async () => "timeout" },
    policy: demoPolicy,
    hotlist: () => new Set(),
    now: () => NOW,
    log: silentLogger(),
    settings: {
      offline: {
        enabled: true,
        perTransactionMinor: 100_000,
        perCardMinor: 100_000,
        perCardCount: 10,
        terminalMinor: 100_000,
        terminalCount: 10,
        maxOfflineAgeMs: 3600_000,
        allowUnknownCards: false,
      },
      authTimeoutMs: 50,
      timeZone: "Asia/Shanghai",
      language: "en",
    },
  });
  await t.rejects(
    decider.decideSale({ txnId: "after", cardId: card.cardId, gross: 100, operatorId: "001" }),
    { code: "CT_JOURNAL_CORRUPT", message: problem },
    "the sale is refused, saying why",
  );
  await t.rejects(ledger.commit(sale(9, "offline")), { code: "CT_JOURNAL_CORRUPT" });
  t.same(await files(), evidence, "the evidence is left as found");
}

const FIELD_EDITS: [string, (e: JournalEntry) => void, RegExp][] = [
  ["net", (e) => (e.net = 1), /entry #2 was edited/],
  ["gross", (e) => (e.gross += 1), /entry #2 was edited/],
  ["cardId", (e) => (e.cardId = "ic:0BADCAFE"), /entry #2 was edited/],
  ["mode", (e) => (e.mode = "offline"), /entry #2 was edited/],
  ["txnId", (e) => (e.txnId = "txn-other"), /entry #2 was edited/],
  ["balanceAfter", (e) => (e.balanceAfter = 9_999_999), /entry #2 was edited/],
  ["seq", (e) => (e.seq = 7), /entry #7 found where #2 was expected/],
  ["terminalId", (e) => (e.terminalId = "T999"), /entry #2 belongs to terminal T999/],
  ["prevHash", (e) => (e.prevHash = "f".repeat(64)), /entry #2 does not follow/],
];

for (const [field, change, problem] of FIELD_EDITS) {
  t.test(`an entry whose ${field} was edited is detected and named`, async (t) => {
    const dir = await journal(t);
    await editLog(dir, (entries) => change(at(entries, 2)));
    await assertDetected(t, dir, problem);
  });
}

t.test("an edited entry re-hashed without the terminal key fails its MAC", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    const e = at(entries, 3);
    e.net = 1;
    const forged = resign(e, otherKey);
    e.hash = forged.hash; // the hash is public; the MAC needs the key
  });
  await assertDetected(t, dir, /entry #3 has a MAC that does not match the terminal key/);
});

t.test("the newest entry re-sealed with another key (hash and MAC) is detected", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    const i = entries.findIndex((e) => e.seq === 4);
    entries[i] = resign({ ...entries[i]!, net: 1 }, otherKey);
  });
  await assertDetected(t, dir, /entry #4 has a MAC that does not match the terminal key/);
});

t.test("a whole journal re-chained under another key is detected at its first entry", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    let prevHash = entries[0]!.prevHash;
    entries.splice(
      0,
      entries.length,
      ...entries.map((e) => {
        const sealed = resign({ ...e, prevHash, net: 1 }, otherKey);
        prevHash = sealed.hash;
        return sealed;
      }),
    );
  });
  await assertDetected(t, dir, /entry #1 has a MAC/);
});

const DELETIONS: [string, number, RegExp][] = [
  ["first", 1, /entry #2 found where #1 was expected/],
  ["middle", 2, /entry #3 found where #2 was expected/],
  ["newest", 4, /entry #4 is missing: the journal attests entries through #4 but its last entry is #3/],
];

for (const [which, seq, problem] of DELETIONS) {
  t.test(`the ${which} entry deleted is detected and named`, async (t) => {
    const dir = await journal(t);
    await editLog(dir, (entries) => {
      entries.splice(
        entries.findIndex((e) => e.seq === seq),
        1,
      );
    });
    await assertDetected(t, dir, problem);
  });
}

t.test("the first pending entry after an ack deleted is detected against the acked head", async (t) => {
  const dir = await journal(t, { acked: true });
  await editLog(dir, (entries) => {
    entries.splice(
      entries.findIndex((e) => e.seq === 2),
      1,
    );
  });
  await assertDetected(t, dir, /entry #3 found where #2 was expected/);
});

t.test("two entries swapped are detected", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
  });
  await assertDetected(t, dir, /entry #3 found where #2 was expected/);
});

t.test("two entries swapped and renumbered are detected by the chain", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    const [two, three] = [at(entries, 2), at(entries, 3)];
    entries[1] = { ...three, seq: 2 };
    entries[2] = { ...two, seq: 3 };
  });
  await assertDetected(t, dir, /entry #2 does not follow the entry before it/);
});

t.test("a journal.json truncated mid-JSON fails closed and names the file", async (t) => {
  const dir = await journal(t);
  const text = await readFile(`${dir}/journal.json`, "utf8");
  await writeFile(`${dir}/journal.json`, text.slice(0, Math.floor(text.length * 0.6)));
  await assertDetected(t, dir, /journal\.json is not valid JSON/);
});

t.test("a journal.log truncated in the middle of an entry names the first entry lost", async (t) => {
  const dir = await journal(t);
  const text = await readFile(`${dir}/journal.log`, "utf8");
  const third = text.indexOf('"seq":3');
  await writeFile(`${dir}/journal.log`, text.slice(0, third + 20));
  await assertDetected(t, dir, /entry #3 is missing/);
});

t.test("a card cache truncated mid-JSON fails closed too", async (t) => {
  const dir = await journal(t, { flushed: true });
  const text = await readFile(`${dir}/cards.json`, "utf8");
  await writeFile(`${dir}/cards.json`, text.slice(0, text.length - 5));
  await assertDetected(t, dir, /cards\.json is not valid JSON/);
});

/** Rewrite journal.log's header slots (each in its own page) with `change`; the entry lines stay. */
async function editSlots(dir: string, change: (slot: string, i: number) => string): Promise<void> {
  const text = await readFile(`${dir}/journal.log`, "utf8");
  const half = HEADER_BYTES / 2;
  const slots = [text.slice(0, half), text.slice(half, HEADER_BYTES)].map(change);
  await writeFile(`${dir}/journal.log`, slots.join("") + text.slice(HEADER_BYTES));
}

t.test("the newest entry cut with one slot spoilt to hide it is detected by the other", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    entries.pop();
  });
  await editSlots(dir, (slot, i) => (i === 0 ? slot.replace("attested", "xxxxxxxx") : slot));
  await assertDetected(t, dir, /entry #4 is missing/);
});

t.test("the newest entry cut with both slots rewound to match is detected", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    entries.pop();
  });
  await editSlots(dir, (slot) => slot.replace('"attested":4', '"attested":3'));
  await assertDetected(t, dir, /header of journal\.log does not match its MAC/);
});

const HEAD_EDITS: [string, (h: import("../../agent/journal/journal-state.js").JournalHead) => void, RegExp][] = [
  ["the attested point rewound", (h) => (h.attestedSeq = 2), /attested through entry #2\) does not match its MAC/],
  [
    "the acknowledged point advanced",
    (h) => (h.ackedSeq = 1),
    /acknowledged through entry #1, .* does not match its MAC/,
  ],
  ["the acknowledged hash replaced", (h) => (h.ackedHash = "f".repeat(64)), /does not match its MAC/],
  ["the terminal id changed", (h) => (h.terminalId = "T002"), /belongs to terminal T002/],
];

for (const [what, change, problem] of HEAD_EDITS) {
  t.test(`a journal head with ${what} is detected`, async (t) => {
    const dir = await journal(t);
    await editHead(dir, change);
    await assertDetected(t, dir, problem);
  });
}

t.test("the oldest entry cut with the acked head advanced to match is detected", async (t) => {
  const dir = await journal(t);
  await editLog(dir, (entries) => {
    entries.shift();
  });
  await editHead(dir, (h) => {
    h.ackedSeq = 1;
  });
  await assertDetected(t, dir, /entry #1/);
});

t.test("journal.log deleted is detected, not taken for a fresh box", async (t) => {
  const dir = await journal(t);
  const { unlink } = await import("node:fs/promises");
  await unlink(`${dir}/journal.log`);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.match(ledger.checkIntegrity(), { ok: false, problem: /journal\.log is missing/ });
});

t.test("journal.json deleted is detected while the log holds entries", async (t) => {
  const dir = await journal(t);
  const { unlink } = await import("node:fs/promises");
  await unlink(`${dir}/journal.json`);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key });
  t.match(ledger.checkIntegrity(), { ok: false, problem: /journal\.json is missing/ });
});

for (const where of ["the overlay in journal.json", "cards.json"] as const) {
  t.test(`a cached balance raised in ${where} is detected`, async (t) => {
    const dir = await journal(t, { flushed: where === "cards.json" });
    if (where === "cards.json") {
      const doc = JSON.parse(await readFile(`${dir}/cards.json`, "utf8"));
      doc.cards[card.cardId].balance = 99_000_000;
      await writeFile(`${dir}/cards.json`, JSON.stringify(doc));
    } else {
      await editHead(dir, (head) => {
        head.cardOverlay[card.cardId]!.balance = 99_000_000;
      });
    }
    await assertDetected(t, dir, new RegExp(`cached card ${escapeRegExp(maskCardId(card.cardId))}`));
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
