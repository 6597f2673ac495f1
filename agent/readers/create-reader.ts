/** One reader driver per configured reader; every driver gets the agent's clock and a child logger. */
import type { ReaderConfig } from "../../config/agent-config.js";
import type { CardReader } from "../../drivers/readers/card-reader.js";
import { KeyboardWedgeReader } from "../../drivers/readers/keyboard-wedge-reader.js";
import { PcscReader } from "../../drivers/readers/pcsc-reader.js";
import type { ReaderLog } from "../../drivers/readers/serial-id-reader.js";
import { SerialIdReader } from "../../drivers/readers/serial-id-reader.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import type { Logger } from "../logger.js";

export function createReader(config: ReaderConfig, now: () => number, log: Logger): CardReader {
  switch (config.type) {
    case "simulated":
      return new SimulatedReader(config.id, now);
    case "serial-id":
      return new SerialIdReader(config, { now, log: readerLog(log, config.id) });
    case "pcsc":
      return new PcscReader(config, { now, log: readerLog(log, config.id) });
    case "keyboard-wedge":
      return new KeyboardWedgeReader(config, { now, log: readerLog(log, config.id) });
  }
}

function readerLog(log: Logger, id: string): ReaderLog {
  const child = log.child({ c: "reader", reader: id });
  return (level, msg, fields) => child[level]?.(fields ?? {}, msg);
}
