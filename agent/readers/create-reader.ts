/**
 * One reader driver per configured reader; every driver gets the agent's clock and a child
 * logger, and the config mapped onto the options it declares (drivers/ never sees config/).
 * The printer's table is agent/receipts/printer-registry.ts.
 */
import type {
  KeyboardWedgeReaderConfig,
  PcscReaderConfig,
  ReaderConfig,
  SerialIdReaderConfig,
} from "../../config/agent-config.js";
import type { CardReader } from "../../drivers/readers/card-reader.js";
import { KeyboardWedgeReader, type KeyboardWedgeReaderOptions } from "../../drivers/readers/keyboard-wedge-reader.js";
import { PcscReader, type PcscReaderOptions } from "../../drivers/readers/pcsc-reader.js";
import type { ReaderLog } from "../../drivers/readers/serial-id-reader.js";
import { SerialIdReader, type SerialIdReaderOptions } from "../../drivers/readers/serial-id-reader.js";
import { SimulatedReader } from "../../drivers/readers/simulated-reader.js";
import type { Logger } from "../logger.js";

export function createReader(config: ReaderConfig, now: () => number, log: Logger): CardReader {
  switch (config.type) {
    case "simulated":
      return new SimulatedReader(config.id, now);
    case "serial-id":
      return new SerialIdReader(serialIdOptions(config), { now, log: readerLog(log, config.id) });
    case "pcsc":
      return new PcscReader(pcscOptions(config), { now, log: readerLog(log, config.id) });
    case "keyboard-wedge":
      return new KeyboardWedgeReader(wedgeOptions(config), { now, log: readerLog(log, config.id) });
  }
}

function serialIdOptions(c: SerialIdReaderConfig): SerialIdReaderOptions {
  const { id, path, baudRate, dataBits, parity, stopBits, delimiter, format, pattern, debounceMs } = c;
  return { id, path, baudRate, dataBits, parity, stopBits, delimiter, format, pattern, debounceMs };
}

function pcscOptions(c: PcscReaderConfig): PcscReaderOptions {
  const { id, readerName, aid, identity, memberNumber, feedback, debounceMs } = c;
  return { id, readerName, aid, identity, memberNumber, feedback, debounceMs };
}

function wedgeOptions(c: KeyboardWedgeReaderConfig): KeyboardWedgeReaderOptions {
  const { id, path, format, pattern, technology, uidByteOrder, grab, debounceMs } = c;
  return { id, path, format, pattern, technology, uidByteOrder, grab, debounceMs };
}

/**
 * The child logger carries `reader`; the drivers name their reader in their fields too
 * (they also log without a child). pino writes both, so every line had the key twice:
 * the driver's copy is dropped when it is this reader's id, and kept under
 * another name in the odd case it is not.
 */
function readerLog(log: Logger, id: string): ReaderLog {
  const child = log.child({ c: "reader", reader: id });
  return (level, msg, fields) => {
    const { reader, ...rest } = fields ?? {};
    child[level]?.(reader === undefined || reader === id ? rest : { ...rest, otherReader: reader }, msg);
  };
}
