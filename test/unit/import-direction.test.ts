/**
 * Which part may import which (docs/architecture.md, "The parts"): every .ts file's
 * imports — static, dynamic, `import type`, `export … from` — read with TypeScript's own
 * scanner (comments and strings are not imports), checked against RULES. A failure names
 * the file, the import as written and the rule it breaks.
 *
 * A new rule is one line of RULES. An import is named by where it lands: a project file
 * ("server/hq-server.ts") or a package ("pg", "node:fs").
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative } from "node:path";
import t from "tap";
import ts from "typescript";

interface Rule {
  /** Files under these folders (or exactly these files) are checked. */
  from: readonly string[];
  /** They never import these: project folders ("server/"), files ("rules/money.ts") or packages ("pg"). */
  never?: readonly string[];
  /** Of the project, they import only these (packages are not limited by it). */
  only?: readonly string[];
  why: string;
}

export const RULES: readonly Rule[] = [
  { from: ["agent/"], never: ["server/", "demo/"], why: "the till's binary must not link head office or the demo" },
  { from: ["server/"], never: ["agent/", "demo/"], why: "head office does not run till code" },
  {
    from: ["rules/", "protocol/"],
    only: ["rules/", "protocol/", "lib/"],
    why: "rules and wire formats are shared and pure",
  },
  { from: ["lib/"], only: ["lib/"], why: "lib/ is the infrastructure below everything" },
  {
    from: ["drivers/"],
    never: ["config/", "rules/money.ts"],
    why: "drivers declare their options; agent/ maps config",
  },
];

/** What one file imports, by where each lands (project files relative to the root, with .ts). */
export function importsOf(file: string, text: string): { written: string; lands: string }[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: written }) => {
    if (!written.startsWith(".")) return { written, lands: written };
    const lands = posix.normalize(posix.join(posix.dirname(file), written)).replace(/\.(m?)js$/, ".$1ts");
    return { written, lands };
  });
}

function matches(target: string, pattern: string): boolean {
  if (pattern.endsWith("/")) return target.startsWith(pattern);
  return target === pattern || target.replace(/\.ts$/, "") === pattern || target.startsWith(`${pattern}/`);
}

const isProjectFile = (target: string) => /\.m?ts$/.test(target) && !target.startsWith("..");

/** Every import of `files` (path relative to the root → its text) that breaks a rule, as a sentence. */
export function violations(files: ReadonlyMap<string, string>, rules: readonly Rule[]): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    const applying = rules.filter((r) => r.from.some((f) => matches(file, f)));
    if (applying.length === 0) continue;
    for (const { written, lands } of importsOf(file, text))
      for (const rule of applying) {
        const banned = rule.never?.find((p) => matches(lands, p));
        const outside = rule.only && isProjectFile(lands) && !rule.only.some((p) => matches(lands, p));
        if (banned || outside)
          found.push(
            `${file} imports "${written}" (${lands}): ${rule.from.join(", ")} ` +
              (banned ? `never import ${banned}` : `import only ${rule.only?.join(", ")} of the project`) +
              ` (${rule.why})`,
          );
      }
  }
  return found;
}

const ROOT = join(import.meta.dirname, "../..");
const SKIP = new Set(["node_modules", "dist", "dist-deb", "test-artifacts", "var", "coverage"]);

function sourceFiles(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
      out.set(relative(ROOT, path).split("\\").join("/"), readFileSync(path, "utf8"));
  }
  return out;
}

t.test("the repository keeps every rule", async (t) => {
  const files = sourceFiles(ROOT);
  for (const folder of ["agent/", "server/", "rules/", "protocol/", "lib/", "demo/", "drivers/"])
    t.ok(
      [...files.keys()].some((f) => f.startsWith(folder)),
      `${folder} has .ts files (a rule about it checks something)`,
    );
  t.same(violations(files, RULES), [], `${files.size} files, ${RULES.length} rules`);
});

t.test("a broken rule is named: the file, the import as written, the rule", async (t) => {
  const fake = new Map([
    ["agent/cli/tool.ts", 'import type { HqServer } from "../../server/hq-server.js";\n'],
    ["agent/cli/later.ts", 'export async function f() {\n  return import("../../demo/run-demo.js");\n}\n'],
    ["agent/cli/again.ts", 'export { startHqServer } from "../../server/hq-server.js";\n'],
    [
      "agent/cli/fine.ts",
      '// import "../../server/hq-server.js" in a comment\nconst s = "import(\\"../../server/x.js\\")";\n',
    ],
    [
      "protocol/message.ts",
      'import { startAgent } from "../agent/agent.js";\nimport { money } from "../rules/money.js";\n',
    ],
    ["rules/pricing.ts", 'import { Backoff } from "../lib/backoff.js";\nimport Ajv from "ajv";\n'],
    ["lib/table.ts", 'import { Fen } from "../rules/money.js";\n'],
    ["server/hq-server.ts", 'import { money } from "../rules/money.js";\n'],
  ]);
  const found = violations(fake, RULES);
  t.same(
    found.map((v) => v.split(":")[0]),
    [
      'agent/cli/tool.ts imports "../../server/hq-server.js" (server/hq-server.ts)',
      'agent/cli/later.ts imports "../../demo/run-demo.js" (demo/run-demo.ts)',
      'agent/cli/again.ts imports "../../server/hq-server.js" (server/hq-server.ts)',
      'protocol/message.ts imports "../agent/agent.js" (agent/agent.ts)',
      'lib/table.ts imports "../rules/money.js" (rules/money.ts)',
    ],
    "type, dynamic and re-export imports count; comments, strings and allowed imports do not",
  );
  t.match(found[0], /agent\/ never import server\/ \(the till's binary must not link head office/);
  t.match(found[3], /import only rules\/, protocol\/, lib\/ of the project/);
  t.same(violations(fake, [{ from: ["drivers/"], never: ["rules/money.ts"], why: "x" }]), []);
  t.equal(
    violations(new Map([["drivers/a.ts", 'import "../rules/money.js";\n']]), [
      { from: ["drivers/"], never: ["rules/money"], why: "x" },
    ]).length,
    1,
    "a file named with or without .ts",
  );
});
