/**
 * Key-event streams as a keyboard-wedge reader makes them, in the kernel's
 * `struct input_event` layout: for each key MSC_SCAN (the HID usage), KEY press,
 * SYN_REPORT, then the same for the release, ~4 ms per event as USB HID polling gives.
 * The key codes come from linux/input-event-codes.h, written out here independently of
 * the driver's keymap so that a wrong keymap fails the tests.
 */
import { encodeInputEvent } from "../../drivers/readers/input-event.js";

const EV_SYN = 0;
const EV_KEY = 1;
const EV_MSC = 4;
const MSC_SCAN = 4;
const KEY_ENTER = 28;
const KEY_LEFTSHIFT = 42;

/** US layout from input-event-codes.h: char → [keycode, shifted]. */
const CODES: Record<string, [number, boolean]> = {};
const row = (first: number, plain: string, shifted: string) => {
  for (let i = 0; i < plain.length; i++) {
    CODES[plain[i]!] = [first + i, false];
    CODES[shifted[i]!] = [first + i, true];
  }
};
row(2, "1234567890-=", "!@#$%^&*()_+"); // KEY_1 = 2 … KEY_EQUAL = 13
row(16, "qwertyuiop", "QWERTYUIOP"); // KEY_Q = 16
row(30, "asdfghjkl;", "ASDFGHJKL:"); // KEY_A = 30
row(44, "zxcvbnm,./", "ZXCVBNM<>?"); // KEY_Z = 44
const KEYPAD: Record<string, number> = {
  "7": 71,
  "8": 72,
  "9": 73,
  "4": 75,
  "5": 76,
  "6": 77,
  "1": 79,
  "2": 80,
  "3": 81,
  "0": 82,
};

export interface TypedOptions {
  startUs?: number;
  /** Microseconds between events. */
  stepUs?: number;
  size?: 16 | 24;
  /** Digits from the keypad instead of the top row. */
  keypad?: boolean;
  /** The key that ends a line on "\n" (KEY_ENTER, or KEY_KPENTER = 96). */
  enter?: number;
  /** Extra autorepeat events (value 2) after each press. */
  repeatEach?: number;
  /** Key codes pressed before the text. */
  extraKeys?: number[];
}

export function typed(text: string, opts: TypedOptions = {}): Buffer {
  const size = opts.size ?? 24;
  const step = opts.stepUs ?? 4_000;
  let time = opts.startUs ?? 1_700_000_000_000_000;
  const out: Buffer[] = [];
  const ev = (type: number, code: number, value: number) => {
    out.push(encodeInputEvent({ timeUs: time, type, code, value }, size));
    time += step;
  };
  const key = (code: number, value: number) => {
    ev(EV_MSC, MSC_SCAN, 0x70000 + code);
    ev(EV_KEY, code, value);
    ev(EV_SYN, 0, 0);
  };
  const press = (code: number, shifted: boolean) => {
    if (shifted) key(KEY_LEFTSHIFT, 1);
    key(code, 1);
    for (let i = 0; i < (opts.repeatEach ?? 0); i++) key(code, 2);
    key(code, 0);
    if (shifted) key(KEY_LEFTSHIFT, 0);
  };
  for (const code of opts.extraKeys ?? []) press(code, false);
  for (const ch of text) {
    if (ch === "\n") press(opts.enter ?? KEY_ENTER, false);
    else if (opts.keypad && KEYPAD[ch] !== undefined) press(KEYPAD[ch], false);
    else {
      const entry = CODES[ch];
      if (!entry) throw new Error(`no key for ${JSON.stringify(ch)}`);
      press(entry[0], entry[1]);
    }
  }
  return Buffer.concat(out);
}
