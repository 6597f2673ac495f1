/**
 * The PC/SC library as the driver needs it, kept behind a small interface so the driver never
 * imports nfc-pcsc itself (docs/architecture.md#what-may-import-what) and a box without it
 * still runs.
 *
 * nfc-pcsc is an *optional* dependency: its native module (@pokusew/pcsclite) builds only
 * where libpcsclite-dev is installed, and `npm ci` silently leaves the package out where
 * it is not. So it is imported dynamically, and a failure becomes a CT_READER_UNAVAILABLE
 * error that names exactly what to install.
 *
 * Two traps in @pokusew/pcsclite 0.6 decide how it is used:
 * - its constructor retries SCardEstablishContext in a busy loop while pcscd is absent,
 *   which freezes the event loop for good. `probePcscd` connects to pcscd's socket first
 *   (a stale socket file after a crash does not answer), so the library is only opened
 *   when a pcscd is there; a pcscd that dies in the microseconds between is the residue.
 * - the `end` of a reader is emitted while the native side holds that reader's mutex, so
 *   `close()` from inside its handler deadlocks: closing is always deferred (setImmediate).
 *   And a reader closed before its status thread has reported once leaves a libuv handle
 *   open for good (the process never exits): release waits for that first report.
 * - nfc-pcsc connects to every card on every reader it watches; a reader the driver does
 *   not take is muted (`ignore`) so that another program can have it exclusively.
 */
import { EventEmitter } from "node:events";
import net from "node:net";
import { CardtermError } from "../../protocol/errors.js";

/** One PC/SC reader (a slot), with nfc-pcsc's events: card, card.off, error, end. */
export interface PcscDevice extends EventEmitter {
  readonly name: string;
  autoProcessing: boolean;
  transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
}

/**
 * A live connection to pcscd: `reader` for each reader attached (now or later), `error`
 * when pcscd goes. Devices are released through it, never closed directly (see header).
 */
export interface PcscService extends EventEmitter {
  /** Not ours: never connect to the cards put on it. */
  ignore(device: PcscDevice): void;
  /** Stop watching a reader (after its `end`, or when dropping it). */
  release(device: PcscDevice): Promise<void>;
  /** Release every reader, then the connection itself. */
  close(): Promise<void>;
}

export interface PcscLibrary {
  /** Connect to pcscd. Call only after `probePcscd` said yes (see the header). */
  open(): PcscService;
}

export type LoadPcscLibrary = () => Promise<PcscLibrary>;

/** pcscd's client socket: libpcsclite honours PCSCLITE_CSOCK_NAME, and so does this. */
export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env["PCSCLITE_CSOCK_NAME"] ?? "/run/pcscd/pcscd.comm";
}

/** True when pcscd accepts a connection on its socket (a systemd socket unit also counts). */
export function probePcscd(path = pcscdSocketPath(), timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const quietLogger = { log() {}, debug() {}, info() {}, warn() {}, error() {} };
/** How long a release waits for a reader's first status before closing it anyway. */
const FIRST_STATUS_WAIT_MS = 2_000;
/** A connection is not closed younger than this (see NfcPcscService.close). */
const SERVICE_SETTLE_MS = 250;

/** Import nfc-pcsc; throws CT_READER_UNAVAILABLE saying what to install when it cannot load. */
export const loadNfcPcsc: LoadPcscLibrary = async () => {
  let mod: typeof import("nfc-pcsc");
  try {
    mod = await import("nfc-pcsc");
  } catch (err) {
    throw new CardtermError("CT_READER_UNAVAILABLE", unavailableAdvice(err), { cause: err });
  }
  const NFC = mod.NFC ?? (mod as unknown as { default?: typeof mod }).default?.NFC;
  if (typeof NFC !== "function") {
    throw new CardtermError("CT_READER_UNAVAILABLE", "the nfc-pcsc package has no NFC class; reinstall the agent");
  }
  return { open: () => new NfcPcscService(new NFC(quietLogger)) };
};

/** The native reader under an nfc-pcsc Reader (nfc-pcsc 0.8: `reader.reader`). */
type Native = EventEmitter & { close?: () => void };

interface Watched {
  device: PcscDevice & { close(): void };
  /** Resolves once the native status thread has reported (or ended). */
  started: Promise<void>;
  /** nfc-pcsc's own status handlers, removed by `ignore`. */
  nfcStatusListeners: ((...args: unknown[]) => void)[];
  native: Native | undefined;
}

/**
 * Every native object not yet closed. A native reader or context that is garbage-collected
 * unclosed joins its status thread from the destructor after cancelling the wrong context,
 * which can block the event loop for good; holding them until closed rules that out.
 */
const unclosed = new Set<object>();

class NfcPcscService extends EventEmitter implements PcscService {
  private readonly watched = new Map<PcscDevice, Watched>();
  private closed: Promise<void> | undefined;
  private readonly openedAt = Date.now();

  constructor(private readonly nfc: import("nfc-pcsc").NFC) {
    super();
    unclosed.add(nfc);
    nfc.on("reader", (reader) => {
      unclosed.add(reader);
      const device = reader as unknown as Watched["device"];
      const native = (reader as unknown as { reader?: Native }).reader;
      const nfcStatusListeners = (native?.listeners("status") ?? []) as Watched["nfcStatusListeners"];
      const started = new Promise<void>((resolve) => {
        if (!native) return resolve();
        native.once("status", () => resolve());
        native.once("end", () => resolve());
      });
      this.watched.set(device, { device, started, nfcStatusListeners, native });
      // A reader reported while closing would otherwise be left watching, unreleased.
      if (this.closed) void this.release(device);
      else this.emit("reader", device);
    });
    nfc.on("error", (err) => this.emit("error", err));
  }

  ignore(device: PcscDevice): void {
    const w = this.watched.get(device);
    for (const listener of w?.nfcStatusListeners ?? []) w?.native?.off("status", listener);
  }

  async release(device: PcscDevice): Promise<void> {
    const w = this.watched.get(device);
    if (!w) return;
    this.watched.delete(device);
    await Promise.race([w.started, new Promise((r) => setTimeout(r, FIRST_STATUS_WAIT_MS).unref())]);
    await onCleanStack(() => w.device.close());
    unclosed.delete(w.device);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all([...this.watched.keys()].map((d) => this.release(d)));
      // The connection's thread starts on the next tick and cancelling it before it waits
      // in SCardGetStatusChange is lost, leaving close() joining a thread that never ends.
      const young = SERVICE_SETTLE_MS - (Date.now() - this.openedAt);
      if (young > 0) await new Promise((r) => setTimeout(r, young));
      await onCleanStack(() => this.nfc.close());
      await Promise.all([...this.watched.keys()].map((d) => this.release(d))); // reported meanwhile
      unclosed.delete(this.nfc);
    })();
    return this.closed;
  }
}

function onCleanStack(fn: () => void): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      try {
        fn();
      } catch {
        // already closed, or pcscd already gone
      }
      resolve();
    }),
  );
}

/** What to install, from how the import failed. Exported for tests. */
export function unavailableAdvice(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split("\n")[0] ?? "";
  if (/libpcsclite\.so/.test(message)) {
    return `PC/SC support cannot load: the PC/SC client library is missing (${first}); install it with \`apt-get install libpcsclite1 pcscd\` and restart the agent`;
  }
  const build =
    "install `apt-get install pcscd libpcsclite-dev python3 make g++`, then reinstall the agent's packages in its directory (`npm_config_nodedir=/usr npm ci`) so that the optional nfc-pcsc and its native module @pokusew/pcsclite are built, and restart the agent";
  if (/Cannot find (package|module) 'nfc-pcsc'|ERR_MODULE_NOT_FOUND/.test(message) && /nfc-pcsc/.test(message)) {
    return `PC/SC support is not installed: the optional package nfc-pcsc is missing (npm leaves it out where libpcsclite-dev is absent); ${build}`;
  }
  if (/bindings file|pcsclite\.node|@pokusew\/pcsclite|Cannot find module/.test(message)) {
    return `PC/SC support is not built: the native module @pokusew/pcsclite is missing (${first}); ${build}`;
  }
  return `PC/SC support cannot load (${first}); ${build}`;
}
