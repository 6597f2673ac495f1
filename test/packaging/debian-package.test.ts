/**
 * The till's Debian package: built by scripts/build-deb.sh, installed
 * on this machine with dpkg -i, used as a technician would, upgraded over a local edit,
 * removed, purged — the journal survives a purge unless asked — and purged for good.
 *
 * Skipped, saying why, where dpkg is absent, without root, or where this machine already
 * has a cardterm install or journal (the test must never touch a real till's).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

const ROOT = join(import.meta.dirname, "../..");
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;

function has(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

function installed(): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  return spawnSync("dpkg-query", ["-W", "-f=${Status}", "cardterm"], { encoding: "utf8" }).stdout.includes(
    " installed",
  );
}

function whyNot(): string | false {
  if (!has("dpkg-deb") || !has("dpkg"))
    return "dpkg is not on this machine: the Debian package is built and installed on Debian";
  if (process.getuid?.() !== 0) return "dpkg -i needs root";
  if (installed()) return "cardterm is installed on this machine already: the test will not replace it";
  if (existsSync("/var/lib/cardterm") || existsSync("/etc/cardterm"))
    return "/var/lib/cardterm or /etc/cardterm exists here: a journal or config the test must not touch";
  return false;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function purgeAll(): void {
  if (installed() || existsSync("/etc/cardterm") || existsSync("/var/lib/cardterm"))
    run("dpkg", ["--purge", "cardterm"], { CARDTERM_PURGE_JOURNAL: "yes" });
}

t.test(
  "the Debian package installs, works, keeps its journal through a purge, and goes",
  { skip: whyNot() },
  async (t) => {
    const out = mkdtempSync(join(tmpdir(), "cardterm-deb-"));
    t.teardown(() => {
      purgeAll();
      rmSync(out, { recursive: true, force: true });
    });
    const deb = execFileSync("bash", [join(ROOT, "scripts/build-deb.sh"), "--out", out], { encoding: "utf8" })
      .trim()
      .split("\n")
      .at(-1) as string;
    t.match(deb, new RegExp(`cardterm_${VERSION.replaceAll(".", "\\.")}-1_\\w+\\.deb$`));
    const info = run("dpkg-deb", ["-I", deb]).out;
    t.match(info, /Depends: nodejs \(>= 20\), adduser/, "Node is a dependency");
    t.match(run("dpkg-deb", ["--ctrl-tarfile", deb]).code, 0);
    const files = run("dpkg-deb", ["-c", deb]).out;
    for (const path of [
      "./usr/bin/cardterm",
      "./usr/lib/cardterm/dist/agent/cli/cardterm.js",
      "./usr/lib/cardterm/node_modules/commander/package.json",
      "./lib/systemd/system/cardterm.service",
      "./lib/udev/rules.d/99-cardterm.rules",
      "./etc/cardterm/cardterm.yaml",
      "./usr/share/bash-completion/completions/cardterm",
    ])
      t.match(files, ` ${path}\n`, `ships ${path}`);
    t.notMatch(files, /node_modules\/(typescript|tap|@biomejs)\//, "no dev dependencies");
    // Head office and the demo are not the till's: their code, commands and ledger stay out.
    t.notMatch(files, /\/dist\/(server|demo)\//, "no server/ or demo/ code");
    t.notMatch(files, /\/usr\/bin\/cardterm-(hq|demo)\n/, "no cardterm-hq or cardterm-demo command");
    t.notMatch(files, /node_modules\/(@electric-sql\/pglite|pg|aedes)\//, "no PGlite, pg or aedes");

    const install = run("dpkg", ["--force-unsafe-io", "-i", deb]);
    t.equal(install.code, 0, install.err);
    t.equal(run("cardterm", ["--version"]).out.trim(), VERSION, "cardterm --version");

    // The starting config is valid as shipped; only the reader is not plugged in here.
    const check = run("cardterm", ["config", "check", "/etc/cardterm/cardterm.yaml"]);
    t.equal(check.code, 1, "valid, a device missing");
    t.match(check.err, /config is valid, but devices are missing.*\n.*\/dev\/ttyUSB0 does not exist/);
    const elsewhere = run("cardterm", ["config", "check", "--elsewhere", "/etc/cardterm/cardterm.yaml"]);
    t.equal(elsewhere.code, 0, elsewhere.err);
    t.match(elsewhere.out, /OK — terminal T001/);

    if (has("systemd-analyze")) {
      const verify = run("systemd-analyze", ["verify", "/lib/systemd/system/cardterm.service"]);
      t.equal(verify.code, 0, verify.err);
      t.notMatch(verify.err, /cardterm\.service/, "systemd-analyze has nothing to say about the unit");
    } else t.comment("systemd-analyze is not installed: the unit is not verified");

    const groups = run("id", ["-nG", "cardterm"]).out.split(/\s+/);
    t.ok(groups.includes("dialout") && groups.includes("lp"), `cardterm is in dialout and lp (${groups.join(" ")})`);
    const state = statSync("/var/lib/cardterm");
    t.equal(state.uid, Number(run("id", ["-u", "cardterm"]).out.trim()), "/var/lib/cardterm belongs to cardterm");
    t.match(readFileSync("/etc/cardterm/terminal.key", "utf8"), /^[0-9a-f]{64}$/, "a placeholder key");
    const completion = run("bash", [
      "-c",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
      "source /usr/share/bash-completion/completions/cardterm; COMP_WORDS=(cardterm journal ve); COMP_CWORD=2; _cardterm; echo ${COMPREPLY[*]}",
    ]);
    t.equal(completion.out.trim(), "verify", "bash completes cardterm journal ve… to verify");

    // A technician's edit survives reinstalling (a conffile); so does the key made the first time.
    appendFileSync("/etc/cardterm/cardterm.yaml", "# edited at the store\n");
    const key = readFileSync("/etc/cardterm/terminal.key", "utf8");
    writeFileSync("/var/lib/cardterm/journal.log", "entry 1\n");
    t.equal(run("dpkg", ["--force-unsafe-io", "-i", deb]).code, 0, "reinstall");
    t.match(readFileSync("/etc/cardterm/cardterm.yaml", "utf8"), /# edited at the store\n$/, "the edit is kept");
    t.equal(readFileSync("/etc/cardterm/terminal.key", "utf8"), key, "the key is kept");

    const purge = run("dpkg", ["--purge", "cardterm"]);
    t.equal(purge.code, 0, purge.err);
    t.notOk(existsSync("/usr/bin/cardterm"), "the command is gone");
    t.notOk(existsSync("/etc/cardterm/cardterm.yaml"), "the config is purged");
    t.equal(readFileSync("/var/lib/cardterm/journal.log", "utf8"), "entry 1\n", "the journal survives a purge");
    t.ok(existsSync("/etc/cardterm/terminal.key"), "and so does the key that proves it");
    t.match(purge.err, /CARDTERM_PURGE_JOURNAL=yes dpkg --purge cardterm/, "the purge says how to delete them");

    t.equal(run("dpkg", ["--force-unsafe-io", "-i", deb]).code, 0, "installed again");
    t.equal(readFileSync("/var/lib/cardterm/journal.log", "utf8"), "entry 1\n", "over the kept journal");
    t.equal(run("dpkg", ["--purge", "cardterm"], { CARDTERM_PURGE_JOURNAL: "yes" }).code, 0);
    t.notOk(existsSync("/var/lib/cardterm"), "asked: the journal is deleted");
    t.notOk(existsSync("/etc/cardterm"), "and /etc/cardterm with its key");
  },
);
