/**
 * The demo's operators: a cashier and a supervisor (店长), with PINs printed by the demo
 * so anyone can log in to the web console. Hashes made once with rules/pin.ts hashPin
 * (a real box gets its own from `cardterm-hq operator add`).
 */
import type { OperatorConfig } from "../../config/agent-config.js";

export const DEMO_OPERATORS: OperatorConfig[] = [
  {
    id: "001",
    name: "王收银",
    role: "cashier",
    pinHash:
      "scrypt$32768$8$1$636172647465726d2d64656d6f2d303031$a022df868c1b71dd719aa7633402dbda80dbcad04d279e712aa6779aef78e4b1",
  },
  {
    id: "900",
    name: "李店长",
    role: "supervisor",
    pinHash:
      "scrypt$32768$8$1$636172647465726d2d64656d6f2d393030$d6153f1a90ee0b0ff2db15dc65c596e9aab971a3a971bf948beb4660df0683fd",
  },
];

export const DEMO_OPERATOR_PINS = { "001": "1234", "900": "9999" } as const;
