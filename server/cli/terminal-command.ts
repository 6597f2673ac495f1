/** `cardterm-hq terminal add`: key, registration, broker credentials, and the technician's config snippet. */
import { isTerminalId } from "../../protocol/topics.js";
import { upsertPasswordFile } from "../provision/mosquitto-passwd.js";
import { configSnippet, provisionTerminal } from "../provision/provision-terminal.js";
import { usage, type Values, withDb } from "./args.js";

export async function terminalAdd(v: Values, id: string | undefined): Promise<void> {
  if (!isTerminalId(id)) throw usage(`terminal add needs a terminal id (letters, digits, _ and -), e.g. T001`);
  const mqttUrl = v["mqtt-url"] ?? process.env.CARDTERM_HQ_MQTT_URL ?? "mqtts://mqtt.example.com:8883";
  const t = await withDb(v, "terminal add", (db) =>
    provisionTerminal(db, { terminalId: id, storeId: v.store, force: v.force }),
  );
  const file = v["password-file"];
  if (file) await upsertPasswordFile(file, t.passwdLine);
  if (v.json) {
    console.log(JSON.stringify({ ...t, passwordFile: file ?? null }));
    return;
  }
  const broker = file
    ? `# Broker: credentials for ${t.username} written to ${file}; reload Mosquitto (systemctl reload mosquitto, or kill -HUP its pid).`
    : `# Broker: add this line to Mosquitto's password_file, then reload Mosquitto:\n#   ${t.passwdLine}`;
  console.log(`${broker}\n${configSnippet(t, { mqttUrl, caFile: v["tls-ca"] })}`);
}
