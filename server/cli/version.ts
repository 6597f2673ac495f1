import { readFileSync } from "node:fs";

/**
 * cardterm-hq's version: package.json's, found from source (server/cli) or from dist
 * (dist/server/cli), like the agent's (agent/version.ts; the server may not import the agent).
 */
export const HQ_VERSION: string = (() => {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      // the other layout
    }
  }
  return "0.0.0";
})();
