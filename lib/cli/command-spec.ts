/**
 * A command line as data: the command table that `cardterm` and `cardterm-hq` each
 * declare once (agent/cli/agent-commands.ts, server/cli/hq-commands.ts). Help, usage
 * errors, `--version`, bash completion and the test that walks every command are all
 * derived from it (build-program.ts, bash-completion.ts, test/unit/cli-walk.test.ts), so
 * a command cannot exist without its help, and its help cannot describe flags it lacks.
 *
 * It sits in lib/ because both tools share it and lib/ is what both may import
 * (docs/architecture.md#what-may-import-what); it does no I/O itself: the bin files give it
 * their output and exit.
 */

/** One flag. `flags` is commander's syntax: "-c, --config <file>", "--json", "--terminal <id>". */
export interface OptionSpec {
  flags: string;
  help: string;
  /** The flag may be given again; the values arrive as an array. */
  multiple?: boolean;
  /** The command refuses to run without it (one line + usage, exit 2). */
  required?: boolean;
  /** Only these values are accepted. */
  choices?: readonly string[];
  /** Not together with these (long names without the dashes). */
  conflicts?: readonly string[];
}

/** What a command's run receives: options by long name ("mqtt-url", "no-print"), then its arguments. */
export interface ParsedInput {
  values: Record<string, string | boolean | string[] | undefined>;
  args: string[];
}

export interface CommandSpec {
  /** Words from the tool's name: "run", "journal verify", "card package grant". */
  path: string;
  /** One line, shown in the parent's list and at the top of its own help. */
  summary: string;
  /** Arguments in commander's syntax: "<file>", "[txnId]", "<ids...>". */
  args?: readonly string[];
  options?: readonly OptionSpec[];
  /** Shown by --help (not after a usage error): whole command lines, with a comment if needed. */
  examples?: readonly string[];
  /** Environment variables the command reads, each "NAME  what it is". */
  env?: readonly string[];
  /** Run when the parent group is given an argument that is not one of its commands. */
  isDefault?: boolean;
  /** The exit status; void means 0. */
  run: (input: ParsedInput) => Promise<number | undefined> | number | undefined;
}

/** A word that only groups commands ("journal", "card package"): no run of its own. */
export interface GroupSpec {
  path: string;
  summary: string;
}

export interface CliSpec {
  name: string;
  version: string;
  summary: string;
  groups: readonly GroupSpec[];
  commands: readonly CommandSpec[];
  /** Environment read by every command, shown in the top-level help. */
  env?: readonly string[];
  /** Lines after the top-level help (where the docs are, how to get one command's help). */
  footer?: string;
}

/**
 * A mistake in how the command was called (not in the data): reported as one line with
 * the command's usage, exit status 2. Throw it from a run for checks the table cannot
 * express ("--day is not a date").
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError;
}

/** A flag's text value, when given. */
export function textOf(input: ParsedInput, name: string): string | undefined {
  const v = input.values[name];
  return typeof v === "string" ? v : undefined;
}

/** Whether a boolean flag was given. */
export function flagOf(input: ParsedInput, name: string): boolean {
  return input.values[name] === true;
}
