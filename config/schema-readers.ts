/** The card readers in the config schema (config/schema.ts): one definition per reader type, and the union. */
import {
  AID_PATTERN,
  DELIMITERS,
  DEVICE_PATH_PATTERN,
  ENV_NAME_PATTERN,
  IC_IDENTITIES,
  ID_FORMATS,
  ID_PATTERN,
  MEMBER_NUMBER_ENCODINGS,
  MIFARE_KEY_PATTERN,
  ref,
  serialLineProperties,
  str,
} from "./schema-parts.js";

export const readerDefinitions = {
  simulatedReader: {
    type: "object",
    additionalProperties: false,
    required: ["id", "type"],
    description: "A reader with no hardware: cards are tapped through the local API (tests, demos, training).",
    properties: {
      id: str("This reader's id, unique on the terminal.", { pattern: ID_PATTERN }),
      type: { const: "simulated", description: "simulated" },
    },
  },
  serialIdReader: {
    type: "object",
    additionalProperties: false,
    required: ["id", "type", "path"],
    description: "An ID-card (125 kHz) reader on a serial port that sends one line per card.",
    properties: {
      id: str("This reader's id, unique on the terminal.", { pattern: ID_PATTERN }),
      type: { const: "serial-id", description: "serial-id" },
      ...serialLineProperties(),
      delimiter: {
        type: "string",
        enum: [...DELIMITERS],
        default: "\r\n",
        description: 'What ends each card line: "\\r\\n" (default), "\\n" or "\\r". Write it in double quotes.',
      },
      format: {
        type: "string",
        enum: [...ID_FORMATS],
        default: "decimal",
        description:
          "How the card number is written on the line: decimal, hex, em4100, wiegand26, or regex (then give pattern). Default decimal.",
      },
      pattern: str("For format regex only: a regular expression with a named group `id`, e.g. ^ID=(?<id>\\d+)$"),
      debounce: ref("duration", "The same card read again within this time counts as one tap. Default 1500ms."),
    },
    if: { properties: { format: { const: "regex" } }, required: ["format"] },
    // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword, not a promise
    then: { required: ["pattern"] },
  },
  mifareKey: {
    type: "object",
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description:
      "Where the 6-byte MIFARE sector key comes from (give exactly one): a file, an environment variable, or the key itself, as 12 hexadecimal characters.",
    properties: {
      file: str("A file holding the key as 12 hex characters (surrounding whitespace ignored). Relative to this file."),
      env: str("An environment variable holding the key as 12 hex characters.", { pattern: ENV_NAME_PATTERN }),
      hex: str("The key itself, 12 hex characters. Prefer file or env: this file is often copied around.", {
        pattern: MIFARE_KEY_PATTERN,
      }),
    },
  },
  memberNumber: {
    type: "object",
    additionalProperties: false,
    required: ["sector", "block", "key", "encoding", "technology"],
    description: "Where a MIFARE Classic card carries the member number, and how it is written.",
    properties: {
      sector: { type: "integer", minimum: 0, maximum: 39, description: "The sector, 0-39 (0-15 on a 1K card)." },
      block: {
        type: "integer",
        minimum: 0,
        maximum: 14,
        description: "The data block within the sector: 0-2 (0-14 in sectors 32-39 of a 4K card).",
      },
      keyType: { type: "string", enum: ["A", "B"], default: "A", description: "Which sector key is given. Default A." },
      key: { $ref: "#/definitions/mifareKey" },
      encoding: {
        type: "string",
        enum: [...MEMBER_NUMBER_ENCODINGS],
        description: "ascii (text), bcd (packed digits, F-padded) or hex (the bytes as hexadecimal).",
      },
      length: {
        type: "integer",
        minimum: 1,
        maximum: 16,
        default: 16,
        description: "How many bytes of the block, from its start, hold the number. Default 16.",
      },
      technology: {
        type: "string",
        enum: ["id", "ic"],
        description:
          "The card id the number becomes: id (id:<number>, as an ID-card reader or a wedge typing the number gives) or ic (ic:<number>, hex digits only).",
      },
    },
  },
  pcscReader: {
    type: "object",
    additionalProperties: false,
    required: ["id", "type"],
    description: "IC (13.56 MHz) cards on PC/SC readers through pcscd, e.g. an ACR122U.",
    properties: {
      id: str("This reader's id, unique on the terminal.", { pattern: ID_PATTERN }),
      type: { const: "pcsc", description: "pcsc" },
      readerName: str(
        'Take only PC/SC readers whose name contains this text (any case), e.g. "ACR122". Default: every PC/SC reader.',
      ),
      aid: str("ISO 14443-4 cards (phones): the application id to SELECT; its answer is the card id.", {
        pattern: AID_PATTERN,
      }),
      identity: {
        type: "string",
        enum: [...IC_IDENTITIES],
        default: "uid",
        description: "What identifies a card: uid (the chip's UID, default) or memberNumber (read from the card).",
      },
      memberNumber: {
        $ref: "#/definitions/memberNumber",
        description: "With identity memberNumber: where the number is on the card.",
      },
      feedback: {
        type: "boolean",
        default: true,
        description: "Blink and beep after each read on readers that can (ACR122U). Default true.",
      },
      debounce: ref("duration", "The same card read again within this time counts as one tap. Default 1500ms."),
    },
  },
  keyboardWedgeReader: {
    type: "object",
    additionalProperties: false,
    required: ["id", "type", "path"],
    description: "A USB reader that types the card number as keystrokes (a keyboard wedge).",
    properties: {
      id: str("This reader's id, unique on the terminal.", { pattern: ID_PATTERN }),
      type: { const: "keyboard-wedge", description: "keyboard-wedge" },
      path: str("The reader's keyboard device: /dev/input/by-id/…-event-kbd.", { pattern: DEVICE_PATH_PATTERN }),
      format: {
        type: "string",
        enum: [...ID_FORMATS],
        default: "decimal",
        description:
          "How the card number is typed: decimal, hex, em4100, wiegand26, or regex (then give pattern). Default decimal.",
      },
      pattern: str("For format regex only: a regular expression with a named group `id`."),
      technology: {
        type: "string",
        enum: ["id", "ic"],
        default: "id",
        description:
          "id (default): the number of an ID card. ic: the UID of an IC card (format hex or decimal), giving the same card id as a PC/SC reader.",
      },
      uidByteOrder: {
        type: "string",
        enum: ["msbFirst", "lsbFirst"],
        default: "msbFirst",
        description: "With technology ic: the byte order the reader types the UID in. Default msbFirst.",
      },
      grab: {
        type: "boolean",
        default: true,
        description: "Take the keyboard for the agent alone, so the number never reaches the POS app. Default true.",
      },
      debounce: ref("duration", "The same card read again within this time counts as one tap. Default 1500ms."),
    },
  },
  reader: {
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
    oneOf: [
      { $ref: "#/definitions/simulatedReader" },
      { $ref: "#/definitions/serialIdReader" },
      { $ref: "#/definitions/pcscReader" },
      { $ref: "#/definitions/keyboardWedgeReader" },
    ],
    description: "A card reader: type simulated, serial-id, pcsc or keyboard-wedge.",
  },
};
