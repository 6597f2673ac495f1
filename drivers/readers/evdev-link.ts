/**
 * An evdev keyboard opened for the keyboard-wedge driver, with the exclusive grab
 * (EVIOCGRAB) that keeps the typed number away from the POS app in the foreground.
 *
 * Node has no ioctl, and a native addon would need a compiler on every box. The grab
 * is therefore done by a small Perl loop in a child process: perl-base is Essential on
 * Debian (always installed, no build), its `ioctl` builtin issues EVIOCGRAB on the
 * device it opened, and it copies the raw `struct input_event` bytes to its stdout,
 * which Node reads as a pipe. That also keeps the blocking evdev read off libuv's small
 * thread pool. The grab belongs to the open file: it ends when the child exits, and the
 * child exits when its stdout closes, when the device goes (ENODEV), or — checked every
 * second — when the agent that started it is gone, so an orphan never keeps the keyboard.
 *
 * Alternatives weighed: `evtest --grab` (an extra package, and text to parse instead of
 * the raw records); python3-evdev (a dependency, and python3 is not on every box);
 * reading without a grab (the digits would also be typed into the POS app).
 *
 * The child's stderr says "ready" once the device is open (and grabbed), or why not:
 * `open: <errno text>`, `grab: <errno text>`, `read: <errno text>`.
 */
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";

/** _IOW('E', 0x90, int) from linux/input.h; the same number on x86 and ARM. */
export const EVIOCGRAB = 0x40044590;

const PERL_HELPER = `
use strict;
my ($path, $grab) = @ARGV;
open(my $fh, '<:raw', $path) or do { print STDERR "open: $!\\n"; exit 3 };
if ($grab) { ioctl($fh, ${EVIOCGRAB}, 1) or do { print STDERR "grab: $!\\n"; exit 4 } }
$| = 1;
print STDERR "ready\\n";
my $parent = getppid();
my $rin = '';
vec($rin, fileno($fh), 1) = 1;
while (1) {
  my $n = select(my $rout = $rin, undef, undef, 1);
  exit 0 if getppid() != $parent;
  next if $n <= 0;
  my $got = sysread($fh, my $buf, 4096);
  if (!defined $got) { print STDERR "read: $!\\n"; exit 5 }
  if ($got == 0) { print STDERR "read: end of file\\n"; exit 6 }
  defined(syswrite(STDOUT, $buf)) or exit 0;
}
`;

export interface EvdevLink {
  /** Raw input_event bytes from the device. */
  readonly readable: Readable;
  /** Called once when the device goes away (unplugged, read error, helper died). */
  onLost(listener: (err: Error) => void): void;
  /** Releases the device (and the grab); never rejects. */
  close(): Promise<void>;
}

export class EvdevOpenError extends Error {
  constructor(
    message: string,
    /** `missing`: the helper cannot run on this box (permanent); `device`: the device refused (retry). */
    readonly kind: "missing" | "device",
  ) {
    super(message);
  }
}

/** Opens a device; rejects with EvdevOpenError when it cannot be opened or grabbed. */
export type EvdevOpener = (path: string, grab: boolean) => Promise<EvdevLink>;

const READY_TIMEOUT_MS = 5_000;

export const openEvdev: EvdevOpener = (path, grab) =>
  new Promise((resolve, reject) => {
    const child = spawn("perl", ["-e", PERL_HELPER, path, grab ? "1" : "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let ready = false;
    let lostListener: ((err: Error) => void) | undefined;
    let exitError: Error | undefined;
    const exited = new Promise<void>((r) => child.once("close", () => r()));
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill("SIGKILL");
      reject(new EvdevOpenError(`${path} did not open within ${READY_TIMEOUT_MS} ms`, "device"));
    }, READY_TIMEOUT_MS);
    child.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const missing = err.code === "ENOENT";
      const why = missing ? "perl is not installed (apt-get install perl-base)" : err.message;
      reject(new EvdevOpenError(why, missing ? "missing" : "device"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (!ready && stderr.includes("ready\n")) {
        ready = true;
        clearTimeout(timer);
        resolve(link);
      }
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const why = stderr.replace("ready\n", "").trim() || `helper exited (${signal ?? code})`;
      exitError = new Error(why);
      if (!ready) reject(new EvdevOpenError(why, "device"));
      else lostListener?.(exitError);
    });
    const link: EvdevLink = {
      readable: child.stdout,
      onLost(listener) {
        lostListener = listener;
        if (exitError) listener(exitError);
      },
      async close() {
        lostListener = undefined;
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await exited;
      },
    };
  });
