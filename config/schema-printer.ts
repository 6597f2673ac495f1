/** The receipt printers in the config schema (config/schema.ts): one definition per printer type. */
import {
  DEVICE_PATH_PATTERN,
  devicePrinterProperties,
  FLOW_CONTROLS,
  port,
  receiptProperties,
  serialLineProperties,
  str,
} from "./schema-parts.js";

export const printerDefinitions = {
  networkPrinter: {
    type: "object",
    additionalProperties: false,
    required: ["type", "host"],
    description: "An ESC/POS receipt printer on the network (raw TCP, usually port 9100).",
    properties: {
      type: { const: "network", description: "network" },
      host: str("The printer's IP address or host name."),
      port: port("The printer's raw TCP port. Default 9100.", 9100),
      ...devicePrinterProperties(),
    },
  },
  serialPrinter: {
    type: "object",
    additionalProperties: false,
    required: ["type", "path"],
    description: "An ESC/POS receipt printer on a serial port (RS-232 or a USB-serial adapter).",
    properties: {
      type: { const: "serial", description: "serial" },
      ...serialLineProperties(),
      flowControl: {
        type: "string",
        enum: [...FLOW_CONTROLS],
        default: "none",
        description:
          "Flow control as set on the printer's DIP switches: none (default), rtscts (hardware) or xonxoff (software). Use rtscts with a logo on a printer that loses data.",
      },
      ...devicePrinterProperties(),
    },
  },
  usbPrinter: {
    type: "object",
    additionalProperties: false,
    required: ["type", "path"],
    description: "An ESC/POS receipt printer on USB, through the kernel's usblp driver (/dev/usb/lp0).",
    properties: {
      type: { const: "usb", description: "usb" },
      path: str(
        "The printer device: /dev/usb/lp0, or better a udev symlink that stays the same across re-plugs (see docs/config.md).",
        { pattern: DEVICE_PATH_PATTERN },
      ),
      ...devicePrinterProperties(),
    },
  },
  previewPrinter: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    description: "No paper: every receipt is written as an image to previewDir (demos, training).",
    properties: {
      type: { const: "preview", description: "preview" },
      ...receiptProperties(),
      previewDir: str("Where receipt images go. Default: <dataDir>/receipts. Relative to this file."),
    },
  },
  noPrinter: {
    type: "object",
    additionalProperties: false,
    required: ["type"],
    description: "No receipts are printed.",
    properties: { type: { const: "none", description: "none" } },
  },
  printer: {
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
    oneOf: [
      { $ref: "#/definitions/networkPrinter" },
      { $ref: "#/definitions/serialPrinter" },
      { $ref: "#/definitions/usbPrinter" },
      { $ref: "#/definitions/previewPrinter" },
      { $ref: "#/definitions/noPrinter" },
    ],
    description: "The receipt printer: type network, serial, usb, preview or none. Default none.",
  },
};
