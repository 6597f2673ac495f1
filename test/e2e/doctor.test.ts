/**
 * `cardterm doctor` as a technician runs it, a separate process against the real rig: the
 * embedded broker (aedes), the central server on PGlite, a serial ID reader on a socat
 * pty, the TCP printer stand-in, a temp data dir. All green first (a card tapped on
 * request, the self-test page on the printer); then each part broken in turn and its row
 * FAILs with the fix and exit 1; then once with the agent running, which holds the
 * devices, so those rows are asked of it.
 */
import { mkdir, writeFile } from "node:fs/promises";
import t from "tap";
import { startAgent } from "../../agent/agent.js";
import { DEMO_OPERATOR_PINS, DEMO_OPERATORS } from "../../agent/demo/demo-operators.js";
import { TerminalLedger } from "../../agent/journal/terminal-ledger.js";
import { silentLogger } from "../../agent/logger.js";
import { loadConfig } from "../../config/load-config.js";
import { connectHqLink } from "../../server/mqtt/hq-link.js";
import { editLog, entryAt } from "../helpers/journal-files.js";
import { STATUS } from "../helpers/tcp-printer.js";
import { waitFor } from "../helpers/wait-for.js";
import { doctor, documentsOnly, othersPass, rig, sale, TOKEN, tapWhenAsked } from "./doctor-rig.js";

t.test(
  "cardterm doctor: all green on the rig, then each part broken in turn, then beside the running agent",
  async (t) => {
    const r = await rig(t);

    await t.test("all green: a card tapped on request, the self-test page printed, exit 0", async (t) => {
      const run = await doctor(r.config, ["--wait-tap", "10"], tapWhenAsked(r.pty));
      t.equal(run.code, 0, run.stderr);
      t.equal(Object.keys(run.rows).length, 8, "config, one reader, printer, broker, server, operators, disk, journal");
      t.equal(run.code, 0, "no operators is a warning, not a fault, while the API is on loopback");
      t.match(run.rows.operators, { verdict: "WARN", via: "direct", code: "CT_NO_OPERATORS", fix: /operator add/ });
      othersPass(t, run, []);
      t.match(run.rows["reader:front"], { via: "direct", detail: /read card id:0012\*+5678/ });
      t.match(run.rows.printer, { via: "direct", detail: /ready; self-test page printed/ });
      t.match(run.rows.broker, { detail: /connected to 127\.0\.0\.1:\d+ in \d+ ms; round trip \d+ ms/ });
      t.match(run.rows.server, { detail: /server answered in \d+ ms; clocks agree/ });
      t.match(run.rows.journal, { detail: /sound .*0 pending/ });
      t.equal(r.pages().length, 1, "one self-test page reached the printer");
    });

    await t.test("--print: the result is the self-test page, with the doctor's rows on it", async (t) => {
      const run = await doctor(r.config, ["--print"]);
      t.equal(run.code, 0, run.stderr);
      t.match(run.rows.printer?.detail, /result printed/);
      const page = r.pages().at(-1) ?? "";
      t.equal(r.pages().length, 2, "one more page, not two");
      t.match(page, /诊断结果/);
      t.match(page, /消息服务器\s+PASS/);
    });

    await t.test("a config typo: the config row FAILs with file:line and the fix", async (t) => {
      const bad = `${r.dir}/typo.yaml`;
      await writeFile(bad, r.yaml(`${r.dir}/data`).replace("server:", "sever:"));
      const run = await doctor(bad);
      t.equal(run.code, 1);
      t.match(run.rows.config, { verdict: "FAIL", code: "CT_CONFIG_INVALID", detail: /typo\.yaml:\d+:\d+ .*sever/ });
      t.match(run.rows.config?.fix, /cardterm config check/);
    });

    await t.test("the serial reader unplugged: its path is missing, the reader row FAILs", async (t) => {
      await r.pty.unplug();
      t.teardown(() => r.pty.restart());
      const run = await doctor(r.config, ["--no-print"]);
      t.equal(run.code, 1);
      t.match(run.rows["reader:front"], {
        verdict: "FAIL",
        code: "CT_READER_UNAVAILABLE",
        detail: /cardterm\.yaml:\d+:\d+ +readers\[0\]\.path — .*does not exist/,
        fix: /ls -l \/dev\/serial\/by-id\/.*dialout/,
      });
      othersPass(t, run, ["reader:front"]);
    });

    await t.test("the printer's port closed: the printer row FAILs with its address", async (t) => {
      await r.printer.stop();
      t.teardown(() => r.printer.restart());
      const run = await doctor(r.config);
      t.equal(run.code, 1);
      t.match(run.rows.printer, { verdict: "FAIL", code: "CT_PRINTER_OFFLINE", detail: /ECONNREFUSED/ });
      t.match(run.rows.printer?.fix, new RegExp(`127\\.0\\.0\\.1:${r.printer.port}`));
      othersPass(t, run, ["printer"]);
    });

    await t.test("the printer out of paper: CT_PRINTER_NOT_READY, load paper", async (t) => {
      r.printer.answers = { replies: { 2: STATUS.n2({ paperEndStop: true }), 4: STATUS.n4({ paperEnd: true }) } };
      t.teardown(() => {
        r.printer.answers = { replies: { 2: STATUS.n2(), 4: STATUS.n4() } };
      });
      const run = await doctor(r.config);
      t.equal(run.code, 1);
      t.match(run.rows.printer, {
        verdict: "FAIL",
        code: "CT_PRINTER_NOT_READY",
        detail: "paper out",
        fix: /paper roll/,
      });
    });

    await t.test("the broker down: broker and server rows FAIL, nothing listens", async (t) => {
      await r.broker.close();
      const run = await doctor(r.config, ["--no-print"]);
      await r.restartBroker();
      t.equal(run.code, 1);
      t.match(run.rows.broker, { verdict: "FAIL", code: "CT_BROKER_UNREACHABLE", detail: /ECONNREFUSED/ });
      t.match(run.rows.broker?.fix, /nothing listens at 127\.0\.0\.1:\d+/);
      t.match(run.rows.server, { verdict: "FAIL", code: "CT_BROKER_UNREACHABLE" });
      othersPass(t, run, ["broker", "server"]);
    });

    await t.test("the central server not running (broker up): the server row FAILs, call head office", async (t) => {
      await r.stopHq();
      const run = await doctor(r.config, ["--no-print"]);
      t.equal(run.code, 1);
      t.match(run.rows.server, { verdict: "FAIL", code: "CT_SERVER_TIMEOUT", detail: /broker is reachable/ });
      t.match(run.rows.server?.fix, /cardterm-hq/);
      othersPass(t, run, ["server"]);
    });

    await t.test("the server's clock ten minutes ahead: the server row FAILs with the NTP fix", async (t) => {
      const skewed = await connectHqLink({
        url: r.broker.url,
        clientId: "cardterm-hq-skewed",
        ledger: documentsOnly(r.db),
        log: silentLogger(),
        now: () => Date.now() + 10 * 60_000,
      });
      t.teardown(() => skewed.close());
      const run = await doctor(r.config, ["--no-print"]);
      t.equal(run.code, 1);
      t.match(run.rows.server, { verdict: "FAIL", code: "CT_CLOCK_SKEW", detail: /10 min behind/ });
      t.match(run.rows.server?.fix, /timedatectl set-ntp true/);
      await skewed.close();
      await r.startHq();
    });

    await t.test("less free space than the limit: the disk row FAILs", async (t) => {
      const run = await doctor(r.config, ["--no-print", "--disk-fail-mb", "100000000"]);
      t.equal(run.code, 1);
      t.match(run.rows.disk, { verdict: "FAIL", code: "CT_DISK_LOW", fix: /journalctl --vacuum-size/ });
      othersPass(t, run, ["disk"]);
    });

    await t.test("a tampered journal: the journal row FAILs and names the entry", async (t) => {
      const dataDir = `${r.dir}/tampered`;
      await mkdir(dataDir);
      const ledger = await TerminalLedger.open({ dataDir, terminalId: "T001", key: r.key });
      for (const txnId of ["a", "b"]) await ledger.commit(sale(txnId));
      await ledger.close();
      await editLog(dataDir, (entries) => {
        entryAt(entries, 2).net = 1;
      });
      const config = `${r.dir}/tampered.yaml`;
      await writeFile(config, r.yaml(dataDir));
      const run = await doctor(config, ["--no-print"]);
      t.equal(run.code, 1);
      t.match(run.rows.journal, { verdict: "FAIL", code: "CT_JOURNAL_CORRUPT", detail: /entry #2 was edited/ });
      t.match(run.rows.journal?.fix, /do not delete the journal/);
    });

    await t.test("beside the running agent: devices asked of it, its self-test page printed, exit 0", async (t) => {
      const agent = await startAgent(await loadConfig(r.config), {
        log: silentLogger(),
        backoff: { baseMs: 100, capMs: 400 },
      });
      t.teardown(() => agent.close());
      await waitFor("the agent connected with its reader open", () => {
        const s = agent.status() as { broker: { connected: boolean }; readers: { state: string }[] };
        return s.broker.connected && s.readers[0]?.state === "present";
      });
      const pagesBefore = r.pages().length;
      const run = await doctor(r.config, ["--wait-tap", "10"], tapWhenAsked(r.pty));
      t.equal(run.code, 0, run.stderr);
      othersPass(t, run, []);
      t.match(
        run.rows["reader:front"],
        { via: "agent", detail: "a card was read" },
        "the agent read the tap asked for",
      );
      t.match(run.rows.printer, { via: "agent", detail: /self-test page printed/ });
      t.match(run.rows.broker, { via: "agent+direct", detail: /agent connected since/ });
      t.match(run.rows.journal, { via: "agent+direct" });
      await waitFor("the agent's self-test page on the printer", () => r.pages().length === pagesBefore + 1);
      const after = agent.status() as { readers: { state: string }[] };
      t.equal(after.readers[0]?.state, "present", "the agent's reader was left alone");

      // --print beside the agent: the doctor's rows go to the agent, on its page, instead of the plain one.
      const beforePrint = r.pages().length;
      const printed = await doctor(r.config, ["--print"]);
      t.equal(printed.code, 0, printed.stderr);
      t.match(printed.rows.printer, { via: "agent", detail: /result printed/ });
      t.notMatch(printed.rows.printer?.detail, /self-test page printed/, "no plain page first");
      await waitFor("the result page on the printer", () => r.pages().length === beforePrint + 1);
      await new Promise((done) => setTimeout(done, 300));
      t.equal(r.pages().length, beforePrint + 1, "one page, not two");
      const resultPage = r.pages().at(-1) ?? "";
      t.match(resultPage, /诊断结果/, "the doctor's section is on the agent's page");
      t.match(resultPage, /消息服务器\s+PASS/, "with the broker row and its verdict");
      t.match(resultPage, /日志\S*\s+PASS/, "and the journal row");
      t.match(resultPage, /T001/, "on the agent's own page");

      // The API refuses a body that is not the doctor's rows within bounds, whole, with CT_BAD_REQUEST.
      const apiPort = (await loadConfig(r.config)).api.port;
      const post = (body: string) =>
        fetch(`http://127.0.0.1:${apiPort}/api/v1/receipts/self-test`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body,
        });
      const row = { name: "disk", result: "PASS", detail: "ok" };
      const refusedBodies: [string, unknown][] = [
        ["a result that is not a verdict", { doctor: [{ ...row, result: "MAYBE" }] }],
        ["too many rows", { doctor: Array.from({ length: 21 }, () => row) }],
        ["a detail too long", { doctor: [{ ...row, detail: "x".repeat(241) }] }],
        ["an ESC/POS command smuggled in", { doctor: [{ ...row, detail: "\u001bp\u0000" }] }],
        ["an unknown key", { doctor: [row], cut: true }],
        ["a number for a name", { doctor: [{ ...row, name: 7 }] }],
      ];
      const pagesBeforeBad = r.pages().length;
      for (const [why, body] of refusedBodies) {
        const res = await post(JSON.stringify(body));
        const answer = (await res.json()) as { code?: string; message?: string };
        t.equal(res.status, 400, why);
        t.match(answer, { code: "CT_BAD_REQUEST", message: /self-test body/ }, why);
      }
      const ok = await post(
        JSON.stringify({ doctor: [{ name: "磁盘", result: "WARN", detail: "少", code: "CT_DISK_LOW" }] }),
      );
      t.equal(ok.status, 200, "a valid body is printed");
      await waitFor("the valid body's page", () => r.pages().length === pagesBeforeBad + 1);
      t.match(r.pages().at(-1), /磁盘\s+WARN/);
      t.match(r.pages().at(-1), /CT_DISK_LOW/);

      // A config whose API token is not the running agent's: the devices it holds cannot be checked.
      const stale = `${r.dir}/stale-token.yaml`;
      await writeFile(stale, r.yaml(`${r.dir}/data`).replace(TOKEN, "an-older-token-0123456789"));
      const refused = await doctor(stale, ["--no-print"]);
      t.equal(refused.code, 1);
      for (const check of ["reader:front", "printer"]) {
        t.match(refused.rows[check], { verdict: "FAIL", via: "agent", code: "CT_UNAUTHORIZED", fix: /api\.token/ });
      }
      t.match(refused.rows.broker, { verdict: "PASS" }, "rows that need no device are still checked");
      await agent.close();

      // Operators configured: the agent prints the self-test page only for a technician or supervisor.
      const boss = DEMO_OPERATORS.find((o) => o.role === "supervisor")!;
      const withOperators = `${r.dir}/operators.yaml`;
      await writeFile(
        withOperators,
        `${r.yaml(`${r.dir}/data`)}operators:\n  - id: "${boss.id}"\n    name: ${boss.name}\n    role: supervisor\n    pinHash: "${boss.pinHash}"\n`,
      );
      const guarded = await startAgent(await loadConfig(withOperators), { log: silentLogger() });
      t.teardown(() => guarded.close());
      const anonymous = await doctor(withOperators);
      t.equal(anonymous.code, 0, "a page not printed for want of a log-in is a warning, not a fault");
      t.match(anonymous.rows.printer, { verdict: "WARN", code: "CT_UNAUTHORIZED", fix: /--operator/ });
      t.match(anonymous.rows.operators, { verdict: "PASS", via: "agent", detail: /log-in required/ });
      const pages = r.pages().length;
      const loggedIn = await doctor(
        withOperators,
        ["--operator", boss.id],
        undefined,
        `${DEMO_OPERATOR_PINS["900"]}\n`,
      );
      t.equal(loggedIn.code, 0, loggedIn.stderr);
      t.match(loggedIn.rows.printer, { verdict: "PASS", via: "agent", detail: /self-test page printed/ });
      await waitFor("the page printed for the supervisor", () => r.pages().length === pages + 1);
      const wrongPin = await doctor(withOperators, ["--operator", boss.id], undefined, "0000\n");
      t.match(wrongPin.rows.printer, { verdict: "WARN" }, "a wrong PIN: no page, and the report says why");
    });
  },
);
