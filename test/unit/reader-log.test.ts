/**
 * A reader's log lines carry its id once (every reader line had the
 * `reader` key twice — the child logger's binding and the driver's own field — which
 * JSON tools read as one and log shippers reject or overwrite). A serial reader on a
 * path that does not exist logs its open failure; the raw JSON line is checked.
 */
import { join } from "node:path";
import { Writable } from "node:stream";
import t from "tap";
import { createLogger } from "../../agent/logger.js";
import { createReader } from "../../agent/readers/create-reader.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";

t.test("a reader's log line names the reader once", async (t) => {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      raw.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const log = createLogger({ level: "debug", destination: sink });
  const path = join(await tempDir(t), "ttyUSB-missing");
  const reader = createReader(
    {
      id: "front",
      type: "serial-id",
      path,
      baudRate: 9600,
      dataBits: 8,
      parity: "none",
      stopBits: 1,
      delimiter: "\r\n",
      format: "decimal",
      debounceMs: 1500,
    },
    Date.now,
    log,
  );
  t.teardown(() => reader.close());
  await reader.start().catch(() => undefined);
  const lines = await waitFor("the reader to log", () => (raw.length > 0 ? raw : undefined), 5_000);
  for (const line of lines) {
    t.equal(line.match(/"reader":/g)?.length ?? 0, 1, line);
    t.match(JSON.parse(line), { reader: "front", c: "reader" });
  }
});
