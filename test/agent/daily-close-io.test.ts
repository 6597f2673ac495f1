import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import Fastify from "fastify";
import t, { type Test } from "tap";
import { registerCloseRoutes } from "../../agent/api/close-routes.js";
import { closeCommand } from "../../agent/cli/close-command.js";
import { closeCsv } from "../../agent/close/close-csv.js";
import { closeSource } from "../../agent/close/close-source.js";
import { closeXlsx } from "../../agent/close/close-xlsx.js";
import { buildDailyClose } from "../../agent/close/daily-close.js";
import { JournalArchive } from "../../agent/journal/journal-archive.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import type { DailyCloseReceiptData } from "../../agent/receipts/receipt-data.js";
import type { JournalEntry } from "../../protocol/journal-entry.js";
import { tempDir } from "../helpers/temp-dir.js";
import { ACKED_SEQ, DAY, NEW_ENTRIES, OPTS, sealedEntries } from "./daily-close-fixture.js";

const key = randomBytes(32);

/** A data dir with the fixture day committed through a real ledger, acknowledged through #6. */
async function box(t: Test) {
  const dir = await tempDir(t);
  const archive = new JournalArchive(`${dir}/archive`, 90);
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, archive });
  const committed: JournalEntry[] = [];
  for (const e of NEW_ENTRIES) committed.push(await ledger.commit(e));
  await ledger.acknowledge(ACKED_SEQ, Date.now());
  await ledger.close();
  const config = `${dir}/cardterm.yaml`;
  await writeFile(
    config,
    `terminal:\n  id: T001\n  key: { hex: "${key.toString("hex")}" }\n  dataDir: ${dir}\n  timeZone: Asia/Shanghai\nserver:\n  mqttUrl: mqtt://127.0.0.1:1\n`,
  );
  return { dir, archive, committed, config };
}

t.test("rebuilt from a real archive and pending journal, the close equals the one from the entries", async (t) => {
  const { dir, archive, committed } = await box(t);
  t.same(await archive.days(), ["2026-11-21", DAY], "acknowledged entries went to their day's archive file");
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  t.equal(ledger.pending().length, 2);
  const source = closeSource(ledger, archive);
  const entries = await source.entriesOf(DAY);
  t.same(
    entries.map((e) => e.seq),
    [2, 3, 4, 5, 6, 7, 8],
  );
  const rebuilt = buildDailyClose(entries, { ...OPTS, ackedSeq: source.ackedSeq() });
  t.same(rebuilt, buildDailyClose(committed, OPTS));
  t.equal(rebuilt.unsynced.count, 2);
  t.ok(closeCsv(rebuilt).equals(closeCsv(buildDailyClose(sealedEntries(), OPTS))), "same CSV bytes as the fixture");
  t.ok(closeXlsx(rebuilt).equals(closeXlsx(buildDailyClose(committed, OPTS))), "same XLSX bytes");
});

t.test("an entry both archived and still pending (crash mid-ack) counts once", async (t) => {
  const { dir, archive, committed } = await box(t);
  await archive.append([committed[7]!]); // as if the ack of #8 archived it, then the box lost power
  const ledger = await TerminalLedger.open({ dataDir: dir, terminalId: "T001", key, readOnly: true });
  const entries = await closeSource(ledger, archive).entriesOf(DAY);
  t.equal(entries.filter((e) => e.seq === 8).length, 1);
  t.same(buildDailyClose(entries, OPTS).total, buildDailyClose(committed, OPTS).total);
});

async function cli(...args: string[]) {
  const lines: string[] = [];
  // 18:00 UTC on the 21st is already the 22nd in Shanghai: the default day follows the terminal's zone.
  const code = await closeCommand(
    args,
    (l) => lines.push(l),
    () => Date.parse("2026-11-21T18:00:00Z"),
  );
  return { code, lines };
}

t.test("cardterm close: summary, --json, --csv, --xlsx; read-only on the data dir", async (t) => {
  const { dir, config, committed } = await box(t);
  const journalBefore = await readFile(`${dir}/journal.json`);
  const summary = await cli("--config", config, "--day", DAY);
  t.equal(summary.code, 0);
  t.match(summary.lines[0], /terminal T001, business day 2026-11-22, acknowledged through #6/);
  t.match(summary.lines.join("\n"), /sale +3 +160\.00/);
  t.match(summary.lines.join("\n"), /stored value: \+1620\.00 -660\.00 = 960\.00/);
  t.match(summary.lines.join("\n"), /2 not uploaded yet, from #7/);

  const json = await cli("--config", config, "--day", DAY, "--json");
  const report = JSON.parse(json.lines.join("\n"));
  t.same(report, { ...buildDailyClose(committed, OPTS), generatedAt: "2026-11-21T18:00:00.000Z" });

  const csvPath = `${dir}/close.csv`;
  t.equal((await cli("--config", config, "--day", DAY, "--csv", csvPath)).code, 0);
  t.ok((await readFile(csvPath)).equals(closeCsv(buildDailyClose(committed, OPTS))));
  const xlsxPath = `${dir}/close.xlsx`;
  t.equal((await cli("--config", config, "--day", DAY, "--xlsx", xlsxPath)).code, 0);
  t.ok((await readFile(xlsxPath)).equals(closeXlsx(buildDailyClose(committed, OPTS))));
  t.ok((await readFile(`${dir}/journal.json`)).equals(journalBefore), "journal.json untouched");
});

t.test("cardterm close prints the day's first and last sale in the store's time, as its receipts do", async (t) => {
  const { config, committed } = await box(t);
  const report = buildDailyClose(committed, OPTS);
  const shanghai = (iso: string) =>
    new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .format(new Date(iso))
      .replace(", ", " ");
  const summary = (await cli("--config", config, "--day", DAY)).lines.join("\n");
  t.match(summary, `first ${shanghai(report.firstTxnAt ?? "")}`, "the first sale in Shanghai time");
  t.match(summary, `last ${shanghai(report.lastTxnAt ?? "")}`);
  t.notMatch(summary, /\d{4}-\d\d-\d\dT\d\d:/, "no UTC timestamps");
});

t.test("cardterm close defaults to today in the terminal's time zone, refuses a bad day", async (t) => {
  const { config } = await box(t);
  const today = await cli("--config", config, "--json");
  t.equal(JSON.parse(today.lines.join("\n")).businessDay, "2026-11-22");
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    t.equal((await cli("--config", config, "--day", "2026-02-30")).code, 2);
    t.equal((await cli("--config", config, "--csv", "a", "--json")).code, 2);
  } finally {
    console.error = original;
  }
  t.match(errors[0], /not a date/);
});

async function api(t: Test, withPrinter = true) {
  const printed: DailyCloseReceiptData[] = [];
  const app = Fastify();
  registerCloseRoutes(app, {
    entriesOf: async (day) => sealedEntries().filter((e) => e.businessDay === day),
    ackedSeq: () => ACKED_SEQ,
    terminalId: "T001",
    today: () => DAY,
    storeName: "徐汇店",
    now: () => Date.parse(OPTS.generatedAt),
    ...(withPrinter
      ? {
          print: async (d: DailyCloseReceiptData) => {
            printed.push(d);
            return { jobId: "j1" };
          },
        }
      : {}),
  });
  t.teardown(() => app.close());
  return { app, printed };
}

t.test("GET /api/v1/close in JSON, CSV and XLSX with their file names", async (t) => {
  const { app } = await api(t);
  const expected = buildDailyClose(sealedEntries(), OPTS);
  const json = await app.inject({ url: "/api/v1/close" });
  t.equal(json.statusCode, 200);
  t.same(json.json(), expected, "day defaults to today");
  const csv = await app.inject({ url: `/api/v1/close?day=${DAY}&format=csv` });
  t.equal(csv.headers["content-type"], "text/csv; charset=utf-8");
  t.equal(csv.headers["content-disposition"], 'attachment; filename="close-T001-2026-11-22.csv"');
  t.ok(csv.rawPayload.equals(closeCsv(expected)));
  const xlsx = await app.inject({ url: `/api/v1/close?day=${DAY}&format=xlsx` });
  t.equal(xlsx.headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  t.equal(xlsx.headers["content-disposition"], 'attachment; filename="close-T001-2026-11-22.xlsx"');
  t.ok(xlsx.rawPayload.equals(closeXlsx(expected)));
  const other = await app.inject({ url: "/api/v1/close?day=2026-11-21" });
  t.equal(other.json().total.count, 1);
});

t.test("GET /api/v1/close refuses a bad day or format with 400 CT_BAD_REQUEST", async (t) => {
  const { app } = await api(t);
  for (const url of ["/api/v1/close?day=2026-13-01", "/api/v1/close?day=yesterday", "/api/v1/close?format=pdf"]) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 400, url);
    t.equal(res.json().code, "CT_BAD_REQUEST");
    t.match(res.json().message, /^CT_BAD_REQUEST: /);
  }
});

t.test("POST /api/v1/close/print sends the 日结单 to the printer", async (t) => {
  const { app, printed } = await api(t);
  const res = await app.inject({
    method: "POST",
    url: "/api/v1/close/print",
    payload: { day: DAY, operatorId: "mgr-01" },
  });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { day: DAY, printed: { jobId: "j1" } });
  t.equal(printed.length, 1);
  t.same([printed[0]?.storeName, printed[0]?.operatorId, printed[0]?.businessDay], ["徐汇店", "mgr-01", DAY]);
  t.same(printed[0]?.unsynced, { count: 2, amount: -53_000 }, "two sales not uploaded: stored value down ¥530.00");
  const bad = await app.inject({ method: "POST", url: "/api/v1/close/print", payload: { day: "22/11/2026" } });
  t.same([bad.statusCode, bad.json().code], [400, "CT_BAD_REQUEST"]);
  const signedIn = Fastify();
  registerCloseRoutes(signedIn, {
    entriesOf: async () => [],
    ackedSeq: () => 0,
    terminalId: "T001",
    today: () => DAY,
    operatorOf: () => "mgr-02",
    print: async (d) => {
      printed.push(d);
    },
  });
  t.teardown(() => signedIn.close());
  await signedIn.inject({ method: "POST", url: "/api/v1/close/print", payload: { operatorId: "someone" } });
  t.equal(printed[1]?.operatorId, "mgr-02", "the logged-in operator is named on the slip");
  const none = await api(t, false);
  const res404 = await none.app.inject({ method: "POST", url: "/api/v1/close/print", payload: {} });
  t.same([res404.statusCode, res404.json().code], [404, "CT_NOT_FOUND"]);
});
