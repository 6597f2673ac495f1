/**
 * The config format this agent writes and reads, and the steps that bring older files up
 * to it. To change the format: add config/migrations/vN-to-vN+1.ts exporting a
 * ConfigMigration, append it here, raise CONFIG_VERSION, update the schema and the
 * examples, and add a fixture of the old format to test/config/migrations.test.ts.
 *
 * There is one format so far, so there are no steps: a file says `version: 1` or nothing.
 */
import type { ConfigMigration } from "./migration.js";

export type { ConfigMigration } from "./migration.js";
export { latestVersion, migrateDocument, readVersion } from "./migration.js";

/** The newest format this agent reads; files of a newer one are refused (CT_CONFIG_VERSION). */
export const CONFIG_VERSION = 1;

export const CONFIG_MIGRATIONS: readonly ConfigMigration[] = [];
