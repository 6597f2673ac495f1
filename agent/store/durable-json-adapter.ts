/**
 * A lowdb adapter whose every write is durable (temp file + fsync + rename + directory
 * fsync). lowdb's own TextFile adapter renames without fsync, which a power cut can turn
 * into an empty or stale file (a state file written without fsync is lost to the first power cut).
 *
 * A file that exists but does not parse is never silently replaced by defaults: that is
 * a corrupt store, and reading it throws CT_JOURNAL_CORRUPT.
 */
import type { Adapter } from "lowdb";
import { CardtermError } from "../../protocol/errors.js";
import { type DurableFs, nodeDurableFs, writeDurably } from "./durable-file.js";

export class DurableJsonAdapter<T> implements Adapter<T> {
  constructor(
    private readonly path: string,
    private readonly fs: DurableFs = nodeDurableFs,
    /**
     * How the document becomes text; JSON.stringify unless the document knows a cheaper
     * way. A large one may build its bytes asynchronously, a slice at a time, so the event
     * loop (sales) runs between slices (cached-json.ts, cardCacheBytes).
     */
    private readonly serialize: (data: T) => string | Uint8Array | Promise<string | Uint8Array> = JSON.stringify,
  ) {}

  async read(): Promise<T | null> {
    const text = await this.fs.readFile(this.path);
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new CardtermError("CT_JOURNAL_CORRUPT", `${this.path} is not valid JSON (${(err as Error).message})`, {
        cause: err,
      });
    }
  }

  async write(data: T): Promise<void> {
    await writeDurably(this.fs, this.path, await this.serialize(data));
  }
}
