/**
 * The journal's row: integrity of the files on the box now — the chain, the sequence, the
 * MACs — through the read-only open `cardterm journal verify` uses (safe while the agent
 * runs: nothing is repaired or written), then how much waits for the server and for how
 * long. Entries waiting longer than the offline age limit mean the upload is stuck.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import { TerminalLedger } from "../journal/terminal-ledger.js";
import type { AgentStatusView } from "./agent-probe.js";
import type { CheckContext, DoctorCheck, Finding } from "./doctor-row.js";
import { sayIn, shortDuration } from "./doctor-row.js";

export interface JournalCheckOptions {
  config: AgentConfig;
  label: string;
  agent: AgentStatusView | null;
}

export function journalCheck(o: JournalCheckOptions): DoctorCheck {
  return { check: "journal", label: o.label, via: o.agent ? "agent+direct" : "direct", run: (ctx) => run(o, ctx) };
}

async function run(o: JournalCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  const via = o.agent ? "agent+direct" : "direct";
  const { dataDir, id, key } = o.config.terminal;
  const ledger = await TerminalLedger.open({ dataDir, terminalId: id, key, readOnly: true });
  try {
    const integrity = ledger.checkIntegrity();
    if (!integrity.ok) {
      // Where it failed, and what still verifies and goes to the server (docs/reconciliation.md).
      const at =
        integrity.failedSeq === null ? "" : say(`于第 ${integrity.failedSeq} 笔`, ` at seq ${integrity.failedSeq}`);
      // The running agent's count when it answers: its acks are in memory only (the files stay as found).
      const pending = o.agent?.journal.pending ?? ledger.pending().length;
      return {
        verdict: "FAIL",
        via,
        code: "CT_JOURNAL_CORRUPT",
        detail: [
          `${dataDir}: ${say("交易日志校验失败", "journal integrity failed")}${at} (${integrity.reason}): ${integrity.problem}`,
          say(`${pending} 笔校验无误的交易待上传`, `${pending} verified entries pending upload`),
        ].join("; "),
        fix: say(
          "不要删除交易日志，其中有未上传的金额；把这一行的内容告诉总部技术支持（cardterm journal verify 可再次检查）",
          "do not delete the journal: it holds unsynced money. Call head office support with this line (cardterm journal verify checks again)",
        ),
      };
    }
    const s = ledger.summary();
    const oldest = ledger.pending()[0];
    const parts = [
      say(
        `完整（下一笔 #${s.nextSeq}，已确认至 #${s.ackedSeq}）`,
        `sound (next #${s.nextSeq}, acknowledged through #${s.ackedSeq})`,
      ),
      say(`${s.pending} 笔待上传`, `${s.pending} pending`),
    ];
    const age = oldest ? ctx.now() - Date.parse(oldest.at) : 0;
    if (oldest) parts.push(say(`最早一笔已等待 ${shortDuration(age)}`, `oldest unsynced ${shortDuration(age)} old`));
    const rejected = o.agent?.journal.rejected ?? [];
    if (rejected.length > 0) {
      parts.push(say(`服务器拒收 ${rejected.length} 笔`, `${rejected.length} refused by the server`));
      return {
        verdict: "WARN",
        via,
        detail: parts.join("; "),
        fix: say(
          "服务器拒收了交易：把这一行告诉总部技术支持",
          "the server refused entries: call head office support with this line",
        ),
      };
    }
    if (oldest && age > o.config.offline.maxOfflineAgeMs) {
      return {
        verdict: "WARN",
        via,
        code: "CT_SERVER_TIMEOUT",
        detail: parts.join("; "),
        fix: say(
          "交易等待上传的时间超过了离线时限：先解决消息服务器和中心服务器两行的问题",
          "entries have waited longer than the offline age limit: fix the broker and server rows first",
        ),
      };
    }
    return { verdict: "PASS", via, detail: parts.join("; ") };
  } finally {
    await ledger.close();
  }
}
