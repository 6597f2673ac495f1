import { Transform, type TransformCallback } from "node:stream";

/** Bytes without a delimiter before the rest of the line is discarded (ids are ≤ 64 chars). */
export const MAX_LINE_BYTES = 256;
/**
 * Caps how much of one line reaches the line parser: DelimiterParser buffers until it
 * sees a delimiter, so a reader stuck sending bytes (or a wrong delimiter) would grow it
 * without bound. Past `maxLineBytes` this ends the line early (the parser then emits it,
 * and it is refused as oversized) and drops bytes up to and including the next delimiter.
 * Delimiter matching restarts on a mismatch, which is exact for `\r\n`, `\n` and `\r`.
 */
export class LineLengthGuard extends Transform {
  private lineBytes = 0;
  private matched = 0;
  private discarding = false;

  constructor(
    private readonly delimiter: Buffer,
    private readonly maxLineBytes: number,
    private readonly onOverflow: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      this.matched = byte === this.delimiter[this.matched] ? this.matched + 1 : byte === this.delimiter[0] ? 1 : 0;
      if (this.matched === this.delimiter.length) {
        this.matched = 0;
        this.lineBytes = 0;
        if (this.discarding) start = i + 1;
        this.discarding = false;
      } else if (!this.discarding && ++this.lineBytes > this.maxLineBytes) {
        out.push(chunk.subarray(start, i), this.delimiter);
        this.discarding = true;
        this.onOverflow();
      }
    }
    if (!this.discarding && start < chunk.length) out.push(chunk.subarray(start));
    if (out.length > 0) this.push(Buffer.concat(out));
    callback();
  }
}
