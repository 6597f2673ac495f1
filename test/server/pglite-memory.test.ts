/**
 * The embedded ledger's PostgreSQL runs with a buffer pool sized for it:
 * PGlite's stock shared_buffers is 128 MB inside the WASM heap, which the demo filled with
 * pages it reads once (~150 MB of its ~390 MB). On disk and in memory alike, 16 MB; and a
 * ledger bigger than that still answers (pages beyond the pool are read again, not lost).
 */
import t from "tap";
import { openPgliteDb } from "../../server/db/pglite-db.js";
import { tempDir } from "../helpers/temp-dir.js";

const shared = async (db: Awaited<ReturnType<typeof openPgliteDb>>) =>
  (await db.query<{ shared_buffers: string }>("SHOW shared_buffers")).rows[0]?.shared_buffers;

t.test("the embedded ledger's buffer pool is 16 MB, on disk and in memory", async (t) => {
  const memory = await openPgliteDb();
  t.teardown(() => memory.close());
  t.equal(await shared(memory), "16MB");
  const disk = await openPgliteDb(`${await tempDir(t)}/ledger`);
  t.teardown(() => disk.close());
  t.equal(await shared(disk), "16MB");
  // ~40 MB of rows, more than the pool holds: written and read back whole.
  await disk.query("CREATE TABLE big (id int PRIMARY KEY, pad text)");
  await disk.query("INSERT INTO big SELECT g, repeat('x', 2000) FROM generate_series(1, 20000) g");
  const { rows } = await disk.query<{ n: number; total: number }>(
    "SELECT count(*)::int AS n, sum(length(pad))::int AS total FROM big",
  );
  t.same(rows[0], { n: 20000, total: 40_000_000 });
});
