// Money in the console is an integer count of fen, as everywhere in cardterm
// (docs/architecture.md#the-domain): formatted with integer division and remainder, parsed from
// the cashier's "25.00" by a strict decimal pattern, never through a float.

/** ¥25.00 (¥1,234.50, -¥3.00) from integer fen; "—" for anything that is not an integer. */
export function formatFen(fen) {
  if (!Number.isSafeInteger(fen)) return "—";
  const abs = Math.abs(fen);
  const cents = abs % 100;
  const yuan = (abs - cents) / 100; // exact: abs - cents is a multiple of 100
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${fen < 0 ? "-" : ""}¥${grouped}.${String(cents).padStart(2, "0")}`;
}

// Up to 99,999,999.99 yuan, at most two decimals, no sign, no exponent, no leading zeros.
const AMOUNT = /^(0|[1-9]\d{0,7})(?:\.(\d{1,2}))?$/;

/**
 * "25" / "25.5" / "25.00" → 2500 / 2550 / 2500 fen; null for anything else (and for zero).
 * Full-width digits and point (１２．３), which a Chinese input method types, count as
 * their ASCII twins.
 */
export function parseYuan(text) {
  const ascii = String(text).replace(/[０-９．]/g, (c) => (c === "．" ? "." : String(c.charCodeAt(0) - 0xff10)));
  const m = AMOUNT.exec(ascii.trim());
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return fen > 0 ? fen : null;
}

/** The amount as the cashier would type it back: 2500 → "25.00" (for pre-filling a field). */
export function fenToInput(fen) {
  return formatFen(fen).replace(/^-?¥/, "").replaceAll(",", "");
}
