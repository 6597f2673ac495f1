/** The backoff lives in lib/backoff.ts, shared with head office's MQTT link. */
export { Backoff, type BackoffOptions } from "../../lib/backoff.js";
