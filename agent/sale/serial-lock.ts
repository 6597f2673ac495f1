/** Moved below agent/ and server/ (lib/serial-lock.ts); kept until bench/ imports it from there. */
export { KeyedLock, SerialLock } from "../../lib/serial-lock.js";
