/**
 * A terminal's key as head office holds it (provisioned by `cardterm-hq terminal add`):
 * what its journal entries and its messages are checked against (docs/security.md).
 */
import type { Queryable } from "../db/db.js";

/** The 32-byte key of `terminalId`, or undefined when no such terminal is registered. */
export async function terminalKeyOf(q: Queryable, terminalId: string): Promise<Buffer | undefined> {
  const { rows } = await q.query<{ key_hex: string }>("SELECT key_hex FROM terminals WHERE id = $1", [terminalId]);
  return rows[0] ? Buffer.from(rows[0].key_hex, "hex") : undefined;
}
