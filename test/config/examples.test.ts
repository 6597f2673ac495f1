import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import t from "tap";
import { parseConfigText } from "../../config/load-config.js";

const DIR = new URL("../../config/examples/", import.meta.url).pathname;
const KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** The files the examples name under /etc/cardterm, as a provisioned till would have them. */
const FILES: Record<string, string> = {
  "terminal.key": `${KEY_HEX}\n`,
  "mqtt.password": "s3cret\n",
  "ca.pem": PEM_CERT,
  "client.pem": PEM_CERT,
  "client.key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
};
const ENV = { CARDTERM_TERMINAL_KEY: KEY_HEX, CARDTERM_MQTT_PASSWORD: "s3cret" };

const examples = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));

t.test("the four technician setups and the demo are all there", async (t) => {
  t.same(examples.sort(), [
    "acr122u-usb-printer.yaml",
    "chain-tls-broker.yaml",
    "demo.yaml",
    "serial-id-network-printer.yaml",
    "two-readers-one-till.yaml",
  ]);
});

for (const name of examples) {
  t.test(`${name} loads through the real loader`, async (t) => {
    const text = readFileSync(join(DIR, name), "utf8");
    const config = parseConfigText(text, join(DIR, name), {
      env: ENV,
      readFile: (p) => {
        const served = FILES[basename(p)];
        if (served === undefined) throw Object.assign(new Error(`no fixture for ${p}`), { code: "ENOENT" });
        return served;
      },
      onWarning: (w) => t.fail(`no version warning: ${w}`),
    });
    t.equal(config.terminal.key.toString("hex"), KEY_HEX);
    t.match(text, /^# cardterm — /, "starts by saying what setup it is");
    t.match(text, /^version: 1$/m, "says its format version");
    if (name === "demo.yaml") return;
    // Line by line: at least one comment line for every two key lines (flow lists aside).
    const lines = text.split("\n");
    const keys = lines.filter((l) => /^\s*(- )?[A-Za-z]+:/.test(l)).length;
    const comments = lines.filter((l) => /#/.test(l)).length;
    t.ok(comments * 2 >= keys, `${comments} comment lines for ${keys} keys`);
  });
}

t.test("what each setup is for comes out as the technician expects", async (t) => {
  const load = (name: string) =>
    parseConfigText(readFileSync(join(DIR, name), "utf8"), join(DIR, name), {
      env: ENV,
      readFile: (p) => FILES[basename(p)] ?? "",
    });
  const acr = load("acr122u-usb-printer.yaml");
  t.match(acr.readers, [{ type: "pcsc", readerName: "ACR122", identity: "uid", feedback: true }]);
  t.match(acr.printer, { type: "usb", path: "/dev/receipt-printer", paperWidth: 58, drawerPin: 2 });
  t.equal(acr.server.password, "s3cret", "one trailing newline of the password file dropped");
  const two = load("two-readers-one-till.yaml");
  t.same(
    two.readers.map((r) => [r.id, r.type]),
    [
      ["ic", "pcsc"],
      ["id-card", "serial-id"],
    ],
  );
  t.equal(two.server.password, "s3cret");
  const chain = load("chain-tls-broker.yaml");
  t.same(chain.server.tls, {
    caFile: "/etc/cardterm/ca.pem",
    certFile: "/etc/cardterm/client.pem",
    keyFile: "/etc/cardterm/client.key",
  });
  t.match(chain.offline, {
    perTransactionMinor: 20_000,
    perCardMinor: 40_000,
    terminalMinor: 500_000,
    maxOfflineAgeMs: 12 * 3_600_000,
  });
  t.match(chain.printer, { type: "serial", baudRate: 38400, flowControl: "rtscts" });
});
