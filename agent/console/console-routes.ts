/**
 * The web console, served by the agent itself so it works on a till with
 * no internet: a fixed list of static files under /console/, the bootstrap document that
 * hands the page its API token and language, and the receipt preview images.
 *
 * Only the files named in ASSETS are ever read (no path from the request reaches the file
 * system), and a preview is read only under a name that matches the preview printer's own
 * file names (drivers/printer/preview-printer.ts previewFileStem).
 */
import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface ConsoleOptions {
  /** The local API's bearer token, handed to the page by bootstrap.json; null when the API has none. */
  apiToken: string | null;
  language: "zh-CN" | "en";
  /** The store's time zone (terminal.timeZone): the console's clocks show it, whatever the browser's. */
  timeZone?: string;
  /** How long the agent waits for a tap (tapTimeout): the console counts it down. */
  tapTimeoutMs?: number;
  /** Where the preview printer writes `<job>.png` (printer.previewDir); no previews without it. */
  previewDir?: string;
}

const JS = "text/javascript; charset=utf-8";
const ASSETS: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "app.js": JS,
  "api.js": JS,
  "money.js": JS,
  "i18n.js": JS,
  "words-zh.js": JS,
  "words-en.js": JS,
  "operator.js": JS,
  "dom.js": JS,
  "login.js": JS,
  "result.js": JS,
  "till.js": JS,
  "status.js": JS,
  "close.js": JS,
  "void.js": JS,
  "cards.js": JS,
  "card-forms.js": JS,
  "card-result.js": JS,
  "member-find.js": JS,
  "card-types.js": JS,
  "tap-wait.js": JS,
};

/** The page loads nothing from elsewhere and runs no inline script: say so to the browser. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const PREVIEW_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,120}\.png$/;

export function registerConsoleRoutes(app: FastifyInstance, opts: ConsoleOptions): void {
  const cache = new Map<string, Buffer>();
  const asset = async (name: string): Promise<Buffer> => {
    let body = cache.get(name);
    if (!body) {
      body = await readAsset(name);
      cache.set(name, body);
    }
    return body;
  };
  const serve = async (name: string, reply: FastifyReply) => {
    const type = ASSETS[name];
    if (!type) return notFound(reply);
    // no-cache, not no-store: the till revalidates after an agent upgrade but works from cache.
    return reply
      .headers({ ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-cache" })
      .send(await asset(name));
  };

  app.get("/", (_req, reply) => reply.redirect("/console/"));
  app.get("/console", (_req, reply) => reply.redirect("/console/"));
  app.get("/console/", (_req, reply) => serve("index.html", reply));
  app.get<{ Params: { file: string } }>("/console/:file", (req, reply) => serve(req.params.file, reply));

  app.get("/console/bootstrap.json", (req, reply) => {
    const refusal = bootstrapRefusal(req, opts.apiToken !== null);
    if (refusal) return reply.status(403).send({ code: "CT_FORBIDDEN", message: refusal });
    return reply.header("cache-control", "no-store").send({
      apiToken: opts.apiToken,
      language: opts.language,
      ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
      ...(opts.tapTimeoutMs ? { tapTimeoutS: Math.round(opts.tapTimeoutMs / 1000) } : {}),
    });
  });

  app.get<{ Params: { name: string } }>("/console/receipts/:name", async (req, reply) => {
    if (!authorised(req, opts.apiToken)) {
      return reply.status(401).send({ code: "CT_UNAUTHORIZED", message: "a bearer token is required" });
    }
    const { name } = req.params;
    if (!opts.previewDir || !PREVIEW_NAME.test(name)) return notFound(reply);
    try {
      const png = await readFile(join(opts.previewDir, name));
      return reply.headers({ "content-type": "image/png", "cache-control": "private, max-age=3600" }).send(png);
    } catch {
      return notFound(reply);
    }
  });
}

function notFound(reply: FastifyReply) {
  return reply.status(404).send({ code: "CT_NOT_FOUND", message: "no such console file" });
}

/**
 * Why bootstrap.json must not answer this request, or null when it may.
 *
 * The Host check stops DNS rebinding: a web page on evil.example that rebinds its name to
 * 127.0.0.1 still sends `Host: evil.example`. A Host header is easy to forge for anything
 * that is not a browser, though, so when there is a token to give away the peer must also
 * be this box (the API may listen on 0.0.0.0, e.g. in Docker).
 */
export function bootstrapRefusal(req: FastifyRequest, hasToken: boolean): string | null {
  const port = req.socket.localPort;
  const host = (req.headers.host ?? "").toLowerCase();
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!allowed.includes(host)) return "open the console on the till itself: http://127.0.0.1:<port>/console/";
  if (hasToken && !isLoopback(req.socket.remoteAddress ?? "")) return "the API token is given to this box only";
  return null;
}

function isLoopback(address: string): boolean {
  if (address === "::1") return true;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

function authorised(req: FastifyRequest, token: string | null): boolean {
  if (token === null) return true;
  const given = Buffer.from(req.headers.authorization ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * A console file, from `public/` beside this module; from dist/ (where tsc copies no
 * assets) it falls back to the source tree's copy.
 */
async function readAsset(name: string): Promise<Buffer> {
  const dirs = ["./public/", "../../../agent/console/public/"].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  let lastError: unknown;
  for (const dir of dirs) {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
