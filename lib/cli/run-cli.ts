/**
 * Parse, run, and turn whatever went wrong into what a technician can act on, with an
 * exit status scripts can rely on:
 *
 *   0  done (also --help and --version)
 *   2  the command was called wrongly: one line saying what, then that command's usage
 *   1  or the tool's own choice (explain): the run failed; its code and message
 *
 * Never a stack trace on the terminal: an error nobody foresaw prints its code, one line
 * and the file the whole error was written to (crashLog), for the support ticket.
 */
import { type Command, CommanderError } from "commander";
import { buildProgram, type Chosen, commandPath, type ProgramOutput } from "./build-program.js";
import { type CliSpec, type CommandSpec, isUsageError, type ParsedInput, UsageError } from "./command-spec.js";

export interface CliIo extends ProgramOutput {
  /** Keeps the full text of an unforeseen error; returns where it went (or undefined if it could not). */
  crashLog: (text: string) => string | undefined;
}

/** A known failure: the line to show and the exit status. */
export interface Explained {
  message: string;
  exitCode: number;
}

export type Explain = (err: unknown) => Explained | undefined;

export async function runCli(cli: CliSpec, argv: readonly string[], io: CliIo, explain: Explain): Promise<number> {
  const parsed = await parse(cli, argv, io);
  if (typeof parsed === "number") return parsed;
  return runChosen(parsed.spec, parsed.command, parsed.input, io, explain);
}

/**
 * Some commands of a table from their handler's own entry point (`closeCommand(args, out)`,
 * which tests call), each with its run bound to the caller's output: parsed and refused
 * exactly as by the tool, but an error of the run is the caller's to see (thrown).
 */
export async function runSome(
  toolName: string,
  commands: readonly CommandSpec[],
  argv: readonly string[],
  io: ProgramOutput,
): Promise<number> {
  const cli: CliSpec = { name: toolName, version: "", summary: "", groups: [], commands };
  const parsed = await parse(cli, argv, io);
  if (typeof parsed === "number") return parsed;
  try {
    return (await parsed.spec.run(parsed.input)) ?? 0;
  } catch (err) {
    if (isUsageError(err)) return usageExit(err.message, parsed.command, io);
    throw err;
  }
}

/** The command and input the argv asks for, or the exit status of a parse that ended (help, a mistake). */
async function parse(cli: CliSpec, argv: readonly string[], io: ProgramOutput): Promise<Chosen | number> {
  const built = buildProgram(cli, io);
  let failedAt: Command = built.program;
  for (const command of everyCommand(built.program)) {
    command.exitOverride((err) => {
      failedAt = command;
      throw err;
    });
    if (command.commands.length > 0)
      requireSubcommand(command, () => {
        failedAt = command;
      });
  }
  try {
    await built.program.parseAsync([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, failedAt, io);
    // A check of the chosen command's own (a required option), or a group without its command.
    if (isUsageError(err)) return usageExit(err.message, built.chosen()?.command ?? failedAt, io);
    throw err;
  }
  return built.chosen() ?? 0;
}

/** One command's run with the same reporting; also what the handlers' own entry points use. */
export async function runChosen(
  spec: CommandSpec,
  command: Command,
  input: ParsedInput,
  io: CliIo,
  explain: Explain,
): Promise<number> {
  try {
    return (await spec.run(input)) ?? 0;
  } catch (err) {
    if (isUsageError(err)) return usageExit(err.message, command, io);
    const known = explain(err);
    if (known) {
      io.err(known.message);
      return known.exitCode;
    }
    return crashExit(err, command, io);
  }
}

function commanderExit(err: CommanderError, at: Command, io: ProgramOutput): number {
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
  // The tool alone: commander has written the whole help to stderr; nothing was asked.
  if (err.code === "commander.help") return 2;
  return usageExit(err.message.replace(/^error: /, ""), at, io);
}

/** One line, then the usage and options of the command that was called wrongly. */
export function usageExit(message: string, at: Command, io: ProgramOutput): number {
  const path = commandPath(at);
  io.err(`${path}: ${message}\n\n${at.helpInformation().trimEnd()}\n\n(${path} --help also shows examples)`);
  return 2;
}

function crashExit(err: unknown, at: Command, io: CliIo): number {
  const e = err as { code?: unknown; name?: string; message?: string; stack?: string } | undefined;
  const code = typeof e?.code === "string" ? e.code : (e?.name ?? "Error");
  const line = String(e?.message ?? err).split("\n", 1)[0];
  const where = io.crashLog(`${commandPath(at)}: ${e?.stack ?? String(err)}\n`);
  io.err(`${commandPath(at)}: unexpected error ${code}: ${line}${where ? `\n  the whole error is in ${where}` : ""}`);
  return 1;
}

/**
 * A group called without one of its commands ("cardterm journal") or with a word that is
 * none of them: one line naming the choices, exit 2 (commander alone would print the help
 * with status 1, or take the word for an argument).
 */
function requireSubcommand(group: Command, mark: () => void): void {
  if (group.parent === null) return; // the tool alone prints its help (below)
  group
    .usage("<command> [options]")
    .argument("[command]")
    .action((word: string | undefined) => {
      const names = group.commands.map((c) => c.name()).filter((n) => n !== "help");
      const choices = names.join(", ");
      mark();
      throw new UsageError(
        word === undefined ? `needs a command: ${choices}` : `unknown command '${word}'; one of: ${choices}`,
      );
    });
}

function* everyCommand(root: Command): Generator<Command> {
  yield root;
  for (const c of root.commands) yield* everyCommand(c);
}
