/** Formatters by time zone: building an Intl.DateTimeFormat costs ~0.05 ms, once per zone is enough. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The store's calendar date for a moment, in its time zone: YYYY-MM-DD. */
export function businessDay(at: number, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** MM-DD of a business day, to compare with a member's birthday. */
export function monthDay(day: string): string {
  return day.slice(5);
}
