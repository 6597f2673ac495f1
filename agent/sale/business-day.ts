/** The store's calendar date for a moment, in its time zone: YYYY-MM-DD. */
export function businessDay(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** MM-DD of a business day, to compare with a member's birthday. */
export function monthDay(day: string): string {
  return day.slice(5);
}
