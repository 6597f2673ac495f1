/**
 * The first cardterm-hq command on a new --data-dir creates the embedded PostgreSQL,
 * which takes seconds (8–14 s measured on the 2-vCPU VM): it says so on stderr before,
 * and when the ledger is ready, so the technician does not take it for a hang.
 * stdout stays the command's own (--json is parsed by scripts). A second
 * command on the same directory says nothing of it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

const CLI = join(import.meta.dirname, "../../server/cli/cardterm-hq.ts");

function hq(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: "" },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test("a new data dir: what is happening is said first, then that it is ready; once", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-hq-new-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ledger = join(dir, "ledger");
  const first = hq("member", "list", "--data-dir", ledger, "--json");
  t.equal(first.code, 0, first.err);
  t.match(first.err, new RegExp(`^cardterm-hq: creating a new ledger in ${ledger} .*about 10 s\\)…\\n`));
  t.match(first.err, /\ncardterm-hq: ledger ready \(\d+\.\d s\)\n$/);
  t.same(JSON.parse(first.out), [], "stdout is only the command's JSON");
  const second = hq("member", "list", "--data-dir", ledger, "--json");
  t.equal(second.code, 0);
  t.equal(second.err, "", "an existing ledger opens without a word");
});
