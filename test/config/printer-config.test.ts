/**
 * The printer section of the YAML: serial and USB printers, the chain's receipt settings
 * (header, footer, logo, charset), the cash drawer, keepFor and statusInterval — loaded
 * with their defaults, and refused with a line and a fix when wrong.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { checkDevicePaths, parseConfigText } from "../../config/load-config.js";
import { logoProblem } from "../../config/printer-checks.js";
import type { ConfigProblem } from "../../config/problems.js";
import { CardtermError } from "../../protocol/errors.js";
import { sampleLogoPng } from "../helpers/sample-receipts.js";

const KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const BASE = [
  "terminal:",
  "  id: T001",
  `  key: { hex: "${KEY_HEX}" }`,
  "  dataDir: /var/lib/cardterm",
  "server:",
  "  mqttUrl: mqtt://127.0.0.1:1883",
];

function load(printer: string[], baseDir = "/etc/cardterm") {
  return parseConfigText(`${[...BASE, "printer:", ...printer].join("\n")}\n`, "config.yaml", { env: {}, baseDir });
}

/** Problems of a printer section that must be refused; the printer: line is line 7. */
function problems(t: Test, printer: string[], baseDir?: string): ConfigProblem[] {
  try {
    load(printer, baseDir);
  } catch (err) {
    t.type(err, CardtermError);
    t.equal((err as CardtermError).code, "CT_CONFIG_INVALID", (err as Error).message);
    return (err as CardtermError).details?.problems as ConfigProblem[];
  }
  t.fail("accepted");
  return [];
}

t.test("a serial printer gets the serial defaults; only the keys the file sets appear", async (t) => {
  const c = load(["  type: serial", "  path: /dev/serial/by-id/usb-Printer-if00"]);
  t.same(c.printer, {
    type: "serial",
    path: "/dev/serial/by-id/usb-Printer-if00",
    baudRate: 9600,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    flowControl: "none",
    paperWidth: 80,
    timeoutMs: 3000,
  });
});

t.test("a USB printer with every receipt setting", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-logo-"));
  writeFileSync(join(dir, "logo.png"), sampleLogoPng());
  const c = load(
    [
      "  type: usb",
      "  path: /dev/usb/lp0",
      "  paperWidth: 58",
      "  charset: cp437",
      '  header: [上海市徐汇区漕溪北路 88 号, "电话 021-6488 0000"]',
      "  footer:",
      "    - 会员热线 400-820-8820",
      '    - ""',
      "  logo: logo.png",
      "  drawerKick: true",
      "  drawerPin: 5",
      "  keepFor: 30d",
      "  timeout: 2s",
      "  statusInterval: 10s",
      "  previewDir: receipts",
    ],
    dir,
  );
  t.match(c.printer, {
    type: "usb",
    path: "/dev/usb/lp0",
    paperWidth: 58,
    charset: "cp437",
    header: ["上海市徐汇区漕溪北路 88 号", "电话 021-6488 0000"],
    footer: ["会员热线 400-820-8820", ""],
    logo: { file: join(dir, "logo.png") },
    drawerPin: 5,
    keepForMs: 30 * 86_400_000,
    timeoutMs: 2000,
    statusIntervalMs: 10_000,
    previewDir: join(dir, "receipts"),
  });
  t.ok(c.printer.type === "usb" && c.printer.logo?.png.equals(sampleLogoPng()), "the logo's bytes, read at load");
});

t.test("drawerKick alone means pin 2; drawerKick false means no drawer", async (t) => {
  t.match(load(["  type: network", "  host: 10.0.0.5", "  drawerKick: true"]).printer, { drawerPin: 2 });
  const off = load(["  type: network", "  host: 10.0.0.5", "  drawerKick: false"]).printer;
  t.notOk("drawerPin" in off);
});

t.test("the preview printer takes the receipt settings too; none takes nothing", async (t) => {
  t.match(load(["  type: preview", "  header: [a]", "  footer: [b]"]).printer, {
    type: "preview",
    previewDir: "/var/lib/cardterm/receipts",
    header: ["a"],
    footer: ["b"],
  });
  const p = problems(t, ["  type: none", "  header: [a]"]);
  t.match(p, [{ path: "printer.header", line: 9 }]);
});

t.test("mistakes in the printer section are refused at their line, with the fix", async (t) => {
  const typo = problems(t, ["  type: network", "  host: p", "  drawKick: true"]);
  t.match(typo, [{ path: "printer.drawKick", line: 10, suggestion: '"drawerKick"' }]);
  const pin = problems(t, ["  type: network", "  host: p", "  drawerPin: 5"]);
  t.match(pin, [{ path: "printer.drawerPin", line: 10, message: /only used with drawerKick: true/ }]);
  const badPin = problems(t, ["  type: network", "  host: p", "  drawerKick: true", "  drawerPin: 3"]);
  t.match(badPin, [{ path: "printer.drawerPin", message: /use 2 or 5/ }]);
  const charset = problems(t, ["  type: usb", "  path: /dev/usb/lp0", "  charset: gbk"]);
  t.match(charset, [{ path: "printer.charset", message: /"gb18030", "cp437" or "cp1252"/ }]);
  const interval = problems(t, ["  type: serial", "  path: /dev/ttyS0", "  statusInterval: 30"]);
  t.match(interval, [{ path: "printer.statusInterval", message: /add a unit/ }]);
  const keep = problems(t, ["  type: preview", "  keepFor: 1.5d"]);
  t.match(keep, [{ path: "printer.keepFor", suggestion: '"1d12h"' }]);
  const header = problems(t, ["  type: usb", "  path: /dev/usb/lp0", "  header: 上海"]);
  t.match(header, [{ path: "printer.header", message: /expected a list/ }]);
  const noPath = problems(t, ["  type: usb"]);
  t.match(noPath, [{ path: "printer.path", message: 'missing required key "path"' }]);
  const flow = problems(t, ["  type: serial", "  path: /dev/ttyS0", "  flowControl: hardware"]);
  t.match(flow, [{ path: "printer.flowControl" }]);
});

t.test("a logo that is missing, not a PNG, or too large is refused naming the file", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "cardterm-logo-"));
  const missing = problems(t, ["  type: preview", "  logo: nope.png"], dir);
  t.match(missing, [{ path: "printer.logo", message: /cannot read the logo .*nope\.png: no such file/ }]);
  writeFileSync(join(dir, "logo.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]));
  const jpeg = problems(t, ["  type: preview", "  logo: logo.jpg"], dir);
  t.match(jpeg, [{ path: "printer.logo", message: /is not a PNG file/ }]);
  const png = sampleLogoPng(); // 240 × 72
  const wide = Buffer.from(png);
  wide.writeUInt32BE(500, 16);
  writeFileSync(join(dir, "wide.png"), wide);
  t.ok(load(["  type: preview", "  logo: wide.png"], dir), "500 dots fit 80 mm paper (576)");
  const narrow = problems(t, ["  type: preview", "  paperWidth: 58", "  logo: wide.png"], dir);
  t.match(narrow, [{ path: "printer.logo", message: /500 pixels wide; 58 mm paper prints at most 384/ }]);
  t.match(logoProblem(wide, 58), /500 pixels wide; 58 mm paper prints at most 384/);
  const tall = Buffer.from(png);
  tall.writeUInt32BE(1000, 20);
  t.match(logoProblem(tall, 80), /1000 pixels high; at most 400/);
  t.equal(logoProblem(png, 58), undefined);
});

t.test("config check reports a serial or USB printer path that is not there", async (t) => {
  const c = load(["  type: usb", "  path: /dev/usb/lp-nowhere"]);
  t.match(checkDevicePaths(c), [
    { path: "printer.path", line: 9, message: /does not exist; is the printer plugged in/ },
  ]);
});
