/**
 * The operators' row: does this till ask anyone to log in (agent/operators/open-till.ts)?
 * The running agent knows (config plus head office's operators); without it the doctor
 * reads the same two places — the config and head office's stored operators document in
 * the data dir.
 */
import type { AgentConfig } from "../../config/agent-config.js";
import { silentLogger } from "../logger.js";
import { openTill } from "../operators/open-till.js";
import { OperatorsCache } from "../sync/operators-cache.js";
import type { AgentStatusView } from "./agent-probe.js";
import type { CheckContext, DoctorCheck, Finding } from "./doctor-row.js";
import { sayIn } from "./doctor-row.js";

export interface OperatorsCheckOptions {
  config: AgentConfig;
  label: string;
  agent: AgentStatusView | null;
}

export function operatorsCheck(o: OperatorsCheckOptions): DoctorCheck {
  return { check: "operators", label: o.label, via: via(o), run: (ctx) => run(o, ctx) };
}

function via(o: OperatorsCheckOptions) {
  return o.agent?.operators ? ("agent" as const) : ("direct" as const);
}

async function run(o: OperatorsCheckOptions, ctx: CheckContext): Promise<Finding> {
  const say = sayIn(ctx.lang);
  const fromHq = o.agent?.operators ? null : await storedHqOperators(o.config);
  const loginRequired = o.agent?.operators?.loginRequired ?? (o.config.operators.length > 0 || (fromHq ?? 0) > 0);
  const judged = openTill({ loginRequired, token: o.config.api.token, host: o.config.api.host }, ctx.lang);
  if (judged.level === "closed") {
    const where =
      fromHq === null
        ? say("运行中的代理确认", "the running agent says so")
        : say(
            `配置中 ${o.config.operators.length} 名，总部下发 ${fromHq} 名`,
            `${o.config.operators.length} in the config, ${fromHq} from head office`,
          );
    return { verdict: "PASS", via: via(o), detail: `${say("收银需要操作员登录", "log-in required")} (${where})` };
  }
  return {
    verdict: judged.level === "fail" ? "FAIL" : "WARN",
    via: via(o),
    code: "CT_NO_OPERATORS",
    detail: judged.detail,
    fix: judged.fix,
  };
}

/** How many operators head office has sent this till (any, even disabled: they still close it). */
async function storedHqOperators(config: AgentConfig): Promise<number> {
  const cache = await OperatorsCache.open(config.terminal.dataDir, config.terminal.id, silentLogger());
  let count = 0;
  cache.onChange((doc) => {
    count = doc.operators.length;
  });
  return count;
}
