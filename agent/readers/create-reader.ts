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

/**
 * The child logger carries `reader`; the drivers name their reader in their fields too
 * (they also log without a child). pino writes both, so every line had the key twice
 * (issue 15): the driver's copy is dropped when it is this reader's id, and kept under
 * another name in the odd case it is not.
 */
function readerLog(log: Logger, id: string): ReaderLog {
  const child = log.child({ c: "reader", reader: id });
  return (level, msg, fields) => {
    const { reader, ...rest } = fields ?? {};
    child[level]?.(reader === undefined || reader === id ? rest : { ...rest, otherReader: reader }, msg);
  };
}
