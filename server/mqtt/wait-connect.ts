/**
 * Waits for an MQTT.js client's first connection, or fails after `timeoutMs` with the
 * last error the client saw (bad credentials, refused connection, …).
 */
import type { MqttClient } from "mqtt";
import { realTimers, type Timers } from "../../lib/timers.js";
import { CardtermError } from "../../protocol/errors.js";

export function waitForConnect(
  client: MqttClient,
  timeoutMs: number,
  url: string,
  timers: Timers = realTimers,
): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const cleanup = () => {
      timers.clearTimeout(timer);
      client.off("connect", onConnect);
      client.off("error", onError);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const timer = timers.setTimeout(() => {
      cleanup();
      const why = lastError ? `: ${lastError.message}` : "";
      reject(
        new CardtermError(
          "CT_SERVER_TIMEOUT",
          `MQTT broker ${url} did not accept a connection within ${timeoutMs} ms${why}`,
        ),
      );
    }, timeoutMs);
    client.on("connect", onConnect);
    client.on("error", onError);
  });
}
