/**
 * The keyboard-wedge reader through its real device path: the Perl helper of
 * drivers/readers/evdev-link.ts opens the "device" and pipes the records to the driver.
 * The test machines have no input devices and no uinput (the kernel is built without
 * CONFIG_INPUT_UINPUT), so the device is a FIFO fed with key events in the kernel's
 * layout (test/helpers/input-events.ts) and read with `grab: false`; the grab itself is
 * exercised on its failure path (EVIOCGRAB on a FIFO is ENOTTY), not on a keyboard.
 */
import { execFileSync } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import t, { type Test } from "tap";
import type { KeyboardWedgeReaderConfig } from "../../config/agent-config.js";
import { wedgeCardId } from "../../drivers/readers/card-identity.js";
import type { CardTap, ReaderStatus } from "../../drivers/readers/card-reader.js";
import { EvdevOpenError } from "../../drivers/readers/evdev-link.js";
import { KeyboardWedgeReader, type KeyboardWedgeReaderDeps } from "../../drivers/readers/keyboard-wedge-reader.js";
import { typed } from "../helpers/input-events.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

const FAST_BACKOFF = { initialMs: 20, maxMs: 200, jitter: 0.2 };

interface LogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

interface Harness {
  reader: KeyboardWedgeReader;
  taps: CardTap[];
  ids: () => string[];
  statuses: ReaderStatus[];
  logs: LogEntry[];
}

function harness(t: Test, over: Partial<KeyboardWedgeReaderConfig>, deps: KeyboardWedgeReaderDeps = {}): Harness {
  const logs: LogEntry[] = [];
  const config: KeyboardWedgeReaderConfig = {
    id: "wedge",
    type: "keyboard-wedge",
    path: "/nonexistent",
    format: "decimal",
    technology: "id",
    uidByteOrder: "msbFirst",
    grab: false,
    debounceMs: 300,
    ...over,
  };
  const reader = new KeyboardWedgeReader(config, {
    backoff: FAST_BACKOFF,
    eventSize: 24,
    log: (level, msg, fields = {}) => logs.push({ level, msg, fields }),
    ...deps,
  });
  const taps: CardTap[] = [];
  const statuses: ReaderStatus[] = [];
  reader.on("tap", (tap) => taps.push(tap));
  reader.on("status", (s) => statuses.push(s));
  t.teardown(() => reader.close());
  return { reader, taps, ids: () => taps.map((x) => x.cardId), statuses, logs };
}

/** A FIFO standing in for /dev/input/…-event-kbd, held open for writing (O_RDWR never blocks). */
async function fakeKeyboard(t: Test) {
  const dir = await tempDir(t, "cardterm-wedge-");
  const fifo = path.join(dir, "usb-reader-event-kbd");
  execFileSync("mkfifo", [fifo]);
  let writer: fs.FileHandle | undefined;
  const plug = async () => {
    writer = await fs.open(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  };
  const unplug = async () => {
    await writer?.close();
    writer = undefined;
  };
  await plug();
  t.teardown(unplug);
  return {
    path: fifo,
    type: async (bytes: Buffer) => {
      await writer!.write(bytes);
    },
    plug,
    unplug,
  };
}

async function present(h: Harness): Promise<void> {
  await h.reader.start();
  await waitFor("present", () => h.reader.status().state === "present", 5_000, 5);
}

t.test("a number typed with Enter becomes one tap with the normalised id", async (t) => {
  const kbd = await fakeKeyboard(t);
  const h = harness(t, { path: kbd.path });
  await present(h);
  t.match(h.reader.status().detail, /not grabbed/, "status says the number is not kept from the POS app");
  const before = Date.now();
  await kbd.type(typed("0012345678\n"));
  await waitFor("the tap", () => h.taps.length === 1, 3_000, 5);
  t.strictSame(h.ids(), ["id:0012345678"]);
  t.equal(h.taps[0]!.readerId, "wedge");
  t.comment(`typed → tap in ${h.taps[0]!.at - before} ms`);
  await kbd.type(typed("0012345678\n"));
  await waitFor("the second line", () => h.reader.stats().lines === 2, 3_000, 5);
  t.equal(h.taps.length, 1, "the same card again within the debounce is the same tap");
});

t.test("a 13.56 MHz wedge typing the UID maps to the same ic: id a PC/SC reader gives", async (t) => {
  const kbd = await fakeKeyboard(t);
  const h = harness(t, { path: kbd.path, technology: "ic", format: "decimal", uidByteOrder: "lsbFirst" });
  await present(h);
  await kbd.type(typed("3283263748\n")); // 0xC3B2A104: UID 04 A1 B2 C3 typed little-endian
  await waitFor("the tap", () => h.taps.length === 1, 3_000, 5);
  t.strictSame(h.ids(), ["ic:04A1B2C3"]);
});

t.test("garbage never becomes a card, and the next number still reads", async (t) => {
  const kbd = await fakeKeyboard(t);
  const h = harness(t, { path: kbd.path, format: "hex" });
  await present(h);
  await kbd.type(typed("hello\n"));
  await kbd.type(typed(`${"7".repeat(200)}\n`));
  await kbd.type(Buffer.from("not an input_event at all, just bytes".padEnd(48, ".")));
  await waitFor("the garbage seen", () => h.reader.stats().invalid >= 1 && h.reader.stats().overflows === 1, 3_000, 5);
  t.equal(h.taps.length, 0);
  t.notMatch(JSON.stringify(h.logs), /hello/, "rejected lines are logged masked");
  await kbd.type(typed("\n0a1b2c3d4e\n"));
  await waitFor("the tap", () => h.taps.length === 1, 3_000, 5);
  t.strictSame(h.ids(), ["id:0A1B2C3D4E"]);
  t.equal(h.reader.status().state, "present", "the reader stays up through garbage");
});

t.test("an unplugged reader is lost, reopened with backoff, and reads again", async (t) => {
  const kbd = await fakeKeyboard(t);
  const h = harness(t, { path: kbd.path });
  await present(h);
  await kbd.unplug(); // the helper reads end of file, as a read on a removed device fails
  await waitFor("lost", () => h.reader.status().state === "lost", 3_000, 5);
  t.match(h.reader.status().detail, /^CT_READER_LOST: /);
  await kbd.plug();
  await waitFor("present again", () => h.reader.status().state === "present", 5_000, 5);
  await kbd.type(typed("42\n"));
  await waitFor("the tap", () => h.taps.length === 1, 3_000, 5);
  t.strictSame(h.ids(), ["id:42"]);
  t.ok(h.reader.stats().opens >= 2);
  await h.reader.close();
  await h.reader.close();
  t.equal(h.reader.status().state, "closed", "close is idempotent");
});

t.test("a device that cannot be grabbed is an error, retried, and never read without the grab", async (t) => {
  const kbd = await fakeKeyboard(t);
  const h = harness(t, { path: kbd.path, grab: true });
  await h.reader.start();
  await waitFor("the error", () => h.reader.status().state === "error", 3_000, 5);
  t.match(
    h.reader.status().detail,
    /^CT_READER_UNAVAILABLE: cannot open .*: grab: Inappropriate ioctl for device \(not an evdev keyboard/,
  );
  await kbd.type(typed("0012345678\n"));
  await waitFor("a retry", () => h.logs.filter((l) => l.msg === "reopening keyboard reader").length >= 2, 3_000, 5);
  t.equal(h.taps.length, 0, "nothing is read from a device the agent could not take for itself");
});

t.test("a missing device path is an error with the path; perl missing is unavailable for good", async (t) => {
  const h = harness(t, { path: "/dev/input/by-id/cardterm-test-absent-event-kbd" });
  await h.reader.start();
  t.match(h.reader.status(), {
    state: "error",
    detail: /cannot open \/dev\/input\/by-id\/cardterm-test-absent-event-kbd: open: No such file/,
  });
  let opens = 0;
  const m = harness(
    t,
    {},
    {
      openDevice: async () => {
        opens++;
        throw new EvdevOpenError("perl is not installed (apt-get install perl-base)", "missing");
      },
    },
  );
  await m.reader.start();
  await new Promise((r) => setTimeout(r, 100));
  t.match(m.reader.status(), { state: "unavailable", detail: /^CT_READER_UNAVAILABLE: perl is not installed/ });
  t.equal(opens, 1, "not retried");
});

t.test("wedge identity mapping is exact or refused", async (t) => {
  t.strictSame(wedgeCardId("0012345678", "id", "decimal", "msbFirst"), { ok: true, id: "id:0012345678" });
  t.strictSame(wedgeCardId("04A1B2C3", "ic", "hex", "msbFirst"), { ok: true, id: "ic:04A1B2C3" });
  t.strictSame(wedgeCardId("C3B2A104", "ic", "hex", "lsbFirst"), { ok: true, id: "ic:04A1B2C3" });
  t.strictSame(wedgeCardId("77894967", "ic", "decimal", "msbFirst"), { ok: true, id: "ic:04A49537" });
  t.match(wedgeCardId("4A1B2C3", "ic", "hex", "msbFirst"), { ok: false, reason: /odd number/ });
  t.match(wedgeCardId("04A1B2C3D4", "ic", "hex", "msbFirst"), { ok: false, reason: /4, 7 or 10 bytes/ });
  t.match(wedgeCardId("012-34567", "ic", "wiegand26", "msbFirst"), { ok: false, reason: /cannot carry a chip UID/ });
});
