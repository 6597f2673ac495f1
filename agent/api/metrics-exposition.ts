/**
 * Prometheus metrics in the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), written here rather
 * than pulled in as a dependency: the agent needs counters, gauges and one text
 * renderer, about a hundred lines.
 *
 * Counters are incremented where the thing happens (a decision, a till operation, a
 * reload); gauges are read from the running agent at each scrape. Each family is printed
 * as `# HELP`, `# TYPE` and its samples, label values escaped (\\, \", \n) so a reason
 * or a device id can never break a line.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels?: Labels;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples(): Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(private readonly labelNames: readonly string[]) {}

  /** Add `by` (default 1) to the series with these labels; every declared label must be given. */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`a counter only goes up (got ${by})`);
    const key = this.key(labels);
    const series = this.values.get(key);
    if (series) series.value += by;
    else this.values.set(key, { labels: { ...labels }, value: by });
  }

  /** Make a series exist at 0, so rate() and alerts see it before its first event. */
  declare(labels: Labels = {}): void {
    const key = this.key(labels);
    if (!this.values.has(key)) this.values.set(key, { labels: { ...labels }, value: 0 });
  }

  get(labels: Labels = {}): number {
    return this.values.get(this.key(labels))?.value ?? 0;
  }

  samples(): Sample[] {
    return [...this.values.values()].map((s) => ({ labels: s.labels, value: s.value }));
  }

  private key(labels: Labels): string {
    const given = Object.keys(labels).sort();
    const wanted = [...this.labelNames].sort();
    if (given.join(",") !== wanted.join(",")) {
      throw new Error(`labels ${given.join(",") || "(none)"} given, ${wanted.join(",") || "(none)"} declared`);
    }
    return JSON.stringify(wanted.map((n) => labels[n]));
  }
}

export class MetricsRegistry {
  private readonly families: Family[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    for (const l of labelNames) checkLabelName(l);
    const counter = new Counter(labelNames);
    this.add({ name, help, type: "counter", samples: () => counter.samples() });
    return counter;
  }

  /** A gauge read at each scrape: one number, or samples with labels (none: the family prints no sample). */
  gauge(name: string, help: string, read: () => number | Sample[]): void {
    this.add({
      name,
      help,
      type: "gauge",
      samples: () => {
        const v = read();
        return typeof v === "number" ? [{ value: v }] : v;
      },
    });
  }

  render(): string {
    return this.families.map(renderFamily).join("");
  }

  private add(family: Family): void {
    if (!METRIC_NAME.test(family.name)) throw new Error(`"${family.name}" is not a valid metric name`);
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.push(family);
  }
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples()) lines.push(`${f.name}${renderLabels(s.labels)} ${renderValue(s.value)}`);
  return `${lines.join("\n")}\n`;
}

function renderLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return "";
  for (const [name] of entries) checkLabelName(name);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

export function renderValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`"${name}" is not a valid label name`);
}
