/** The building blocks of config/schema.ts: patterns, enums and shared property groups. */
export const ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
export const HEX_KEY_PATTERN = "^[0-9A-Fa-f]{64}$";
/** Mirrors rules/money.ts: up to 11 whole digits, up to 2 decimals, no sign. */
export const AMOUNT_PATTERN = "^[0-9]{1,11}([.][0-9]{1,2})?$";
/** Largest unit first, each once; config/duration.ts explains a failure precisely. */
export const DURATION_PATTERN = "^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$";
export const MQTT_URL_PATTERN = "^(mqtt|mqtts|ws|wss)://[^\\s/?#]+";
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";
export const DEVICE_PATH_PATTERN = "^/";
export const MIFARE_KEY_PATTERN = "^[0-9A-Fa-f]{12}$";
/** ISO 7816-4 application ids: 5 to 16 bytes. */
export const AID_PATTERN = "^([0-9A-Fa-f]{2}){5,16}$";

/** What each pattern means, in the words of an error message: `"x" is not <hint>`. */
export const PATTERN_HINTS: Readonly<Record<string, string>> = {
  [ID_PATTERN]: 'a valid id: 1 to 64 letters, digits, "_" or "-"',
  [HEX_KEY_PATTERN]: "64 hexadecimal characters (a 32-byte key)",
  [AMOUNT_PATTERN]: 'an amount: a decimal with at most two places, like "300.00"',
  [DURATION_PATTERN]: 'a duration like "500ms", "30s", "15m", "24h", "7d" or "1h30m"',
  [MQTT_URL_PATTERN]: "a broker URL like mqtts://mqtt.example.com:8883 (mqtt://, mqtts://, ws:// or wss:// and a host)",
  [ENV_NAME_PATTERN]: "an environment variable name (letters, digits and _)",
  [DEVICE_PATH_PATTERN]: "an absolute device path such as /dev/serial/by-id/…",
  [MIFARE_KEY_PATTERN]: "12 hexadecimal characters (a 6-byte MIFARE key)",
  [AID_PATTERN]: "an application id: 5 to 16 bytes written as 10 to 32 hexadecimal characters",
};

export const READER_TYPES = ["simulated", "serial-id", "pcsc", "keyboard-wedge"] as const;
export const PRINTER_TYPES = ["network", "serial", "usb", "preview", "none"] as const;
export const PRINTER_CHARSETS = ["gb18030", "cp437", "cp1252"] as const;
export const FLOW_CONTROLS = ["none", "rtscts", "xonxoff"] as const;
export const ID_FORMATS = ["decimal", "hex", "em4100", "wiegand26", "regex"] as const;
export const BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;
export const DELIMITERS = ["\r\n", "\n", "\r"] as const;
export const IC_IDENTITIES = ["uid", "memberNumber"] as const;
export const MEMBER_NUMBER_ENCODINGS = ["ascii", "bcd", "hex"] as const;

export const str = (description: string, extra: Record<string, unknown> = {}) => ({
  type: "string",
  minLength: 1,
  description,
  ...extra,
});
export const ref = (name: string, description: string) => ({ $ref: `#/definitions/${name}`, description });
/** A PEM file for server.tls: `{ file: PATH }`, relative to the config file. */
export const pemFile = (description: string) => ({
  type: "object",
  additionalProperties: false,
  required: ["file"],
  description,
  properties: { file: str("Path of the PEM file. Relative to this file.") },
});
export const port = (description: string, def: number) => ({
  type: "integer",
  minimum: 1,
  maximum: 65535,
  default: def,
  description,
});

/** Receipt lines from the config: at most 10, each at most 200 characters ("" is a blank line). */
export const receiptLines = (description: string) => ({
  type: "array",
  maxItems: 10,
  items: { type: "string", maxLength: 200 },
  description,
});

/** What every printer that prints receipts takes: paper, characters, the chain's lines and logo, the drawer. */
export function receiptProperties() {
  return {
    paperWidth: { type: "integer", enum: [58, 80], default: 80, description: "Paper width in mm. Default 80." },
    charset: {
      type: "string",
      enum: [...PRINTER_CHARSETS],
      default: "gb18030",
      description:
        "The printer's character set: gb18030 (default; Chinese-market printers, prints Chinese and ¥), cp437 or cp1252 (international models without a Chinese font: Chinese prints as ?).",
    },
    header: receiptLines("Lines printed under the store name on every receipt, e.g. the address and phone number."),
    footer: receiptLines("Lines printed at the bottom of every receipt, e.g. a returns policy or a hotline."),
    logo: str(
      "A PNG printed at the top of every receipt: black on white, at most 576 dots wide on 80 mm paper (384 on 58 mm) and 400 high. Relative to this file.",
    ),
    drawerKick: {
      type: "boolean",
      default: false,
      description:
        "A cash drawer is wired to the printer: open it after receipts of transactions that take or give cash (cash top-ups, cash refunds, deposits). Default false.",
    },
    drawerPin: {
      type: "integer",
      enum: [2, 5],
      default: 2,
      description: "With drawerKick: the drawer connector pin, 2 (default) or 5 (a second drawer).",
    },
    keepFor: ref("duration", "How long printed receipts are kept on the box for reprinting. Default 7d."),
    previewDir: str("Also keep an image of every receipt here (optional). Relative to this file."),
  };
}

/** Receipt properties plus what a real device needs: the timeout and how often to ask for status. */
export function devicePrinterProperties() {
  return {
    ...receiptProperties(),
    timeout: ref("duration", "How long to wait for the printer before reporting it offline. Default 3s."),
    statusInterval: ref("duration", "How often the agent asks the printer for paper and cover state. Default 30s."),
  };
}

/** The serial line settings a serial reader and a serial printer both take. */
export function serialLineProperties() {
  return {
    path: str("The serial device. Use the stable /dev/serial/by-id/… name, not /dev/ttyUSB0.", {
      pattern: DEVICE_PATH_PATTERN,
    }),
    baudRate: { type: "integer", enum: [...BAUD_RATES], default: 9600, description: "Line speed. Default 9600." },
    dataBits: { type: "integer", enum: [7, 8], default: 8, description: "Data bits. Default 8." },
    parity: { type: "string", enum: ["none", "even", "odd"], default: "none", description: "Parity. Default none." },
    stopBits: { type: "integer", enum: [1, 2], default: 1, description: "Stop bits. Default 1." },
  };
}
