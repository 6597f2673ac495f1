/**
 * Linux evdev input, decoded: `struct input_event` records (linux/input.h) into key
 * presses, and key presses into the lines a keyboard-wedge reader types. Pure functions
 * and a small state machine over bytes, tested on recorded-format fixtures.
 *
 * struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; } is
 * 24 bytes where `long` is 64-bit (x86_64, arm64: tv_sec 8, tv_usec 8) and 16 bytes on
 * 32-bit boxes (armv7, i386: 4 + 4), little-endian on every arch a POS box runs.
 *
 * Key codes and the US layout are linux/input-event-codes.h; a wedge reader is a USB HID
 * keyboard, so it types in the layout the kernel gives it, which is US (HID usage →
 * keycode does not depend on the console keymap). Value 1 is a press, 0 a release, 2 an
 * autorepeat (a reader never holds a key: repeats are ignored).
 */

export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_MSC = 0x04;
export const KEY_ENTER = 28;
export const KEY_KPENTER = 96;
export const KEY_LEFTSHIFT = 42;
export const KEY_RIGHTSHIFT = 54;

export interface InputEvent {
  /** Kernel time of the event in microseconds (CLOCK_REALTIME unless changed). */
  timeUs: number;
  type: number;
  code: number;
  value: number;
}

/** Bytes per input_event on this (or the given) arch. */
export function inputEventSize(arch: string = process.arch): 16 | 24 {
  return arch === "arm" || arch === "ia32" || arch === "x32" ? 16 : 24;
}

/** Whole records from `bytes`, and the bytes of an incomplete last record to carry over. */
export function decodeInputEvents(
  bytes: Buffer,
  size: 16 | 24 = inputEventSize(),
): { events: InputEvent[]; rest: Buffer } {
  const events: InputEvent[] = [];
  let at = 0;
  for (; at + size <= bytes.length; at += size) {
    const wide = size === 24;
    const sec = wide ? Number(bytes.readBigInt64LE(at)) : bytes.readInt32LE(at);
    const usec = wide ? Number(bytes.readBigInt64LE(at + 8)) : bytes.readInt32LE(at + 4);
    const off = wide ? 16 : 8;
    events.push({
      timeUs: sec * 1_000_000 + usec,
      type: bytes.readUInt16LE(at + off),
      code: bytes.readUInt16LE(at + off + 2),
      value: bytes.readInt32LE(at + off + 4),
    });
  }
  return { events, rest: Buffer.from(bytes.subarray(at)) };
}

/** One record, as the kernel writes it: for fixtures and tests. */
export function encodeInputEvent(event: InputEvent, size: 16 | 24 = inputEventSize()): Buffer {
  const out = Buffer.alloc(size);
  const sec = Math.floor(event.timeUs / 1_000_000);
  const usec = event.timeUs - sec * 1_000_000;
  if (size === 24) {
    out.writeBigInt64LE(BigInt(sec), 0);
    out.writeBigInt64LE(BigInt(usec), 8);
  } else {
    out.writeInt32LE(sec, 0);
    out.writeInt32LE(usec, 4);
  }
  const off = size === 24 ? 16 : 8;
  out.writeUInt16LE(event.type, off);
  out.writeUInt16LE(event.code, off + 2);
  out.writeInt32LE(event.value, off + 4);
  return out;
}

/** US layout: keycode → [unshifted, shifted]. Only what card numbers and regex prefixes use. */
const ROWS: [number, string, string][] = [
  [2, "1234567890-=", "!@#$%^&*()_+"],
  [16, "qwertyuiop", "QWERTYUIOP"],
  [30, "asdfghjkl;", "ASDFGHJKL:"],
  [44, "zxcvbnm,./", "ZXCVBNM<>?"],
];
const KEYPAD: Record<number, string> = {
  71: "7",
  72: "8",
  73: "9",
  74: "-",
  75: "4",
  76: "5",
  77: "6",
  79: "1",
  80: "2",
  81: "3",
  82: "0",
  83: ".",
};
export const US_KEYMAP: ReadonlyMap<number, readonly [string, string]> = (() => {
  const map = new Map<number, readonly [string, string]>();
  for (const [first, plain, shifted] of ROWS) {
    for (let i = 0; i < plain.length; i++) map.set(first + i, [plain[i]!, shifted[i]!]);
  }
  for (const [code, ch] of Object.entries(KEYPAD)) map.set(Number(code), [ch, ch]);
  map.set(57, [" ", " "]);
  return map;
})();

/** A key the keymap does not know stands in the line as this char, which no id format accepts. */
export const UNKNOWN_KEY = "\u0000";

export interface KeyLineOptions {
  /** Chars before the rest of a line is dropped (a stuck key, a reader without Enter). */
  maxChars: number;
  /** A pause longer than this inside a line drops what was typed before it (a reader types a number in well under 100 ms). */
  maxGapUs: number;
}

export type KeyLineResult = { line: string } | { overflow: true } | { dropped: string };

/**
 * Key presses → lines ended by Enter. Feed events in order; each finished line, each
 * overflow and each partial line dropped for a pause is returned once.
 */
export class KeyLineDecoder {
  private text = "";
  private shift = 0;
  private lastKeyUs: number | undefined;
  private overflowed = false;

  constructor(private readonly options: KeyLineOptions) {}

  push(events: readonly InputEvent[]): KeyLineResult[] {
    const out: KeyLineResult[] = [];
    for (const event of events) {
      if (event.type !== EV_KEY) continue;
      const result = this.key(event);
      if (result) out.push(result);
    }
    return out;
  }

  private key(event: InputEvent): KeyLineResult | undefined {
    if (event.code === KEY_LEFTSHIFT || event.code === KEY_RIGHTSHIFT) {
      this.shift = event.value === 0 ? Math.max(0, this.shift - 1) : event.value === 1 ? this.shift + 1 : this.shift;
      return undefined;
    }
    if (event.value !== 1) return undefined;
    const dropped = this.dropIfPaused(event.timeUs);
    this.lastKeyUs = event.timeUs;
    if (event.code === KEY_ENTER || event.code === KEY_KPENTER) return dropped ?? this.endLine();
    if (this.overflowed) return dropped;
    const keys = US_KEYMAP.get(event.code);
    this.text += keys === undefined ? UNKNOWN_KEY : keys[this.shift > 0 ? 1 : 0];
    if (this.text.length > this.options.maxChars) {
      this.overflowed = true;
      this.text = "";
      return { overflow: true };
    }
    return dropped;
  }

  private endLine(): KeyLineResult | undefined {
    const line = this.text;
    const overflowed = this.overflowed;
    this.text = "";
    this.overflowed = false;
    if (overflowed) return undefined; // already reported when it overflowed
    return { line };
  }

  private dropIfPaused(timeUs: number): KeyLineResult | undefined {
    if (this.lastKeyUs === undefined || timeUs - this.lastKeyUs <= this.options.maxGapUs) return undefined;
    if (this.text === "" && !this.overflowed) return undefined;
    const dropped = this.text;
    this.text = "";
    this.overflowed = false;
    return { dropped };
  }
}
