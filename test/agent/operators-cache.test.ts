/**
 * The till's copy of head office's operators (agent/sync/operators-cache.ts),
 * with a stand-in link and a real data directory: a newer document is stored before the
 * listener hears of it and is there again after a reopen; an older one, the same one
 * again, another till's, a malformed one and a cleared retained message change nothing;
 * the same version with other contents (the till moved store) is taken; a corrupt file
 * on disk is not used.
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import t from "tap";
import { silentLogger } from "../../agent/logger.js";
import { OperatorsCache } from "../../agent/sync/operators-cache.js";
import type { OperatorsDocument } from "../../protocol/operators-doc.js";
import { topics } from "../../protocol/topics.js";
import { tempDir } from "../helpers/temp-dir.js";

const HASH = `scrypt$1024$8$1$${"ab".repeat(16)}$${"cd".repeat(32)}`;
const doc = (version: number, ids: string[], terminalId = "T001"): OperatorsDocument => ({
  v: 1,
  terminalId,
  version,
  operators: ids.map((id) => ({ id, name: `员工${id}`, role: "cashier", pinHash: HASH, active: true })),
});

class StandInLink extends EventEmitter {
  readonly subscribed: string[] = [];
  subscribe(topic: string): void {
    this.subscribed.push(topic);
  }
  deliver(payload: string, terminalId = "T001"): void {
    this.emit("message", topics.operators(terminalId), Buffer.from(payload));
  }
}

t.test("newer documents stored then announced; the rest changes nothing", async (t) => {
  const dir = await tempDir(t);
  const cache = await OperatorsCache.open(dir, "T001", silentLogger());
  const link = new StandInLink();
  cache.attach(link as never);
  t.same(link.subscribed, [topics.operators("T001")], "its own topic only");
  t.equal(cache.version(), null, "nothing held yet");

  let storedWhenHeard: string | undefined;
  cache.onChange(() => {
    storedWhenHeard = readFileSync(`${dir}/operators.json`, "utf8");
  });
  link.deliver(JSON.stringify(doc(5, ["A", "B"])));
  await cache.idle();
  t.equal(cache.version(), 5);
  t.match(JSON.parse(storedWhenHeard ?? "{}"), { version: 5 }, "on disk before the listener ran");

  const listened: number[] = [];
  cache.onChange((d) => listened.push(d.version)); // called at once with what is held
  link.deliver(JSON.stringify(doc(4, ["A"])));
  link.deliver(JSON.stringify(doc(5, ["B", "A"])));
  link.deliver(JSON.stringify(doc(9, ["Z"], "T002")));
  link.deliver("{not json");
  link.deliver(JSON.stringify({ ...doc(7, ["A"]), operators: [{ id: "A", active: true }] }));
  link.deliver("");
  await cache.idle();
  t.same(listened, [5], "older, the same reordered, another till's, malformed, incomplete, cleared: ignored");
  t.same(
    cache.current()?.operators.map((o) => o.id),
    ["A", "B"],
  );

  link.deliver(JSON.stringify(doc(5, ["A", "C"])));
  await cache.idle();
  t.same(listened, [5, 5], "the same version with other contents: taken (the till moved store)");
  t.same(
    cache.current()?.operators.map((o) => o.id),
    ["A", "C"],
  );

  const reopened = await OperatorsCache.open(dir, "T001", silentLogger());
  const atOpen: string[][] = [];
  reopened.onChange((d) => atOpen.push(d.operators.map((o) => o.id)));
  t.same(atOpen, [["A", "C"]], "after a restart: the stored document, at once");
});

t.test("a corrupt or foreign file on disk is not used", async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    `${dir}/operators.json`,
    '{"v":1,"terminalId":"T001","version":3,"operators":[{"id":"A","active":true}]}',
  );
  t.equal((await OperatorsCache.open(dir, "T001", silentLogger())).current(), undefined, "incomplete entry");
  await writeFile(`${dir}/operators.json`, JSON.stringify(doc(3, ["A"], "T009")));
  t.equal((await OperatorsCache.open(dir, "T001", silentLogger())).current(), undefined, "another till's");
  await writeFile(`${dir}/operators.json`, JSON.stringify(doc(3, ["A"])));
  t.equal((await OperatorsCache.open(dir, "T001", silentLogger())).version(), 3);
});
