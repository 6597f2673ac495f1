/**
 * The `version:` of a config file, checked before anything else: a file of a newer format
 * is refused whole (its new keys would only read as typos), and a file of an older format
 * is converted in memory with a warning, so that an agent upgraded across a fleet keeps
 * every till selling; `cardterm config migrate FILE` then rewrites the file (with a backup).
 */
import { type ConfigMigration, latestVersion, migrateDocument, readVersion } from "./migrations/index.js";
import { refuse } from "./refuse.js";
import type { YamlSource } from "./yaml-source.js";

/** The file's format version; refuses one that is malformed or newer than `steps` reach. */
export function checkVersion(src: YamlSource, steps: readonly ConfigMigration[]): number {
  const read = readVersion(src.doc);
  if (!read.ok) refuse("CT_CONFIG_INVALID", src.file, [src.problem(["version"], read.message)]);
  const latest = latestVersion(steps);
  if (read.version > latest) {
    const message = `this file is config format version ${read.version}, but this agent reads versions up to ${latest}; install a newer agent, or use a config written for version ${latest}`;
    refuse("CT_CONFIG_VERSION", src.file, [{ ...src.problem(["version"], message), expected: `at most ${latest}` }]);
  }
  return read.version;
}

/** Swap src.doc for the current format; returns the warning to show, if the file was old. */
export function bringUpToDate(src: YamlSource, steps: readonly ConfigMigration[]): string | undefined {
  const version = checkVersion(src, steps);
  const latest = latestVersion(steps);
  if (version === latest) return undefined;
  const migrated = migrateDocument(src.doc, version, steps);
  src.doc = migrated.doc;
  return `${src.file} is config format version ${version}; it was converted to version ${latest} in memory (${describeSteps(migrated.applied)}). Run \`cardterm config migrate ${src.file}\` to update the file (a backup is kept).`;
}

export function describeSteps(steps: readonly ConfigMigration[]): string {
  return steps.map((s) => `v${s.from}→v${s.to}: ${s.summary}`).join("; ");
}
