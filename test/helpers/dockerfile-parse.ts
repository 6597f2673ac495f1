/**
 * A Dockerfile as a list of stages and instructions: enough for test/packaging/dockerfile.test.ts
 * to check the image's recipe against the repository without a container engine (there is
 * none on the test machines, and hadolint is not packaged for Debian).
 *
 * Handles what the Dockerfile reference calls the basics: `#` comment lines, `\` line
 * continuations, `FROM image [AS name]`, `COPY [--from=stage] src... dest` (shell or JSON
 * form), and RUN/CMD/ENTRYPOINT with shell or JSON arguments. Heredocs and parser
 * directives are not used by this project and are refused rather than misread.
 */

export interface Instruction {
  /** upper-case keyword: FROM, RUN, COPY… */
  keyword: string;
  /** the text after the keyword, continuations joined */
  text: string;
  /** the 1-based line the instruction starts on */
  line: number;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(source: string): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions(source)) {
    if (ins.keyword === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.text);
      if (!m?.[1]) throw new Error(`line ${ins.line}: FROM ${ins.text} is not "image [AS name]"`);
      stages.push({ image: m[1], name: m[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${ins.line}: ${ins.keyword} before any FROM`);
    stage.instructions.push(ins);
  }
  return stages;
}

function instructions(source: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i] ?? "";
    if (/^\s*(#|$)/.test(text)) continue;
    const start = i + 1;
    while (text.endsWith("\\") && i + 1 < lines.length) {
      text = text.slice(0, -1);
      i++;
      const next = lines[i] ?? "";
      if (!/^\s*#/.test(next)) text += ` ${next.trim()}`;
    }
    if (text.includes("<<")) throw new Error(`line ${start}: heredocs are not understood by this parser`);
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(text);
    if (!m?.[1]) throw new Error(`line ${start}: not an instruction: ${text}`);
    out.push({ keyword: m[1].toUpperCase(), text: (m[2] ?? "").trim(), line: start });
  }
  return out;
}

/** COPY's flags, sources and destination. */
export function copyArgs(text: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = text.startsWith("[") ? (JSON.parse(text) as string[]) : text.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const rest = words.filter((w) => !w.startsWith("--"));
  const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
  const dest = rest.pop();
  if (!dest || rest.length === 0) throw new Error(`COPY ${text}: needs a source and a destination`);
  return { from, sources: rest, dest };
}

/** The packages of every `apt-get install` in a RUN's text. */
export function aptPackages(run: string): string[] {
  return run
    .split(/&&|;/)
    .map((cmd) => cmd.trim())
    .filter((cmd) => /^apt-get\s+(.*\s)?install\s/.test(cmd))
    .flatMap((cmd) => cmd.replace(/^apt-get\s+/, "").split(/\s+/))
    .filter((w) => w !== "install" && !w.startsWith("-"));
}

/** The npm commands of a RUN's text ("ci", "run build", "prune --omit=dev"). */
export function npmCommands(run: string): string[] {
  return run
    .split(/&&|;/)
    .map((cmd) => cmd.trim())
    .filter((cmd) => cmd.startsWith("npm "))
    .map((cmd) => cmd.slice(4).trim());
}

/** A CMD or ENTRYPOINT's words (JSON form, as this project writes them). */
export function execWords(text: string): string[] {
  if (!text.startsWith("[")) throw new Error(`${text}: use the JSON form, so signals reach the agent`);
  return JSON.parse(text) as string[];
}
