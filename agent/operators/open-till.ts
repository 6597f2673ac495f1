/**
 * A till with no operators takes sales without any log-in (docs/operators.md: they go
 * under `terminal.operatorId`). Such tills were found in the field with nobody
 * noticing. This is the one judgement the start-up log and `cardterm doctor` share.
 *
 * Chosen: say it loudly (a warning at every start, a doctor WARN), and FAIL in the
 * doctor only where the till is open to the store's network — the API listening beyond
 * loopback with neither an API token nor a log-in, so anyone on the LAN can debit cards.
 * Not chosen: refusing to start, or requiring the API token. The token says which program
 * calls (the POS app), not which cashier, so demanding it would not give the
 * accountability that is missing; and a till that stops selling after an upgrade at
 * opening time is worse than one that sells under the default operator while its log and
 * doctor say what to fix. Operators (config or head office) are the fix.
 */
import type { Language } from "../../config/agent-config.js";

export interface OpenTillFacts {
  /** An operator is known (config, or any from head office): log-in is required. */
  loginRequired: boolean;
  /** The API token of the config (null: none). */
  token: string | null;
  /** api.host: the address the API listens on. */
  host: string;
}

export type OpenTill =
  | { level: "closed" }
  | { level: "warn" | "fail"; detail: string; fix: string; lanExposed: boolean };

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether the API answers beyond this box. */
export function listensBeyondLoopback(host: string): boolean {
  return !LOOPBACK.has(host) && !host.startsWith("127.");
}

export function openTill(f: OpenTillFacts, lang: Language = "en"): OpenTill {
  if (f.loginRequired) return { level: "closed" };
  const say = (zh: string, en: string) => (lang === "zh-CN" ? zh : en);
  const lanExposed = listensBeyondLoopback(f.host) && f.token === null;
  const detail = lanExposed
    ? say(
        `未配置操作员，也没有 API 令牌，而接口监听在 ${f.host}：店内网络上任何人都能不登录就消费、充值`,
        `no operators and no API token, and the API listens on ${f.host}: anyone on the store's network can take sales and top-ups without a log-in`,
      )
    : say(
        "未配置操作员：收银不需登录，所有交易记在默认操作员名下",
        "no operators are configured: the till takes sales without any log-in, all under the default operator",
      );
  const fix = say(
    "在总部添加本店操作员（cardterm-hq operator add …），或在配置的 operators: 中列出（docs/operators.md）" +
      (lanExposed ? "；并设置 api.token 或把 api.host 改回 127.0.0.1" : ""),
    "add this store's operators at head office (cardterm-hq operator add …) or under operators: in the config (docs/operators.md)" +
      (lanExposed ? "; and set api.token or put api.host back to 127.0.0.1" : ""),
  );
  return { level: lanExposed ? "fail" : "warn", detail, fix, lanExposed };
}

/** The start-up line: a till nobody logs in to must not start quietly. */
export function warnIfOpenTill(
  f: OpenTillFacts,
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void },
): OpenTill {
  const o = openTill(f);
  if (o.level === "closed") return o;
  const line = { code: "CT_NO_OPERATORS", fix: o.fix, apiHost: f.host, apiTokenSet: f.token !== null };
  const msg = `NO LOG-IN AT THIS TILL: ${o.detail}`;
  if (o.level === "fail") log.error(line, msg);
  else log.warn(line, msg);
  return o;
}
