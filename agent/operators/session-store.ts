/**
 * The till's operator sessions on disk (`sessions.json` in the data directory), so that a
 * restarted agent does not log every cashier out. Why this is safe:
 *
 * - only a SHA-256 of each token is stored, never the token: a copy of the data directory
 *   (a backup, a support bundle) opens no session; the token lives only in the console's
 *   tab and the POS app;
 * - OperatorSessions.restore keeps a stored session only while its idle time-out has not
 *   run out — the time the agent was down counts as idle — and only while its operator is
 *   still on the roster with the same role, so a config or head-office change made while
 *   the agent was down holds at once; permissions are asked of the role table per request;
 * - a use is written at most every TOUCH_WRITE_MS (and exactly at a clean stop), so after a
 *   crash a session can only have less time left than it really had, never more;
 * - a file that cannot be read or parsed logs everyone out (logged, never guessed at).
 *
 * Writes go through writeDurably (temp file, fsync, rename), one at a time, the newest
 * state winning: a log-out is never undone by an older write landing after it.
 */
import type { Logger } from "../logger.js";
import { type DurableFs, nodeDurableFs, writeDurably } from "../store/durable-file.js";
import type { Role } from "./permissions.js";

export const SESSIONS_FILE = "sessions.json";

/** One session as stored: `key` is the SHA-256 of its token (base64url). */
export interface StoredSession {
  key: string;
  operator: { id: string; name: string; role: Role; source: "config" | "hq" };
  openedAt: number;
  lastUsedAt: number;
}

interface SessionsFileV1 {
  version: 1;
  sessions: StoredSession[];
}

export class SessionStore {
  private latest: StoredSession[] | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly fs: DurableFs,
    private readonly log: Logger,
  ) {}

  /** The store and what it held (empty when there was no file or it could not be read). */
  static async open(
    dataDir: string,
    log: Logger,
    fs: DurableFs = nodeDurableFs,
  ): Promise<{ store: SessionStore; stored: StoredSession[] }> {
    const store = new SessionStore(`${dataDir}/${SESSIONS_FILE}`, fs, log);
    let text: string | null = null;
    try {
      text = await fs.readFile(store.path);
    } catch (err) {
      log.warn({ err: (err as Error).message, file: store.path }, "sessions not readable: everyone logs in again");
    }
    return { store, stored: text === null ? [] : store.parse(text) };
  }

  /** Write this state (coalesced: only the newest pending state is written). */
  save(sessions: StoredSession[]): void {
    const first = this.latest === undefined;
    this.latest = sessions;
    if (!first) return; // a write is already queued; it takes the newest state
    this.writing = this.writing.then(() => this.writeLatest());
  }

  /** Resolves when every state saved so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private async writeLatest(): Promise<void> {
    const sessions = this.latest;
    this.latest = undefined;
    if (!sessions) return;
    const doc: SessionsFileV1 = { version: 1, sessions };
    try {
      await writeDurably(this.fs, this.path, `${JSON.stringify(doc)}\n`);
    } catch (err) {
      // Not money: a lost write only means someone logs in again after a restart.
      this.log.warn({ err: (err as Error).message, file: this.path }, "sessions not written");
    }
  }

  private parse(text: string): StoredSession[] {
    try {
      const doc = JSON.parse(text) as Partial<SessionsFileV1>;
      if (doc.version !== 1 || !Array.isArray(doc.sessions)) throw new Error("not a version 1 sessions file");
      return doc.sessions.filter(isStoredSession);
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, file: this.path },
        "sessions file unreadable: everyone logs in again",
      );
      return [];
    }
  }
}

function isStoredSession(s: unknown): s is StoredSession {
  const o = s as StoredSession;
  return (
    typeof o?.key === "string" &&
    typeof o.openedAt === "number" &&
    typeof o.lastUsedAt === "number" &&
    typeof o.operator?.id === "string" &&
    typeof o.operator.role === "string"
  );
}
