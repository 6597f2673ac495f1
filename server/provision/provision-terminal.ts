/**
 * Provisioning a terminal (`cardterm-hq terminal add`): a fresh 32-byte MAC key
 * registered in the ledger, broker credentials (user = terminal id, which the ACL's
 * `%u` patterns confine to the terminal's own topics), and the config snippet the
 * technician pastes into the box's YAML.
 */
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { CardtermError } from "../../protocol/errors.js";
import type { Queryable } from "../db/db.js";
import { mosquittoPasswdLine, newBrokerPassword } from "./mosquitto-passwd.js";

export interface ProvisionRequest {
  terminalId: string;
  storeId?: string | undefined;
  /** Replace the key of a terminal that exists (its unacknowledged entries will no longer verify). */
  force?: boolean | undefined;
}

export interface ProvisionedTerminal {
  terminalId: string;
  storeId: string | null;
  keyHex: string;
  username: string;
  password: string;
  /** The line for Mosquitto's password_file. */
  passwdLine: string;
}

export async function provisionTerminal(q: Queryable, req: ProvisionRequest): Promise<ProvisionedTerminal> {
  const keyHex = randomBytes(32).toString("hex");
  const { rows } = await q.query(
    `INSERT INTO terminals (id, key_hex, store_id) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET key_hex = EXCLUDED.key_hex, store_id = EXCLUDED.store_id, updated_at = now()
       WHERE $4::boolean
     RETURNING id`,
    [req.terminalId, keyHex, req.storeId ?? null, req.force === true],
  );
  if (rows.length === 0) {
    throw new CardtermError(
      "CT_CONFIG_INVALID",
      `terminal ${req.terminalId} is already registered; give --force to replace its key (entries it has not uploaded yet would then be rejected)`,
    );
  }
  const password = newBrokerPassword();
  return {
    terminalId: req.terminalId,
    storeId: req.storeId ?? null,
    keyHex,
    username: req.terminalId,
    password,
    passwdLine: mosquittoPasswdLine(req.terminalId, password),
  };
}

export interface SnippetOptions {
  mqttUrl: string;
  /** The CA file's path on the terminal box, for an mqtts:// broker signed by the chain's own CA. */
  caFile?: string | undefined;
  dataDir?: string | undefined;
}

/** The technician's config: a minimal valid cardterm YAML (docs/config.md) for this terminal. */
export function configSnippet(t: ProvisionedTerminal, opts: SnippetOptions): string {
  const terminal: Record<string, unknown> = { id: t.terminalId };
  if (t.storeId) terminal.storeId = t.storeId;
  terminal.key = { hex: t.keyHex };
  terminal.dataDir = opts.dataDir ?? "/var/lib/cardterm";
  const server: Record<string, unknown> = { mqttUrl: opts.mqttUrl, username: t.username, password: t.password };
  if (opts.caFile) server.tls = { ca: { file: opts.caFile } };
  const header = [
    `# cardterm terminal ${t.terminalId}: paste into the box's config (e.g. /etc/cardterm/cardterm.yaml).`,
    "# It holds the terminal's MAC key and broker password: hand it over privately, keep the file 0600.",
  ];
  return `${header.join("\n")}\n${stringify({ version: 1, terminal, server })}`;
}
