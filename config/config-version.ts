/**
 * The `version:` of a config file, checked before anything else: a file of a newer format
 * is refused whole (its new keys would only read as typos), and a file of an older format
 * is converted in memory with a warning, so that an agent upgraded across a fleet keeps
 * every till selling; `cardterm config migrate FILE` then rewrites the file (with a backup).
 */
import { type ConfigMigration, latestVersion, migrateDocument, readVersion } from "./migrations/index.js";
import { refuse } from "./refuse.js";
import type { YamlSource } from "./yaml-source.js";

/** Swap src.doc for the current format; returns the warning to show, if the file was old. */
export function bringUpToDate(src: YamlSource, steps: readonly ConfigMigration[]): string | undefined {
  const read = readVersion(src.doc);
  if (!read.ok) refuse("CT_CONFIG_INVALID", src.file, [src.problem(["version"], read.message)]);
  const latest = latestVersion(steps);
  if (read.version > latest) {
    const message = `this file is config format version ${read.version}, but this agent reads versions up to ${latest}; install a newer agent, or use a config written for version ${latest}`;
    refuse("CT_CONFIG_VERSION", src.file, [{ ...src.problem(["version"], message), expected: `at most ${latest}` }]);
  }
  if (read.version === latest) return undefined;
  const migrated = migrateDocument(src.doc, read.version, steps);
  src.doc = migrated.doc;
  const changes = migrated.applied.map((s) => `v${s.from}→v${s.to}: ${s.summary}`).join("; ");
  return `${src.file} is config format version ${read.version}; it was converted to version ${latest} in memory (${changes}). Run \`cardterm config migrate ${src.file}\` to update the file (a backup is kept).`;
}
