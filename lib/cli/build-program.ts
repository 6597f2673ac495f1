/**
 * The command table (command-spec.ts) as a commander program. commander parses, checks
 * required options, choices, conflicts and argument counts, suggests the nearest flag for
 * a typo, and writes the help; the table adds the examples and environment to each help.
 *
 * Options reach a run by their long name, the way the project's handlers read them
 * (`values["mqtt-url"]`); `--no-print` is its own key, so "--print --no-print" can be
 * refused rather than silently taking the last.
 */
import { Command, Option } from "commander";
import { type CliSpec, type CommandSpec, type ParsedInput, UsageError } from "./command-spec.js";

export interface ProgramOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** What the parse chose: the command to run, with its input. */
export interface Chosen {
  spec: CommandSpec;
  command: Command;
  input: ParsedInput;
}

export interface BuiltProgram {
  program: Command;
  /** Set by the parse when it reached a command's run (not for --help or --version). */
  chosen: () => Chosen | undefined;
}

export function buildProgram(cli: CliSpec, output: ProgramOutput): BuiltProgram {
  let chosen: Chosen | undefined;
  const program = new Command(cli.name)
    .description(cli.summary)
    .version(cli.version, "-v, --version", "print the version")
    .helpOption("-h, --help", "show help (with examples)")
    .helpCommand("help [command]", "show a command's help")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => output.out(s.replace(/\n$/, "")),
      writeErr: (s) => output.err(s.replace(/\n$/, "")),
      // run-cli.ts writes the one-line error itself, with the command's usage.
      outputError: () => {},
    });
  if (cli.env?.length) program.addHelpText("after", section("Environment", cli.env));
  if (cli.footer) program.addHelpText("after", `\n${cli.footer}`);
  for (const group of cli.groups) {
    commandAt(program, group.path).description(group.summary);
  }
  for (const spec of cli.commands) {
    const command = commandAt(program, spec.path, spec.isDefault);
    describe(command, spec);
    const values = collectValues(command, spec);
    command.action(() => {
      chosen = { spec, command, input: { values, args: [...command.args] } };
      // Checked here rather than by commander, which would name a missing --config before
      // the misspelt flag the user actually typed.
      const missing = spec.options?.find((o) => o.required && values[longName(o.flags)] === undefined);
      if (missing) throw new UsageError(`needs ${missing.flags.replace(/^-\w, /, "")}`);
    });
  }
  return { program, chosen: () => chosen };
}

/** The command at `path`, made (with its parents) if it does not exist yet. */
export function commandAt(root: Command, path: string, isDefault = false): Command {
  let at = root;
  const words = path.split(" ");
  words.forEach((word, i) => {
    const found = at.commands.find((c) => c.name() === word);
    at = found ?? at.command(word, { isDefault: isDefault && i === words.length - 1 });
  });
  return at;
}

function describe(command: Command, spec: CommandSpec): void {
  command.summary(spec.summary).description(spec.summary);
  for (const arg of spec.args ?? []) command.argument(arg);
  for (const o of spec.options ?? []) {
    const option = new Option(o.flags, o.required ? `${o.help} (required)` : o.help);
    if (o.choices) option.choices(o.choices);
    if (o.conflicts) option.conflicts(o.conflicts.map(attributeOf));
    command.addOption(option);
  }
  if (spec.env?.length) command.addHelpText("after", section("Environment", spec.env));
  if (spec.examples?.length) command.addHelpText("after", section("Examples", spec.examples));
}

/**
 * The options as the command line gave them, by long name, from commander's per-option
 * events (so a negated flag and its positive stay apart, and nothing is defaulted here).
 */
function collectValues(command: Command, spec: CommandSpec): ParsedInput["values"] {
  const values: ParsedInput["values"] = {};
  for (const o of spec.options ?? []) {
    const name = longName(o.flags);
    command.on(`option:${name}`, (value: string | undefined) => {
      if (o.multiple) {
        const before = values[name];
        values[name] = [...(Array.isArray(before) ? before : []), value ?? ""];
      } else values[name] = value ?? true;
    });
  }
  return values;
}

export function longName(flags: string): string {
  const m = /--([a-z0-9][a-z0-9-]*)/i.exec(flags);
  if (!m?.[1]) throw new Error(`option "${flags}" has no long name`);
  return m[1];
}

/** commander's attribute for a long name: "no-print" → "print", "mqtt-url" → "mqttUrl". */
function attributeOf(name: string): string {
  return name.replace(/^no-/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function section(title: string, lines: readonly string[]): string {
  return `\n${title}:\n${lines.map((l) => `  ${l}`).join("\n")}`;
}

/** "cardterm journal verify": the words from the tool's name to this command. */
export function commandPath(command: Command): string {
  const words: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) words.unshift(c.name());
  return words.join(" ");
}
