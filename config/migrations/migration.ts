/**
 * Config format versions and the steps between them (like Zigbee2MQTT, which migrates
 * old settings step by step with a backup). A step is a pure function of the YAML
 * document: it gets a copy made with the yaml package's Document API, so the technician's
 * comments stay, and nodes it does not touch keep their source positions — errors in a
 * file converted in memory still point at the lines the technician wrote.
 *
 * A step changes only shapes it recognises and leaves anything else for the schema to
 * report: it never fails on a file that is wrong in some other way.
 */
import { type Document, isMap, isScalar, Pair, Scalar } from "yaml";

export interface ConfigMigration {
  from: number;
  /** Always from + 1: versions are never skipped, so every step is tested on its own. */
  to: number;
  /** What changed, for the technician: shown by `cardterm config migrate` and the load warning. */
  summary: string;
  /** Changes `doc` (a private copy) from version `from` to `to`; `version` itself is set by the caller. */
  apply(doc: Document): void;
}

export type VersionRead = { ok: true; version: number; explicit: boolean } | { ok: false; message: string };

/** The version a chain of steps ends at; 1 when there are none. */
export function latestVersion(steps: readonly ConfigMigration[]): number {
  return steps.at(-1)?.to ?? 1;
}

/** Steps must run 1→2→3… with no gap: a programming error otherwise, caught by the tests. */
export function assertChain(steps: readonly ConfigMigration[]): void {
  steps.forEach((s, i) => {
    if (s.from !== i + 1 || s.to !== s.from + 1) {
      throw new Error(`config migration ${i} goes ${s.from}→${s.to}; expected ${i + 1}→${i + 2}`);
    }
  });
}

/** `version:` as written: absent means 1 (the first format had it optional). */
export function readVersion(doc: Document): VersionRead {
  if (!isMap(doc.contents) || !doc.has("version")) return { ok: true, version: 1, explicit: false };
  const node = doc.get("version", true);
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return { ok: false, message: "expected the config format version, a whole number such as 1 (no quotes)" };
  }
  if (value < 1) return { ok: false, message: `${value} is not a config format version; versions start at 1` };
  return { ok: true, version: value, explicit: true };
}

export interface Migrated {
  doc: Document;
  from: number;
  to: number;
  applied: readonly ConfigMigration[];
}

/** A copy of `doc` converted from version `from` to the last step's; `doc` is not changed. */
export function migrateDocument(doc: Document, from: number, steps: readonly ConfigMigration[]): Migrated {
  assertChain(steps);
  const copy = doc.clone();
  const applied = steps.filter((s) => s.from >= from);
  for (const step of applied) {
    step.apply(copy);
    setVersion(copy, step.to);
  }
  return { doc: copy, from, to: applied.at(-1)?.to ?? from, applied };
}

/** Change `version:` where it is (its comment kept), or add it as the first key. */
function setVersion(doc: Document, version: number): void {
  if (!isMap(doc.contents)) return;
  const node = doc.get("version", true);
  if (isScalar(node)) {
    node.value = version;
    return;
  }
  const pair = new Pair(new Scalar("version"), new Scalar(version));
  doc.contents.items.unshift(pair);
}
