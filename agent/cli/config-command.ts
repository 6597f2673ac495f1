/**
 * `cardterm config …`: the technician's checks on a config file.
 *
 *   cardterm config check FILE [--elsewhere]   every problem at once, each with file:line:column and key
 *   cardterm config schema                     the JSON Schema, for editor completion
 *   cardterm config migrate FILE [--dry-run]   rewrite an older format, keeping FILE.bak-vN
 *
 * check reads the secrets and files the config names and looks for its device paths, as
 * the agent would on this box. --elsewhere is for a copy checked on another computer:
 * secrets, key/PEM/logo files and device paths are not looked at, everything else is.
 *
 * Exit codes: 0 fine; 1 the file is valid but a device path is missing here; 2 the file
 * is invalid (the agent would refuse to start).
 */
import { readFile } from "node:fs/promises";
import { describeSteps } from "../../config/config-version.js";
import { devicePathProblems } from "../../config/device-checks.js";
import { examineConfigText } from "../../config/load-config.js";
import { CONFIG_MIGRATIONS, type ConfigMigration } from "../../config/migrations/index.js";
import { migrateConfigFile } from "../../config/migrations/migrate-file.js";
import { byPosition, formatProblems, onePerPath } from "../../config/problems.js";
import { configJsonSchema } from "../../config/schema.js";
import type { CommandSpec } from "../../lib/cli/command-spec.js";
import { runSome } from "../../lib/cli/run-cli.js";
import { CardtermError } from "../../protocol/errors.js";

export interface ConfigCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The migration chain; tests give their own. */
  steps?: readonly ConfigMigration[];
}

const CONSOLE: ConfigCommandIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

function configSpecs(io: ConfigCommandIo): CommandSpec[] {
  return [
    {
      path: "config check",
      summary: "check a config file: every problem with file:line and the fix",
      args: ["<file>"],
      options: [
        {
          flags: "--elsewhere",
          help: "checked off the till: skip secrets, key/PEM/logo files and device paths",
        },
      ],
      examples: [
        "cardterm config check /etc/cardterm/cardterm.yaml",
        "cardterm config check --elsewhere store-12.yaml   # on a laptop, before copying it to the till",
      ],
      run: ({ args, values }) => check(args[0] as string, values.elsewhere === true, io),
    },
    {
      path: "config schema",
      summary: "print the config's JSON Schema (for editor completion)",
      examples: ["cardterm config schema > cardterm.schema.json"],
      run: () => {
        io.out(JSON.stringify(configJsonSchema, null, 2));
        return 0;
      },
    },
    {
      path: "config migrate",
      summary: "update an older config format; the original is kept as FILE.bak-vN",
      args: ["<file>"],
      options: [{ flags: "--dry-run", help: "print the migrated config instead of writing it" }],
      examples: ["cardterm config migrate --dry-run /etc/cardterm/cardterm.yaml"],
      run: ({ args, values }) => migrate(args[0] as string, values["dry-run"] === true, io),
    },
  ];
}

export const CONFIG_COMMANDS: readonly CommandSpec[] = configSpecs(CONSOLE);

/** `cardterm config …` from an argument list (tests call this). */
export function configCommand(args: string[], io: ConfigCommandIo = CONSOLE): Promise<number> {
  return runSome("cardterm", configSpecs(io), ["config", ...args], io);
}

async function check(file: string, elsewhere: boolean, io: ConfigCommandIo): Promise<number> {
  const text = await readConfig(file);
  const warnings: string[] = [];
  const r = examineConfigText(text, file, {
    lookups: !elsewhere,
    onWarning: (w) => warnings.push(w),
    ...(io.env ? { env: io.env } : {}),
    ...(io.steps ? { migrations: io.steps } : {}),
  });
  for (const w of warnings) io.err(`warning: ${w}`);
  const devices = elsewhere ? [] : devicePathProblems(r.data, r.src);
  const all = onePerPath([...r.problems, ...devices]).sort(byPosition);
  if (r.problems.length > 0) {
    const n = all.length;
    io.err(
      `CT_CONFIG_INVALID: ${file} has ${n} problem${n === 1 ? "" : "s"}; the agent would not start:\n${formatProblems(all)}`,
    );
    return 2;
  }
  if (devices.length > 0) {
    io.err(`${file}: the config is valid, but devices are missing on this box:\n${formatProblems(devices)}`);
    return 1;
  }
  const skipped = elsewhere ? " (secrets, files and devices not checked: --elsewhere)" : "";
  io.out(`${file}: OK — ${summary(r.data)}${skipped}`);
  return 0;
}

/** "terminal T001, 2 readers, printer network" from the (valid) YAML data. */
function summary(data: unknown): string {
  const d = data as { terminal: { id: string }; readers?: unknown[]; printer?: { type: string } };
  const readers = d.readers?.length ?? 1;
  return `terminal ${d.terminal.id}, ${readers} reader${readers === 1 ? "" : "s"}, printer ${d.printer?.type ?? "none"}`;
}

async function migrate(file: string, dryRun: boolean, io: ConfigCommandIo): Promise<number> {
  await readConfig(file); // the same CT_CONFIG_NOT_FOUND message as check
  const r = await migrateConfigFile(file, { steps: io.steps ?? CONFIG_MIGRATIONS, dryRun });
  if (r.applied.length === 0) {
    io.out(`${file} is already config format version ${r.to}; nothing to do.`);
    return 0;
  }
  if (dryRun) {
    io.out(r.text);
    io.err(`(dry run) ${file} would go from version ${r.from} to ${r.to}: ${describeSteps(r.applied)}`);
    return 0;
  }
  io.out(
    `${file}: version ${r.from} → ${r.to} (${describeSteps(r.applied)}); the original is kept as ${r.backup}.\n` +
      `Comments are kept; blank lines and indentation may have moved. Check it: cardterm config check ${file}`,
  );
  return 0;
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException)?.code === "ENOENT" ? "no such file" : (err as Error).message;
    const problem = { file, line: 1, column: 1, path: "", message: `cannot read ${file}: ${why}` };
    throw new CardtermError("CT_CONFIG_NOT_FOUND", `cannot read the configuration file ${file}: ${why}`, {
      cause: err,
      details: { file, problems: [problem] },
    });
  }
}
