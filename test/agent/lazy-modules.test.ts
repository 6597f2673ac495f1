/**
 * The agent loads a device's native module only when the device is configured (bench/README.md,
 * "Footprint"): `serialport` (~13 MB resident) for a serial reader or
 * printer, `@resvg/resvg-js` for the preview printer's PNGs. Before, both were imported by
 * every agent, on every till. A real agent in a fresh process, its loaded packages listed.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";

const MAIN = join(import.meta.dirname, "../helpers/loaded-modules-main.ts");

function loadedWith(printer: "none" | "preview"): string[] {
  const out = execFileSync(process.execPath, ["--import", "tsx", MAIN, printer], { encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out.trim().split("\n").pop() ?? "[]") as string[];
}

t.test("a till without serial devices or a preview printer loads neither native module", async (t) => {
  const loaded = loadedWith("none");
  t.ok(loaded.length > 0, `packages seen: ${loaded.join(", ")}`);
  t.notOk(loaded.includes("serialport"), "serialport not loaded");
  t.notOk(
    loaded.some((p) => p.startsWith("@serialport/bindings")),
    "no serial bindings loaded",
  );
  t.notOk(loaded.includes("@resvg/resvg-js"), "resvg not loaded");
});
