/**
 * The demo's count package (次卡): 10 car washes on 张伟's gold card, so README's
 * count-card sale (`"countUse": {"packageId": "P100001"}`) works on a fresh demo. Granted
 * through head office's own operation, not written into the ledger, and only when the
 * account has no package yet — a demo restarted on its old state keeps what was used.
 *
 * Its id comes from the ledger's package sequence (the first one is P100001), so a package
 * head office grants next gets P100002 instead of colliding with a fixed id.
 */
import { grantPackage, listPackages } from "../server/backoffice/count-packages.js";
import type { Db } from "../server/db/db.js";

export const DEMO_PACKAGE = { cardId: "ic:04A1B2C3", service: "洗车", uses: 10 } as const;

export async function seedDemoPackage(db: Db): Promise<string> {
  const held = await listPackages(db, { cardId: DEMO_PACKAGE.cardId });
  if (held.length > 0) return held[held.length - 1]!.packageId;
  const granted = await grantPackage(db, { ...DEMO_PACKAGE }, { id: "demo", via: "cli" });
  return granted.packageId;
}
