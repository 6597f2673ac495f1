/**
 * The YAML text of a config, parsed with positions kept, so that every problem found in
 * the plain data can be pointed back at a line and column of what the technician wrote.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { byPosition, type ConfigPath, type ConfigProblem, formatPath } from "./problems.js";

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  file: string;
  text: string;
  /**
   * The document problems are located in. The loader swaps in a migrated copy: nodes the
   * migration did not create keep their ranges, so positions stay those of `text`.
   */
  doc: Document;
  /** Syntax errors and warnings (unknown tags and the like); the data is not trusted if any. */
  syntaxProblems: ConfigProblem[];
  /** The position to report for a value (its key's line when the value is empty or nested). */
  valueAt(path: ConfigPath): Position;
  /** The position of the key itself (for an unknown key). */
  keyAt(path: ConfigPath): Position;
  /** The position of a mapping whose key is missing: the line of its own key. */
  parentAt(path: ConfigPath): Position;
  /** The exact text of a scalar as written ("0.10", not 0.1), if the path holds a scalar. */
  sourceText(path: ConfigPath): string | undefined;
  /** A problem located at `path` (value, key or parent position). */
  problem(path: ConfigPath, message: string, at?: "value" | "key" | "parent"): ConfigProblem;
}

interface Located {
  /** The deepest node found along the path and how far along the path it is. */
  node: Node | null;
  keyNode: Node | null;
  depth: number;
}

export function readYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const start = (node: Node | null | undefined): Position | undefined => (node?.range ? pos(node.range[0]) : undefined);
  const origin = (): Position => start(source.doc.contents as Node | null) ?? { line: 1, column: 1 };

  const locate = (path: ConfigPath): Located => {
    let node = source.doc.contents as Node | null;
    let keyNode: Node | null = null;
    let depth = 0;
    for (const seg of path) {
      const next = child(source.doc, node, seg);
      if (!next) break;
      node = next.value;
      keyNode = next.key;
      depth++;
    }
    return { node, keyNode, depth };
  };

  const source: YamlSource = {
    file,
    text,
    doc,
    syntaxProblems: [...doc.errors, ...doc.warnings]
      .map((e) => {
        const opener = unclosedOpener(e.code, e.message, text, e.pos[0]);
        return {
          file,
          ...pos(opener?.offset ?? e.pos[0]),
          path: "",
          message: opener?.message ?? syntaxMessage(e.code, e.message, text.slice(e.pos[0])),
        };
      })
      .sort(byPosition),
    valueAt(path) {
      const { node, keyNode, depth } = locate(path);
      if (depth < path.length) return start(keyNode) ?? origin();
      if (isScalar(node) && node.value !== null) return start(node)!;
      return start(keyNode) ?? start(node) ?? origin();
    },
    keyAt(path) {
      const { keyNode, depth } = locate(path);
      return depth === path.length ? (start(keyNode) ?? origin()) : source.valueAt(path.slice(0, depth));
    },
    parentAt(path) {
      const { node, keyNode, depth } = locate(path);
      if (depth < path.length) return source.valueAt(path.slice(0, depth));
      return start(keyNode) ?? start(node) ?? origin();
    },
    sourceText(path) {
      const { node, depth } = locate(path);
      if (depth < path.length || !isScalar(node) || !node.range) return undefined;
      return text.slice(node.range[0], node.range[1]);
    },
    problem(path, message, at = "value") {
      const where = at === "key" ? source.keyAt(path) : at === "parent" ? source.parentAt(path) : source.valueAt(path);
      return { file, ...where, path: formatPath(path), message };
    },
  };
  return source;
}

/** One step down the tree: a map entry by key or a list item by index, aliases followed. */
function child(
  doc: Document,
  node: Node | null,
  seg: string | number,
): { key: Node | null; value: Node | null } | null {
  const here = isAlias(node) ? (node.resolve(doc) as Node | undefined) : node;
  if (isMap(here)) {
    const pair = here.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    return pair ? { key: pair.key as Node, value: resolveNode(doc, pair.value as Node | null) } : null;
  }
  if (isSeq(here) && typeof seg === "number") {
    const item = here.items[seg] as Node | undefined;
    return item === undefined ? null : { key: null, value: resolveNode(doc, item) };
  }
  return null;
}

function resolveNode(doc: Document, node: Node | null): Node | null {
  return isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? node) : node;
}

/**
 * yaml notices a quote or a `{`/`[` that is never closed only where the text stops making
 * sense: at the end of the file for a quote, at the start of the next line for a flow
 * collection — one line late, where a technician would not look. The slip is the
 * opener, so point there: the last quote before the error that is not escaped (inside an
 * unclosed scalar nothing else can close it), or the last bracket not matched before it.
 */
function unclosedOpener(
  code: string,
  message: string,
  text: string,
  at: number,
): { offset: number; message: string } | undefined {
  if (code === "MISSING_CHAR" && /closing "quote/.test(message)) {
    for (let i = Math.min(at, text.length) - 1; i >= 0; i--) {
      if (text[i] === '"' && !escaped(text, i)) return quoteAt(i, '"');
    }
  }
  if (code === "MISSING_CHAR" && /closing 'quote/.test(message)) {
    for (let i = Math.min(at, text.length) - 1; i >= 0; i--) {
      if (text[i] !== "'") continue;
      if (text[i - 1] === "'")
        i--; // '' is a quote inside the scalar
      else return quoteAt(i, "'");
    }
  }
  const flow = /^Flow (map|sequence) in block collection/.exec(message);
  if (code === "BAD_INDENT" && flow) {
    const [open, close] = flow[1] === "map" ? ["{", "}"] : ["[", "]"];
    let depth = 0;
    for (let i = at - 1; i >= 0; i--) {
      if (text[i] === close) depth++;
      else if (text[i] === open && depth-- === 0) {
        return { offset: i, message: `a "${open}" opened here is not closed with "${close}" on its line` };
      }
    }
  }
  return undefined;
}

function escaped(text: string, i: number): boolean {
  let backslashes = 0;
  for (let j = i - 1; j >= 0 && text[j] === "\\"; j--) backslashes++;
  return backslashes % 2 === 1;
}

function quoteAt(offset: number, quote: string): { offset: number; message: string } {
  const name = quote === '"' ? 'a " quote' : "a ' quote";
  return { offset, message: `${name} opened here is never closed; close it on the same line` };
}

/** yaml's messages, made plain for a technician where the code is a common slip. */
/** `rest` is the text from the error onwards. */
function syntaxMessage(code: string, message: string, rest: string): string {
  switch (code) {
    case "DUPLICATE_KEY": {
      const key = /^\s*("[^"]*"|'[^']*'|[^:#\n]+?)\s*:/.exec(rest)?.[1];
      const shown = key === undefined ? "" : /^["']/.test(key) ? `${key} ` : `"${key}" `;
      return `the key ${shown}appears twice in the same mapping; keep one`;
    }
    case "MULTIPLE_DOCS":
      return 'the file holds more than one YAML document (a second "---"); keep one';
    case "TAG_RESOLVE_FAILED":
      return `${message}; cardterm config uses no YAML tags (remove the "!…")`;
    case "TAB_AS_INDENT":
      return "a tab is used to indent; YAML indents with spaces only";
    default:
      return `YAML syntax error: ${message}`;
  }
}
