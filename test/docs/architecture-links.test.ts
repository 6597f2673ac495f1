/**
 * docs/architecture.md stays true to the tree: every file and folder it names exists, and
 * every `docs/<file>.md#section` a comment or document points at is a heading of that file.
 * The doc describes the code as it is; a renamed file or section fails here, not in a
 * newcomer's hands.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import t from "tap";

const REPO = join(import.meta.dirname, "../..");
const DOC = readFileSync(join(REPO, "docs/architecture.md"), "utf8");
const TOP = "(?:agent|drivers|config|rules|protocol|lib|server|demo|test|bench|scripts|deploy|docs)";

/** Paths the doc names: `agent/sale/decider.ts`, `agent/sale/`, docs/config.md, config/examples/demo.yaml. */
function namedPaths(text: string): string[] {
  const files = text.matchAll(new RegExp(`(?<![\\w./-])${TOP}/[\\w./-]*\\.(?:ts|mjs|js|sh|md|yaml)\\b`, "g"));
  const folders = text.matchAll(new RegExp("`(" + TOP + "/(?:[\\w.-]+/)*)`", "g"));
  return [...new Set([...[...files].map((m) => m[0]), ...[...folders].map((m) => m[1] ?? "")])];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? ""));
  return new Set(headings);
}

/** Every source and doc file of the repository, without node_modules, build output or test artefacts. */
function* repoFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(".") || ["node_modules", "dist", "var", "test-artifacts"].includes(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* repoFiles(path);
    else if (/\.(?:ts|mjs|js|md|sh|yaml)$/.test(name)) yield path;
  }
}

t.test("every file and folder docs/architecture.md names exists", async (t) => {
  const paths = namedPaths(DOC);
  t.ok(paths.length > 50, `the doc names the files it talks about (${paths.length} found)`);
  for (const path of paths) t.ok(existsSync(join(REPO, path)), `${path} exists`);
});

t.test("the path finder sees the forms the doc uses", async (t) => {
  t.same(namedPaths("see `agent/sale/decider.ts` and docs/config.md, in `agent/sale/`"), [
    "agent/sale/decider.ts",
    "docs/config.md",
    "agent/sale/",
  ]);
  t.same(namedPaths("a URL https://x.org/lib/y.js or docs/architecture.md#the-journal"), ["docs/architecture.md"]);
});

t.test("every docs/…md#section pointed at in the repository is a heading there", async (t) => {
  const anchors = new Map<string, Set<string>>();
  let links = 0;
  for (const file of repoFiles(REPO)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/docs\/([\w/-]+\.md)#([\w-]+)/g)) {
      const [doc, anchor] = [m[1] ?? "", m[2] ?? ""];
      const docPath = join(REPO, "docs", doc);
      if (!anchors.has(doc))
        anchors.set(doc, existsSync(docPath) ? anchorsOf(readFileSync(docPath, "utf8")) : new Set());
      links++;
      t.ok(anchors.get(doc)?.has(anchor), `${file.slice(REPO.length + 1)}: docs/${doc}#${anchor} is a heading`);
    }
  }
  t.ok(links > 0, `comments point at sections (${links} links)`);
});

t.test("headings become the anchors comments use", async (t) => {
  t.equal(anchorOf("The server's ingest"), "the-servers-ingest");
  t.equal(anchorOf("A sale, from tap to receipt"), "a-sale-from-tap-to-receipt");
  t.equal(anchorOf("Online: intent, ask, hold, commit"), "online-intent-ask-hold-commit");
});
