/**
 * Types for the part of nfc-pcsc 0.8 (which ships none) that ./pcsc-loader.ts uses. The
 * package is an optional dependency: this declares its shape, it does not make it present.
 * Source: node_modules/nfc-pcsc/src/{NFC,Reader}.js.
 */
declare module "nfc-pcsc" {
  import type { EventEmitter } from "node:events";

  export interface NfcLogger {
    log(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
  }

  /** What `card` carries with autoProcessing off: the ATR and nfc-pcsc's guess of the standard. */
  export interface NfcCard {
    atr?: Buffer;
    standard?: "TAG_ISO_14443_3" | "TAG_ISO_14443_4";
    type?: string;
    uid?: string;
    data?: Buffer;
  }

  export class Reader extends EventEmitter {
    readonly name: string;
    /** When false, `card` is emitted right after connecting, before any APDU. */
    autoProcessing: boolean;
    transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
    control(data: Buffer, responseMaxLength: number): Promise<Buffer>;
    /** Stops this reader's status thread; emits `end`. */
    close(): void;
    on(event: "card" | "card.off", listener: (card: NfcCard) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
    on(event: "end", listener: () => void): this;
  }

  export class NFC extends EventEmitter {
    /** Throws when pcscd refuses a context; busy-loops while pcscd is absent (see pcsc-loader.ts). */
    constructor(logger?: NfcLogger);
    close(): void;
    on(event: "reader", listener: (reader: Reader) => void): this;
    on(event: "error", listener: (err: Error) => void): this;
  }
}
