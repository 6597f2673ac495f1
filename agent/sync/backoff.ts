/** The backoff lives in protocol/backoff.ts, shared with head office's MQTT link. */
export { Backoff, type BackoffOptions } from "../../protocol/backoff.js";
