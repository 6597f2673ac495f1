/**
 * Child process for test/agent/lazy-modules.test.ts: starts an agent with the given printer
 * type and a simulated reader (no broker: it retries in the background), prints which
 * CommonJS packages were loaded — ESM imports of CJS packages land in require.cache too.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent } from "../../agent/agent.js";
import { silentLogger } from "../../agent/logger.js";
import { testAgentConfig } from "./agent-config.js";

const printer = process.argv[2] === "preview" ? "preview" : "none";
const dir = mkdtempSync(join(tmpdir(), "cardterm-lazy-"));
const config = testAgentConfig({
  dataDir: join(dir, "agent"),
  mqttUrl: "mqtt://127.0.0.1:1",
  key: randomBytes(32),
  printer:
    printer === "preview" ? { type: "preview", previewDir: join(dir, "receipts"), paperWidth: 80 } : { type: "none" },
});
const agent = await startAgent(config, { log: silentLogger() });
const loaded = Object.keys(createRequire(import.meta.url).cache);
const packages = new Set(loaded.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1]).filter(Boolean));
console.log(JSON.stringify([...packages].sort()));
await agent.close();
process.exit(0);
