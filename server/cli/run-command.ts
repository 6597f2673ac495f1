/** `cardterm-hq run`: the server, with its head-office API when --http-port is given. */
import { readFileSync } from "node:fs";
import { tryParseDuration } from "../../config/duration.js";
import { isTerminalId } from "../../protocol/topics.js";
import { startHqServer } from "../hq-server.js";
import type { DemoTerminal } from "../ledger/seed-demo.js";
import { announceNewLedger, dbOptions, usage, type Values } from "./args.js";

export async function run(v: Values): Promise<void> {
  const mqttUrl = v["mqtt-url"] ?? process.env.CARDTERM_HQ_MQTT_URL;
  if (!mqttUrl) throw usage("run needs --mqtt-url (or CARDTERM_HQ_MQTT_URL)");
  const terminals = (v.terminal ?? []).map(parseTerminal);
  if (terminals.length > 0 && !v["seed-demo"]) throw usage("--terminal is only used with --seed-demo");
  announceNewLedger(dbOptions(v).dataDir);
  const server = await startHqServer({
    mqttUrl,
    mqttUsername: v["mqtt-username"] ?? process.env.CARDTERM_HQ_MQTT_USERNAME,
    mqttPassword: process.env.CARDTERM_HQ_MQTT_PASSWORD,
    mqttTls: tlsFiles(v),
    ...dbOptions(v),
    clientId: v["client-id"] ?? "cardterm-hq",
    sharedGroup: v["shared-group"],
    seedDemo: v["seed-demo"] ? { terminals } : undefined,
    http: httpOptions(v),
    memberLookupLimit: memberLookupLimit(v),
    holdTtlMs: holdTtl(v),
    acceptUnsignedTills: v["accept-unsigned-tills"] === true,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.once(signal, () => process.exit(130)); // a second signal: stop now
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
}

/** The token from a file (first line) or CARDTERM_HQ_HTTP_TOKEN — never from argv, which any user can read. */
function httpOptions(v: Values) {
  const portText = v["http-port"];
  if (portText === undefined) {
    if (v["http-host"] || v["http-token-file"]) throw usage("--http-host and --http-token-file need --http-port");
    return undefined;
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) throw usage(`--http-port ${portText} is not a port`);
  const file = v["http-token-file"];
  const token = file ? readFileSync(file, "utf8").split(/\r?\n/, 1)[0] : process.env.CARDTERM_HQ_HTTP_TOKEN;
  return { host: v["http-host"] ?? "127.0.0.1", port: Number(portText), token: token || undefined };
}

/** Lookups per till per 10 minutes (server/till/lookup-limit.ts); 0 turns the limit off. */
function memberLookupLimit(v: Values) {
  const text = v["member-lookups-per-10min"];
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(text)) throw usage(`--member-lookups-per-10min ${text} is not a whole number`);
  return { max: Number(text), windowMs: 10 * 60_000 };
}

/** How long an online approval stays held without the till's word (docs/reconciliation.md). */
function holdTtl(v: Values): number | undefined {
  const text = v["hold-ttl"];
  if (text === undefined) return undefined;
  const parsed = tryParseDuration(text);
  if (!parsed.ok)
    throw usage(`--hold-ttl ${parsed.message}${parsed.suggestion ? ` (did you mean ${parsed.suggestion}?)` : ""}`);
  // Shorter than a till's own retry of its intents would release sales the till recorded.
  if (parsed.ms < 60_000) throw usage(`--hold-ttl ${text} is under a minute; holds must outlast a till's reconnect`);
  return parsed.ms;
}

function parseTerminal(spec: string): DemoTerminal {
  const i = spec.indexOf(":");
  const id = spec.slice(0, i);
  if (i < 0 || !isTerminalId(id))
    throw usage(`--terminal ${JSON.stringify(spec)}: expected ID:KEYHEX, e.g. T001:00ff…`);
  return { id, keyHex: spec.slice(i + 1) };
}

function tlsFiles(v: Values) {
  const caFile = v["mqtt-ca"] ?? process.env.CARDTERM_HQ_MQTT_CA;
  const certFile = v["mqtt-cert"] ?? process.env.CARDTERM_HQ_MQTT_CERT;
  const keyFile = v["mqtt-key"] ?? process.env.CARDTERM_HQ_MQTT_KEY;
  if (Boolean(certFile) !== Boolean(keyFile)) throw usage("--mqtt-cert and --mqtt-key go together");
  return caFile || certFile ? { caFile, certFile, keyFile } : undefined;
}
