/**
 * cardterm-demo's command line (demo/demo-command.ts), in-process: with no arguments it
 * starts the demo (what `npm start` runs), its help shows its options and examples, and a
 * mistake exits 2 with one line and the usage — as the till's tools do (test/unit/cli-walk).
 */
import t from "tap";
import { DEMO_CLI } from "../../demo/demo-command.js";
import { runCli } from "../../lib/cli/run-cli.js";

async function call(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let ran: Record<string, unknown> | undefined;
  const commands = DEMO_CLI.commands.map((c) => ({
    ...c,
    run: async (input: Parameters<typeof c.run>[0]) => {
      ran = input.values;
      return 0;
    },
  }));
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), crashLog: () => undefined };
  const code = await runCli({ ...DEMO_CLI, commands }, argv, io, () => undefined);
  return { code, out: out.join("\n"), err: err.join("\n"), ran };
}

t.test("no arguments start the demo; the flags reach it by name", async (t) => {
  const bare = await call([]);
  t.equal(bare.code, 0);
  t.same(bare.ran, {}, "reached the demo's run");
  const flags = await call(["--api-port", "8080", "--dir", "/tmp/d"]);
  t.same(flags.ran, { "api-port": "8080", dir: "/tmp/d" });
});

t.test("help, version and mistakes", async (t) => {
  const help = await call(["start", "--help"]);
  t.equal(help.code, 0);
  t.match(help.out, /Usage: cardterm-demo start /);
  t.match(help.out, /--hq-port <n>/);
  t.match(help.out, /\nExamples:\n {2}cardterm-demo\n/);
  t.match((await call(["--help"])).out, /cardterm-demo start --help/, "the tool's help says where the options are");
  t.match((await call(["--version"])).out, /^\d+\.\d+\.\d+/);
  const bogus = await call(["--bogus-flag"]);
  t.equal(bogus.code, 2);
  t.match(bogus.err.split("\n")[0], /unknown option '--bogus-flag'/);
  t.match(bogus.err, /\nUsage: cardterm-demo start /);
});

t.test("a port that is not one is refused before anything starts", async (t) => {
  const errors: string[] = [];
  const io = { out: () => {}, err: (s: string) => errors.push(s), crashLog: () => undefined };
  const code = await runCli(DEMO_CLI, ["--api-port", "70000"], io, () => undefined);
  t.equal(code, 2);
  t.match(errors.join("\n"), /--api-port 70000 is not a port/);
});
