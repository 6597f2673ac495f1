/**
 * lib/cli/run-cli.ts on a small table: what a run's failure looks like on the
 * terminal and which exit status it gives, and the bash completion made from a table.
 */
import { spawnSync } from "node:child_process";
import t from "tap";
import { bashCompletion } from "../../lib/cli/bash-completion.js";
import { type CliSpec, UsageError } from "../../lib/cli/command-spec.js";
import { type Explain, runCli } from "../../lib/cli/run-cli.js";

const CLI: CliSpec = {
  name: "tool",
  version: "1.2.3",
  summary: "a test tool",
  groups: [{ path: "box", summary: "boxes" }],
  commands: [
    {
      path: "box open",
      summary: "open a box",
      args: ["<id>"],
      options: [
        { flags: "--lang <lang>", help: "language", choices: ["zh-CN", "en"] },
        { flags: "-c, --config <file>", help: "config", required: true },
        { flags: "--tag <t>", help: "tags", multiple: true },
      ],
      examples: ["tool box open B1 -c box.yaml"],
      run: ({ args, values }) => {
        if (args[0] === "crash") throw new TypeError("Cannot read properties of undefined (reading 'x')");
        if (args[0] === "known") throw Object.assign(new Error("E1: the box is locked"), { known: true });
        if (args[0] === "bad") throw new UsageError("B-ids start with B");
        return values.tag ? (values.tag as string[]).length : 0;
      },
    },
  ],
};

const explain: Explain = (err) =>
  (err as { known?: boolean }).known ? { message: (err as Error).message, exitCode: 3 } : undefined;

async function tool(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  const io = {
    out: (s: string) => out.push(s),
    err: (s: string) => err.push(s),
    crashLog: (s: string) => {
      logs.push(s);
      return "/tmp/tool-error.log";
    },
  };
  const code = await runCli(CLI, argv, io, explain);
  return { code, out: out.join("\n"), err: err.join("\n"), logs };
}

t.test("an unforeseen error: its code, one line and where the whole error went; exit 1", async (t) => {
  const r = await tool("box", "open", "crash", "-c", "x");
  t.equal(r.code, 1);
  t.equal(
    r.err,
    "tool box open: unexpected error TypeError: Cannot read properties of undefined (reading 'x')\n  the whole error is in /tmp/tool-error.log",
  );
  t.notMatch(r.err, /^ {4}at /m, "no stack on the terminal");
  t.match(r.logs[0], /TypeError: Cannot read properties[\s\S]*\n {4}at /, "the stack is in the crash log");
});

t.test("an error the tool explains: its line and its exit status", async (t) => {
  const r = await tool("box", "open", "known", "-c", "x");
  t.same([r.code, r.err], [3, "E1: the box is locked"]);
});

t.test("usage mistakes: one line, the command's usage, exit 2", async (t) => {
  for (const [argv, line] of [
    [["box", "open", "bad", "-c", "x"], "tool box open: B-ids start with B"],
    [["box", "open", "B1"], "tool box open: needs --config <file>"],
    [
      ["box", "open", "B1", "-c", "x", "--lang", "fr"],
      "tool box open: option '--lang <lang>' argument 'fr' is invalid. Allowed choices are zh-CN, en.",
    ],
    [["box", "open", "--colour"], "tool box open: unknown option '--colour'"],
    [["box", "open", "-c", "x"], "tool box open: missing required argument 'id'"],
    [["box"], "tool box: needs a command: open"],
    [["box", "shut"], "tool box: unknown command 'shut'; one of: open"],
  ] as const) {
    const r = await tool(...argv);
    t.equal(r.code, 2, argv.join(" "));
    t.equal(r.err.split("\n")[0], line);
    t.match(r.err, /\n\nUsage: tool box/, "then the usage");
    t.notMatch(r.err, /Examples:/, "examples only with --help");
  }
});

t.test("--help with examples, --version, repeated flags", async (t) => {
  const help = await tool("box", "open", "--help");
  t.equal(help.code, 0);
  t.match(
    help.out,
    /Usage: tool box open \[options\] <id>[\s\S]*config \(required\)[\s\S]*Examples:\n {2}tool box open B1 -c box.yaml/,
  );
  t.same(await tool("--version"), { code: 0, out: "1.2.3", err: "", logs: [] });
  t.equal(
    (await tool("box", "open", "B1", "-c", "x", "--tag", "a", "--tag", "b")).code,
    2,
    "two tags arrive as an array",
  );
});

t.test(
  "bash completion from the table: commands, flags, a flag's choices, files",
  { skip: spawnSync("bash", ["--version"]).status === 0 ? false : "no bash here" },
  async (t) => {
    const complete = (words: string[]) =>
      spawnSync(
        "bash",
        [
          "-c",
          `${bashCompletion(CLI)}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _tool; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: "utf8" },
      )
        .stdout.trim()
        .split("\n");
    t.same(complete(["tool", "b"]), ["box"]);
    t.same(complete(["tool", "box", ""]), ["--help", "open"]);
    t.same(complete(["tool", "box", "open", "--l"]), ["--lang"]);
    t.same(complete(["tool", "box", "open", "--lang", ""]), ["zh-CN", "en"]);
    t.ok(complete(["tool", "box", "open", "-c", "/etc/host"]).includes("/etc/hostname"), "a file for --config");
  },
);
