/**
 * Notices a new policy or hotlist version made outside the MQTT link — the head-office
 * API, `cardterm-hq card loss` run against the same PostgreSQL, another server instance —
 * and publishes it, so terminals learn of a lost card within one poll (default 5 s) even
 * when no ingest happens to publish. Also prunes old hotlist deltas, hourly.
 *
 * Operators likewise (issue 7): a new operators version, or a till registered or moved to
 * another store (which changes that till's list but no operator), publishes the tills'
 * operators documents whose contents changed.
 */
import type { Logger } from "pino";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";
import type { Db } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import { DEFAULT_HOTLIST_RETENTION, type HotlistRetention, pruneHotlistChanges } from "../ledger/hotlist.js";
import type { HqLink } from "../mqtt/hq-link.js";

const PRUNE_MS = 60 * 60 * 1000;

export class DocWatch {
  #seen = { policy: -1, hotlist: -1, operators: "" };
  #checking: Promise<void> | undefined;
  readonly #timers: Timer[];
  readonly #clock: Timers;

  constructor(
    private readonly db: Db,
    private readonly link: Pick<HqLink, "publishPolicy" | "publishHotlist" | "publishOperators">,
    private readonly log: Logger,
    opts: { pollMs?: number | undefined; retention?: HotlistRetention | undefined; timers?: Timers | undefined } = {},
  ) {
    const retention = opts.retention ?? DEFAULT_HOTLIST_RETENTION;
    const timers = opts.timers ?? realTimers;
    this.#clock = timers;
    this.#timers = [
      timers.setInterval(() => this.check().catch(() => {}), opts.pollMs ?? 5000).unref(),
      timers.setInterval(() => this.prune(retention), PRUNE_MS).unref(),
    ];
    // The first look only records the versions (the link published both on connect).
    this.#checking = this.#check().catch(() => {});
    this.prune(retention);
  }

  /** Publishes whichever document has a version not seen yet; resolves once handed to the client. */
  check(): Promise<void> {
    // One check at a time; a caller arriving mid-check waits for a fresh one after it.
    const run = (this.#checking ?? Promise.resolve()).then(() => this.#check());
    this.#checking = run.catch(() => {});
    return run;
  }

  async #check(): Promise<void> {
    const { rows } = await this.db.query<{ policy: unknown; hotlist: unknown; operators: unknown }>(
      `SELECT (SELECT coalesce(max(version), 0) FROM policies) AS policy,
         (SELECT version FROM hotlist_meta WHERE id = 1) AS hotlist,
         (SELECT version::text FROM operators_meta WHERE id = 1)
           || ':' || (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM terminals) AS operators`,
    );
    const policy = toSafeInt(rows[0]?.policy ?? 0, "policy version");
    const hotlist = toSafeInt(rows[0]?.hotlist ?? 0, "hotlist version");
    const operators = String(rows[0]?.operators ?? "");
    const first = this.#seen.policy < 0;
    const jobs: Promise<void>[] = [];
    // The link published both on connect: the first look only records the versions.
    if (!first && policy !== this.#seen.policy) jobs.push(this.link.publishPolicy());
    if (!first && hotlist !== this.#seen.hotlist) jobs.push(this.link.publishHotlist());
    if (!first && operators !== this.#seen.operators) jobs.push(this.link.publishOperators());
    this.#seen = { policy, hotlist, operators };
    await Promise.all(jobs);
  }

  private prune(retention: HotlistRetention): void {
    pruneHotlistChanges(this.db, retention).then(
      (n) => n > 0 && this.log.info({ rows: n }, "old hotlist deltas pruned"),
      (err: Error) => this.log.warn({ err: err.message }, "hotlist deltas not pruned"),
    );
  }

  stop(): void {
    for (const t of this.#timers) this.#clock.clearInterval(t);
  }
}
