/**
 * A fleet reconnecting at once: 200 simulated terminals, each with 100 journal
 * entries queued, all start draining together into the PostgreSQL ledger through a real
 * Mosquitto and the real server — ingest entries/s and each batch's ack latency (from
 * its first send to the ack that covered it), median and p99. The floors (raw Mosquitto
 * QoS 1 and a raw batched PostgreSQL insert) are measured in the same run.
 *
 *   npx tsx bench/ingest-fleet.ts [terminals] [entries-per-terminal]
 *
 * Terminals run in two worker threads (bench/ingest-terminal.ts: the agent's own
 * MqttLink and JournalUploader over an in-memory journal), the server in the main thread.
 */
import { mosquittoFloor, postgresFloor, runTerminals, startRig } from "./ingest-rig.js";
import type { TerminalJob } from "./ingest-terminal.js";
import { fmt, printTable, summarize } from "./stats.js";

const TERMINALS = Number(process.argv[2] ?? 200);
const PER_TERMINAL = Number(process.argv[3] ?? 100);
const CASES = [
  { batchSize: 100, window: 4 },
  { batchSize: 25, window: 4 },
];

async function main(): Promise<void> {
  const rig = await startRig({ terminals: TERMINALS * CASES.length, members: 20_000, poolMax: 10 });
  try {
    const mqttSmall = await mosquittoFloor(rig.broker.url, 10_000, 300);
    const pgFloor = await postgresFloor(rig.db, 10_000, 100);
    console.log(
      `floors: Mosquitto QoS 1 300 B ${Math.round(mqttSmall)} msg/s; PostgreSQL unnest() insert ${Math.round(pgFloor)} rows/s`,
    );
    const rows: Record<string, string | number>[] = [];
    for (const [c, { batchSize, window }] of CASES.entries()) {
      const terms = rig.terminals.slice(c * TERMINALS, (c + 1) * TERMINALS);
      const jobs: TerminalJob[] = terms.map((term) => ({
        url: rig.broker.url,
        terminalId: term.id,
        keyHex: term.keyHex,
        cards: rig.cards,
        entries: PER_TERMINAL,
        batchSize,
        window,
      }));
      const { seconds, results } = await runTerminals(jobs, 2);
      await rig.hq.idle();
      for (const term of terms) {
        const state = await rig.hq.ledger.terminalState(term.id);
        if (state?.ackedSeq !== PER_TERMINAL) throw new Error(`${term.id}: acked ${state?.ackedSeq}`);
      }
      const ack = summarize(results.flatMap((r) => r.ackLatencies));
      const total = TERMINALS * PER_TERMINAL;
      rows.push({
        case: `${TERMINALS} terminals × ${PER_TERMINAL}, batch ${batchSize}, window ${window}`,
        "wall s": seconds.toFixed(2),
        "entries/s": Math.round(total / seconds),
        "vs PG floor": (total / seconds / pgFloor).toFixed(2),
        batches: ack.n,
        "ack median ms": fmt(ack.median),
        "ack p99 ms": fmt(ack.p99),
        "ack max ms": fmt(ack.max),
      });
    }
    printTable(rows);
    const discrepancies = await rig.hq.ledger.reconcile();
    console.log(`ledger reconciles: ${discrepancies.length === 0 ? "yes" : `NO (${discrepancies.length} accounts)`}`);
  } finally {
    await rig.close();
  }
}

await main();
