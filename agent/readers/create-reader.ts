/** One reader driver per configured reader; every driver gets the agent's clock and a child logger. */
import type { ReaderConfig } from "../../config/agent-config.js";
import type { CardReader } from "../../drivers/readers/card-reader.js";
import { SerialIdReader } from "../../drivers/readers/serial-id-reader.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import type { Logger } from "../logger.js";

export function createReader(config: ReaderConfig, now: () => number, log: Logger): CardReader {
  switch (config.type) {
    case "simulated":
      return new SimulatedReader(config.id, now);
    case "serial-id": {
      const child = log.child({ c: "reader", reader: config.id });
      return new SerialIdReader(config, {
        now,
        log: (level, msg, fields) => child[level]?.(fields ?? {}, msg),
      });
    }
  }
}
