import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import t, { type Test } from "tap";
import { journalCommand } from "../../agent/cli/journal-command.js";
import { JournalArchive } from "../../agent/journal/journal-archive.js";
import { type NewEntry, TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { editLog, entryAt } from "../helpers/journal-files.js";
import { tempDir } from "../helpers/temp-dir.js";

const key = randomBytes(32);
const sale = (txnId: string, net: number, day = "2026-11-22"): NewEntry => ({
  txnId,
  kind: "sale",
  mode: "offline",
  at: `${day}T10:00:00.000Z`,
  businessDay: day,
  operatorId: "001",
  cardId: "ic:04A1B2C3D4",
  gross: net,
  discount: 0,
  net,
  bonus: 0,
  pointsEarned: 0,
  balanceAfter: null,
});

async function box(t: Test) {
  const dir = await tempDir(t);
  const config = `${dir}/cardterm.yaml`;
  await writeFile(
    config,
    `terminal:\n  id: T001\n  key: { hex: "${key.toString("hex")}" }\n  dataDir: ${dir}\nserver:\n  mqttUrl: mqtt://127.0.0.1:1\n`,
  );
  const archive = new JournalArchive(`${dir}/archive`, 90);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, archive });
  await ledger.commit(sale("a", 1_250, "2026-11-21"));
  await ledger.commit(sale("b", 300));
  await ledger.commit(sale("c", 99_999));
  await ledger.acknowledge(2, Date.now());
  await ledger.close();
  const run = async (...args: string[]) => {
    const lines: string[] = [];
    const code = await journalCommand(args, (l) => lines.push(l));
    return { code, lines };
  };
  return { dir, config, run };
}

t.test("journal verify reports a sound journal and exits 0", async (t) => {
  const { config, run } = await box(t);
  const r = await run("verify", "--config", config);
  t.equal(r.code, 0);
  t.match(r.lines[0], /journal OK: terminal T001, next #4, acknowledged through #2, 1 pending/);
});

t.test("journal verify names the edited entry and exits 1", async (t) => {
  const { dir, config, run } = await box(t);
  await editLog(dir, (entries) => {
    entryAt(entries, 3).net = 1;
  });
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    t.equal((await run("verify", "--config", config)).code, 1);
  } finally {
    console.error = original;
  }
  t.match(errors.join("\n"), /CT_JOURNAL_CORRUPT: .*journal: entry #3 was edited/);
});

t.test("journal list shows archived and pending entries, masked", async (t) => {
  const { config, run } = await box(t);
  const r = await run("list", "--config", config);
  t.equal(r.lines.length, 3);
  t.match(r.lines[0], /#000001 .*ic:04A1\*+C3D4 .* 12\.50 +synced/);
  t.match(r.lines[2], /#000003 .*999\.99 +pending/);
  t.notMatch(r.lines.join("\n"), /04A1B2C3D4/, "full card numbers never printed");
  const oneDay = await run("list", "--config", config, "--day", "2026-11-21");
  t.equal(oneDay.lines.length, 1);
});

t.test("journal export --csv writes one row per entry in yuan", async (t) => {
  const { config, run } = await box(t);
  const r = await run("export", "--csv", "--config", config);
  t.equal(r.lines[0], "seq,txn_id,business_day,at,kind,mode,operator,card,gross,discount,net,bonus,points,synced");
  t.equal(r.lines.length, 4);
  t.match(r.lines[1], /^1,a,2026-11-21,.*,sale,offline,001,ic:04A1\*+C3D4,12\.50,0\.00,12\.50,0\.00,0,yes$/);
  t.match(r.lines[3], /^3,c,.*,999\.99,.*,no$/);
});

t.test("the archive keeps each entry once when an ack is replayed after a crash", async (t) => {
  const dir = await tempDir(t);
  const archive = new JournalArchive(`${dir}/archive`, 90);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, archive });
  const e = await ledger.commit(sale("a", 100));
  await archive.append([e]); // as if a crash came after the archive append, before the trim
  await ledger.acknowledge(1, Date.now());
  t.same(
    (await archive.read()).map((x) => x.seq),
    [1],
  );
  t.same(await archive.prune("2027-06-01"), ["2026-11-22"], "days past the keep window are pruned");
  t.same(await archive.days(), []);
});
