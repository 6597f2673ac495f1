/**
 * The evdev decoder on bytes in the kernel's layout. No input device exists on the test
 * machines (no /dev/input, and the kernel is built without uinput), so the streams are
 * made in the exact layout a wedge reader produces — MSC_SCAN, KEY press, SYN_REPORT,
 * then the release, a few ms apart — and one record is pinned byte for byte.
 */
import fc from "fast-check";
import t from "tap";
import {
  decodeInputEvents,
  EV_KEY,
  encodeInputEvent,
  type InputEvent,
  inputEventSize,
  KEY_KPENTER,
  KeyLineDecoder,
  UNKNOWN_KEY,
} from "../../drivers/readers/input-event.js";
import { typed } from "../helpers/input-events.js";

const decoder = () => new KeyLineDecoder({ maxChars: 64, maxGapUs: 500_000 });
const linesOf = (bytes: Buffer, size: 16 | 24 = 24) => decoder().push(decodeInputEvents(bytes, size).events);

t.test("a record is laid out as struct input_event: timeval, type, code, value (little-endian)", async (t) => {
  // tv_sec 1700000000, tv_usec 123456, EV_KEY, KEY_1, press — as read from an x86_64 box.
  const x86_64 = Buffer.from("00f1536500000000" + "40e2010000000000" + "0100" + "0200" + "01000000", "hex");
  t.strictSame(decodeInputEvents(x86_64, 24).events, [
    { timeUs: 1_700_000_000_123_456, type: EV_KEY, code: 2, value: 1 },
  ]);
  const armv7 = Buffer.from("00f15365" + "40e20100" + "0100" + "0200" + "00000000", "hex");
  t.strictSame(decodeInputEvents(armv7, 16).events, [
    { timeUs: 1_700_000_000_123_456, type: EV_KEY, code: 2, value: 0 },
  ]);
  const event: InputEvent = { timeUs: 1_700_000_000_123_456, type: EV_KEY, code: 2, value: 1 };
  t.strictSame(encodeInputEvent(event, 24), x86_64, "the fixture encoder writes the same bytes");
  t.equal(inputEventSize("x64"), 24);
  t.equal(inputEventSize("arm64"), 24);
  t.equal(inputEventSize("arm"), 16);
});

t.test("records split across reads are carried over, not lost", async (t) => {
  const bytes = typed("0012345678\n");
  const d = decoder();
  const lines: unknown[] = [];
  let carry: Buffer = Buffer.alloc(0);
  for (let at = 0; at < bytes.length; at += 7) {
    const { events, rest } = decodeInputEvents(Buffer.concat([carry, bytes.subarray(at, at + 7)]), 24);
    carry = rest;
    lines.push(...d.push(events));
  }
  t.strictSame(lines, [{ line: "0012345678" }]);
  t.equal(carry.length, 0);
});

t.test("digits, shifted hex letters and the keypad decode; Enter and keypad Enter end the line", async (t) => {
  t.strictSame(linesOf(typed("0A1B2C3D\n")), [{ line: "0A1B2C3D" }]);
  t.strictSame(linesOf(typed("0a1b2c3d\n")), [{ line: "0a1b2c3d" }]);
  t.strictSame(linesOf(typed("012,34567\n")), [{ line: "012,34567" }]);
  t.strictSame(linesOf(typed("ID=42\n")), [{ line: "ID=42" }]);
  t.strictSame(linesOf(typed("42\n", { keypad: true, enter: KEY_KPENTER })), [{ line: "42" }]);
  t.strictSame(linesOf(typed("1\n2\n")), [{ line: "1" }, { line: "2" }]);
  t.strictSame(linesOf(typed("1\n", { size: 16 }), 16), [{ line: "1" }], "16-byte records on 32-bit boxes");
});

t.test("autorepeat is ignored and unknown keys poison the line instead of vanishing", async (t) => {
  t.strictSame(linesOf(typed("12\n", { repeatEach: 3 })), [{ line: "12" }]);
  const f1 = typed("1\n", { extraKeys: [59] }); // F1 before the digit
  t.strictSame(linesOf(f1), [{ line: `${UNKNOWN_KEY}1` }]);
});

t.test("a line too long is dropped once, and the next line reads", async (t) => {
  const results = linesOf(typed(`${"9".repeat(100)}\n0012345678\n`));
  t.strictSame(results, [{ overflow: true }, { line: "0012345678" }]);
});

t.test("a pause inside a number drops the part before it", async (t) => {
  const first = typed("0012", { startUs: 1_000_000 });
  const rest = typed("345678\n", { startUs: 3_000_000 });
  t.strictSame(linesOf(Buffer.concat([first, rest])), [{ dropped: "0012" }, { line: "345678" }]);
});

t.test("any printable number typed with Enter comes back as exactly that line", async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Za-z,=-]{1,64}$/), (text) => {
        const out = linesOf(typed(`${text}\n`));
        return out.length === 1 && "line" in out[0]! && out[0].line === text;
      }),
    ),
  );
});
