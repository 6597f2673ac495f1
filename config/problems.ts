/**
 * One problem in a config file, and the banner that lists them.
 *
 * A technician fixes a config on a box with a text editor and no one to ask, so every
 * problem names the file, the line, the key and what would be right: a technician must
 * never see an error that does not say which file, line and key (docs/architecture.md#the-domain).
 */

export interface ConfigProblem {
  /** The config file as it was named to the loader. */
  file: string;
  /** 1-based line and column of the offending key or value (the parent's, for a missing key). */
  line: number;
  column: number;
  /** Where in the config, e.g. "readers[1].baudRate"; "" for the file as a whole. */
  path: string;
  /** A complete sentence fragment: what is wrong and what is expected. */
  message: string;
  /** What is expected there, for tools (the message already says it in words). */
  expected?: string;
  /** YAML text that could replace the offending key or value, e.g. `"mqttUrl"` or `9600`. */
  suggestion?: string;
}

/** A path inside the config: map keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** ["readers", 1, "baudRate"] → "readers[1].baudRate". */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** One line per problem, `file:line:col  path — message; did you mean …?`, locations aligned. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const locations = problems.map((p) => `${p.file}:${p.line}:${p.column}`);
  const width = Math.max(0, ...locations.map((l) => l.length));
  return problems
    .map((p, i) => {
      const where = p.path === "" ? "" : `${p.path} — `;
      const hint = p.suggestion === undefined ? "" : `; did you mean ${p.suggestion}?`;
      return `${locations[i]!.padEnd(width)}  ${where}${p.message}${hint}`;
    })
    .join("\n");
}

/** Sort by position so the banner reads top to bottom like the file. */
export function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return a.line - b.line || a.column - b.column || a.path.localeCompare(b.path);
}

/** Keep one problem per path (the first); a wrong type makes the other complaints noise. */
export function onePerPath(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}\u0000${p.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions):
 * "brokr" → "broker" is 1, "mqttUlr" → "mqttUrl" is 1.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** "mqtt_url", "MQTT-URL" and "mqttUrl" are the same word to a technician. */
function normalise(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * The candidate nearest to `word`, or undefined when none is close enough to be a typo
 * (at most one edit in four characters, and at least one). `aliases` maps words people
 * reach for ("broker") to the key that means it ("mqttUrl").
 */
export function nearest(
  word: string,
  candidates: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const target = normalise(word);
  const pool: [string, string][] = candidates.map((c) => [normalise(c), c]);
  for (const [alias, key] of Object.entries(aliases)) if (candidates.includes(key)) pool.push([normalise(alias), key]);
  let best: { key: string; distance: number } | undefined;
  for (const [form, key] of pool) {
    const distance = editDistance(target, form);
    if (!best || distance < best.distance) best = { key, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(1, Math.floor(target.length / 4));
  if (best.distance <= allowed) return best.key;
  // A word cut short ("serial" for "serial-id") is a slip too, when only one key starts so.
  const starts = new Set(pool.filter(([form]) => target.length >= 4 && form.startsWith(target)).map(([, key]) => key));
  return starts.size === 1 ? [...starts][0] : undefined;
}

/** How a value reads in a message: `the string "9600x"`, `the number 0.5`, `a list`. */
export function describe(value: unknown, source?: string): string {
  if (value === null || value === undefined) return "an empty value";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return `the number ${source ?? String(value)}`;
  if (typeof value === "boolean") return `${value}`;
  if (Array.isArray(value)) return "a list";
  return "a mapping";
}
