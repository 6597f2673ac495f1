/**
 * Who may log in at this till: the operators of the config file merged with those head
 * office sends (protocol/operators-doc.ts).
 *
 * Head office wins on the same id. It is the record of who works for the chain: an
 * operator disabled there (someone who left) must not keep working at a till because a
 * technician once wrote the same id into its YAML, and a role changed there must hold
 * everywhere. So an active head-office entry replaces the config entry with its id, and a
 * disabled one removes it. Config operators head office does not know stay: a till set up
 * before head office had its operators, or a technician's own log-in (docs/operators.md).
 */
import type { OperatorConfig } from "../../config/agent-config.js";
import type { HqOperatorEntry } from "../../protocol/operators-doc.js";
import type { Role } from "../../rules/roles.js";

export interface TillOperator {
  id: string;
  name: string;
  role: Role;
  pinHash: string;
  cardUid?: string;
  /** Where this till learnt of the operator: its config file, or head office. */
  source: "config" | "hq";
}

export interface Roster {
  operators: TillOperator[];
  /** Config operators whose id head office also has (replaced or, when disabled there, removed). */
  shadowed: string[];
}

export function mergeOperators(config: readonly OperatorConfig[], hq: readonly HqOperatorEntry[] = []): Roster {
  const hqIds = new Set(hq.map((o) => o.id));
  const fromHq: TillOperator[] = hq.flatMap((o) =>
    o.active
      ? [
          {
            id: o.id,
            name: o.name,
            role: o.role,
            pinHash: o.pinHash,
            ...(o.cardUid === undefined ? {} : { cardUid: o.cardUid }),
            source: "hq" as const,
          },
        ]
      : [],
  );
  const fromConfig: TillOperator[] = config
    .filter((o) => !hqIds.has(o.id))
    .map((o) => ({ ...o, source: "config" as const }));
  const shadowed = config.filter((o) => hqIds.has(o.id)).map((o) => o.id);
  // Head office's first: an operator card both lists is head office's operator's.
  return { operators: [...fromHq, ...fromConfig], shadowed };
}
