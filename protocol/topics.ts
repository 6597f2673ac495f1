/**
 * MQTT topic names, one place for both ends and for the broker ACL.
 *
 * Everything a terminal publishes lives under `cardterm/v1/t/<terminalId>/…`, so a
 * broker ACL `pattern write cardterm/v1/t/%u/up/#` confines a terminal to its own id.
 * Correlation ids travel in payloads, not in MQTT 5 properties, so MQTT 3.1.1 brokers
 * (aedes) work too (docs/architecture.md#reconciliation-with-head-office).
 */
export const TOPIC_ROOT = "cardterm/v1";

export const topics = {
  /** terminal → server: a batch of journal entries (QoS 1). */
  journal: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/up/journal`,
  /** terminal → server: online authorisation request (QoS 1). */
  authRequest: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/up/auth`,
  /** terminal → server: a till operation needing the server (top-up, refund, void, balance; QoS 1). */
  tillOp: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/up/op`,
  /** server → terminal: the answer to a till operation. */
  tillOpReply: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/down/op`,
  /** terminal → anyone: retained presence, `online` / `offline` (last will). */
  presence: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/up/presence`,
  /** terminal → server: heartbeat with device status and queue depth. */
  heartbeat: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/up/heartbeat`,
  /** server → terminal: application ack of the highest contiguous sequence applied. */
  ack: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/down/ack`,
  /** server → terminal: answer to an authorisation request. */
  authReply: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/down/auth`,
  /** terminal → server: `cardterm doctor` asks for the server's clock (protocol/ping.ts; QoS 1). */
  ping: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/up/ping`,
  /** server → terminal: the answer to a ping, with the server's clock. */
  pong: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/down/pong`,
  /**
   * terminal → itself: `cardterm doctor`'s broker round trip (publish, receive it back).
   * Nobody else listens; a broker ACL needs `pattern readwrite cardterm/v1/t/%u/diag/#` for it.
   */
  diagEcho: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/diag/echo`,
  /**
   * server → one terminal: retained, the operators head office lets work this till
   * (protocol/operators-doc.ts). Under the terminal's own `down/`, so the broker ACL that
   * lets a terminal read only its own replies also keeps other stores' PIN hashes from it.
   */
  operators: (terminalId: string) => `${TOPIC_ROOT}/t/${terminalId}/down/operators`,
  /** server → all terminals: retained policy document. */
  policy: () => `${TOPIC_ROOT}/policy`,
  /**
   * server → all terminals: retained full hotlist document. A terminal subscribes to it
   * only to catch up (a delta did not follow the version it holds) and unsubscribes once
   * current, so a change reaches the fleet as a delta.
   */
  hotlist: () => `${TOPIC_ROOT}/hotlist`,
  /** server → all terminals: what changed between two hotlist versions; the latest is retained. */
  hotlistDelta: () => `${TOPIC_ROOT}/hotlist/delta`,
} as const;

/** Subscriptions of the server's ingest; `+` stands for the terminal id. */
export const serverSubscriptions = {
  journal: `${TOPIC_ROOT}/t/+/up/journal`,
  authRequest: `${TOPIC_ROOT}/t/+/up/auth`,
  tillOp: `${TOPIC_ROOT}/t/+/up/op`,
  presence: `${TOPIC_ROOT}/t/+/up/presence`,
  heartbeat: `${TOPIC_ROOT}/t/+/up/heartbeat`,
  ping: `${TOPIC_ROOT}/t/+/up/ping`,
} as const;

/** The terminal id in a topic under `cardterm/v1/t/<id>/`, or undefined. */
export function terminalIdOf(topic: string): string | undefined {
  const parts = topic.split("/");
  return parts[0] === "cardterm" && parts[1] === "v1" && parts[2] === "t" && parts[3] ? parts[3] : undefined;
}

const TERMINAL_ID = /^[A-Za-z0-9_-]{1,64}$/;
export function isTerminalId(value: unknown): value is string {
  return typeof value === "string" && TERMINAL_ID.test(value);
}
