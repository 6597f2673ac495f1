// One piece of the demo on its own, for bench/footprint.ts: started in a fresh process, it
// prints its resident memory once settled, so the demo's RSS can be split into what each
// piece costs. Plain JavaScript on the built tree (dist/), so no TypeScript loader is
// measured with it:
//   node bench/footprint-part.mjs DIST PART [DIR]
// PART: node | import-agent | import-server | aedes | pglite-new DIR | pglite-open DIR
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

function vm(name) {
  const line = readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  return Math.round(Number(line?.replace(/\D/g, "") ?? 0) / 1024);
}

const [dist, part, dir] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const keep = [];
switch (part) {
  case "node":
    break;
  case "import-agent":
    keep.push(await load("agent/agent.js"));
    break;
  case "import-server":
    keep.push(await load("server/hq-server.js"));
    break;
  case "aedes":
    keep.push(await (await load("agent/demo/embedded-broker.js")).startEmbeddedBroker(0));
    break;
  case "pglite-new":
  case "pglite-open":
    keep.push(await (await load("server/db/open-db.js")).openDb({ dataDir: dir }));
    break;
  default:
    throw new Error(`unknown part ${part}`);
}
// Let start-up garbage settle for a second before reading.
for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 100));
const m = process.memoryUsage();
const mb = (n) => Math.round(n / 2 ** 20);
console.log(
  JSON.stringify({
    part,
    "rss MB": vm("VmRSS"),
    "peak MB": vm("VmHWM"),
    "heap MB": mb(m.heapUsed),
    "external MB": mb(m.external),
  }),
);
process.exit(0);
