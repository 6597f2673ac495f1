/**
 * A strict reader of the Prometheus text exposition format 0.0.4, written from the
 * format's description (https://prometheus.io/docs/instrumenting/exposition_formats/)
 * independently of the agent's writer, so a test of the writer is not the writer
 * agreeing with itself. Anything a scraper could misread throws: a sample before its
 * family's HELP and TYPE, a family split in two, a bad name, an unknown escape, a
 * duplicate series, a value that is not a float.
 */

export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  help: string;
  type: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  let current: string | null = null;
  let pendingHelp: { name: string; help: string } | null = null;
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, i) => {
      const where = `line ${i + 1}: ${JSON.stringify(line)}`;
      const help = /^# HELP (\S+) (.*)$/.exec(line);
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (help) {
        const name = help[1]!;
        if (!NAME.test(name) || families.has(name)) throw new Error(`${where}: bad or repeated HELP`);
        pendingHelp = { name, help: unescapeHelp(help[2]!, where) };
      } else if (type) {
        const [, name, kind] = type as unknown as [string, string, string];
        if (pendingHelp?.name !== name) throw new Error(`${where}: TYPE without its HELP just before`);
        if (!TYPES.has(kind)) throw new Error(`${where}: unknown type`);
        families.set(name, { help: pendingHelp.help, type: kind, samples: [] });
        current = name;
        pendingHelp = null;
      } else if (line.startsWith("#") || line === "") {
        throw new Error(`${where}: unexpected comment or blank line`);
      } else {
        const sample = parseSample(line, where);
        if (current === null || sample.name !== current) throw new Error(`${where}: sample outside its family`);
        const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
        if (seen.has(key)) throw new Error(`${where}: duplicate series`);
        seen.add(key);
        families.get(current)!.samples.push({ labels: sample.labels, value: sample.value });
      }
    });
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = families.get(name)?.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found && found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found?.[0]?.value;
}

function parseSample(line: string, where: string): { name: string; labels: Record<string, string>; value: number } {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line);
  if (!m) throw new Error(`${where}: not a sample line`);
  return { name: m[1]!, labels: m[2] ? parseLabels(m[2], where) : {}, value: parseValue(m[3]!, where) };
}

function parseLabels(block: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1;
  while (block[i] !== "}") {
    const eq = block.indexOf("=", i);
    const name = block.slice(i, eq);
    if (eq < 0 || !LABEL.test(name) || name in labels) throw new Error(`${where}: bad label name "${name}"`);
    if (block[eq + 1] !== '"') throw new Error(`${where}: label value must be quoted`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = block[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === "\n") throw new Error(`${where}: raw line feed in a label value`);
      if (c === "\\") {
        const next = block[j + 1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else throw new Error(`${where}: unknown escape \\${next}`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (block[i] === ",") i += 1;
    else if (block[i] !== "}") throw new Error(`${where}: expected , or } after a label`);
  }
  if (i !== block.length - 1) throw new Error(`${where}: text after the labels`);
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: "${text}" is not a value`);
  return Number(text);
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`${where}: unknown escape in HELP`);
  });
}
