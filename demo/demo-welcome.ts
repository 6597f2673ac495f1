/**
 * What `npm start` prints once the demo is up: where everything is, how to log in, and
 * first requests to copy — the same as README's quick start (test/e2e/readme-examples
 * runs README's), with this run's addresses.
 */
import { relative } from "node:path";
import { DEMO_OPERATOR_PINS } from "../agent/demo/demo-operators.js";
import { DEMO_CARDS } from "./demo-cards.js";

export interface WelcomeFacts {
  agentUrl: string;
  hqUrl: string;
  brokerUrl: string;
  dir: string;
  /** The config file the agent runs. */
  file: string;
}

export function demoWelcome(f: WelcomeFacts): string {
  const card = DEMO_CARDS[0]!;
  const others = DEMO_CARDS.slice(1)
    .map((c) => `${c.uid} (${c.memberName}, ${c.level})`)
    .join(", ");
  const cashier = `001 / PIN ${DEMO_OPERATOR_PINS["001"]}`;
  const supervisor = `900 / PIN ${DEMO_OPERATOR_PINS["900"]}`;
  const login = `'{"operatorId": "001", "pin": "${DEMO_OPERATOR_PINS["001"]}"}'`;
  return `
cardterm demo is running.
  web console    ${f.agentUrl}/console/   cashier ${cashier}, supervisor (店长) ${supervisor}
  local API      ${f.agentUrl}   (OpenAPI: ${f.agentUrl}/api/v1/openapi.json)
  head office    ${f.hqUrl}   (HTTP API, this box only; OpenAPI: ${f.hqUrl}/api/v1/openapi.json)
  MQTT broker    ${f.brokerUrl} (embedded)
  config         ${shown(f.file)}
  ledger         PGlite in ${shown(f.dir)}/hq (demo members, and 10 × 洗车 on ${card.uid} as P100001)
  receipts       ${shown(f.dir)}/receipts (PNG, SVG and ESC/POS bytes)

Log in as the demo cashier, then make a first sale — ¥25.00 on ${card.memberName}'s ${card.level} card:
  S=$(curl -s -X POST ${f.agentUrl}/api/v1/sessions -H 'content-type: application/json' -d ${login} | sed -E 's/.*"session":"([^"]+)".*/\\1/')
  curl -s -X POST ${f.agentUrl}/api/v1/sales -H 'content-type: application/json' -H "x-cardterm-session: $S" -d '{"amount": 2500, "cardUid": "${card.uid}"}'

Other demo cards: ${others}
Status:  curl -s ${f.agentUrl}/api/v1/status
While the demo runs, head office's changes go through its HTTP API (the cardterm-hq commands
need the ledger to themselves: stop the demo first). Stop with Ctrl-C.
`;
}

/** A path as the person typed it: relative to where they are when it is below. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") || rel === "" ? path : rel;
}
