/**
 * The daily report (日结 / 稽核报表, docs/daily-close.md): transactions by business day, store,
 * terminal, kind and mode. Head-office top-ups have no terminal: they show under
 * store "HQ", terminal null.
 */
import type { Queryable } from "../db/db.js";
import { toSafeInt } from "../db/int.js";
import { optionalDay } from "./validate.js";

export interface DailyFilter {
  /** Inclusive business days, YYYY-MM-DD. */
  from?: string | undefined;
  to?: string | undefined;
  storeId?: string | undefined;
  terminalId?: string | undefined;
}

export interface DailyRow {
  businessDay: string;
  storeId: string | null;
  terminalId: string | null;
  kind: string;
  mode: string;
  count: number;
  gross: number;
  discount: number;
  net: number;
  bonus: number;
  points: number;
}

export interface DailyReport {
  rows: DailyRow[];
  /** Per kind over all rows: sales and top-ups are never added together. */
  totals: Record<string, Omit<DailyRow, "businessDay" | "storeId" | "terminalId" | "kind" | "mode">>;
}

export const HQ_STORE = "HQ";

export async function dailyReport(q: Queryable, f: DailyFilter = {}): Promise<DailyReport> {
  const from = optionalDay(f.from, "from");
  const to = optionalDay(f.to, "to");
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT t.business_day, CASE WHEN t.source = 'hq' THEN '${HQ_STORE}' ELSE te.store_id END AS store_id,
       t.terminal_id, t.kind, t.mode, count(*) AS n, sum(t.gross) AS gross, sum(t.discount) AS discount,
       sum(t.net) AS net, sum(t.bonus) AS bonus, sum(t.points) AS points
     FROM transactions t LEFT JOIN terminals te ON te.id = t.terminal_id
     WHERE ($1::text IS NULL OR t.business_day >= $1) AND ($2::text IS NULL OR t.business_day <= $2)
       AND ($3::text IS NULL OR (CASE WHEN t.source = 'hq' THEN '${HQ_STORE}' ELSE te.store_id END) = $3)
       AND ($4::text IS NULL OR t.terminal_id = $4)
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2 NULLS LAST, 3 NULLS FIRST, 4, 5`,
    [from, to, f.storeId ?? null, f.terminalId ?? null],
  );
  const out: DailyRow[] = rows.map((r) => ({
    businessDay: r.business_day as string,
    storeId: r.store_id as string | null,
    terminalId: r.terminal_id as string | null,
    kind: r.kind as string,
    mode: r.mode as string,
    count: toSafeInt(r.n),
    gross: toSafeInt(r.gross),
    discount: toSafeInt(r.discount),
    net: toSafeInt(r.net),
    bonus: toSafeInt(r.bonus),
    points: toSafeInt(r.points),
  }));
  const totals: DailyReport["totals"] = {};
  for (const r of out) {
    const t = (totals[r.kind] ??= { count: 0, gross: 0, discount: 0, net: 0, bonus: 0, points: 0 });
    t.count += r.count;
    t.gross += r.gross;
    t.discount += r.discount;
    t.net += r.net;
    t.bonus += r.bonus;
    t.points += r.points;
  }
  return { rows: out, totals };
}
