/** A tiny client for the agent's local API, as a POS app would call it. */
export interface SaleReply {
  approved: boolean;
  mode: "online" | "offline";
  txnId: string;
  code?: string;
  reason?: string;
  balanceAfter?: number | null;
  transaction?: { seq: number; gross: number; discount: number; net: number; pointsEarned: number };
  receipt?: { jobId: string; printed: boolean | "queued"; previewPng?: string; error?: string } | null;
}

export async function postSale(
  baseUrl: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: SaleReply & { message?: string } }> {
  const res = await fetch(`${baseUrl}/api/v1/sales`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as SaleReply & { message?: string } };
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}
