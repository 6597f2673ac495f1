/**
 * Notices that the config file changed, so a technician's save is applied without a
 * signal. The directory is watched, not the file: editors (vim, nano with backups, most
 * GUI editors) save by writing a new file and renaming it over the old one, after which
 * a watch on the old file's inode would see nothing ever again. Events come in bursts
 * (truncate, write, rename, chmod), so they are debounced into one reload after the file
 * has been quiet for `debounceMs`.
 *
 * Not covered: a change of a file the config only names (a key file, a secret) — send
 * SIGHUP (`systemctl reload cardterm`) for those.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { realTimers, type Timer, type Timers } from "../../lib/timers.js";

export interface ConfigWatch {
  close(): void;
}

export function watchConfigFile(
  file: string,
  onChange: () => void,
  opts: { debounceMs?: number; log?: { warn(obj: object, msg: string): void }; timers?: Timers } = {},
): ConfigWatch {
  const path = resolve(file);
  const name = basename(path);
  const debounceMs = opts.debounceMs ?? 500;
  const timers = opts.timers ?? realTimers;
  let timer: Timer | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      // Some platforms give no name; then any change in the directory counts.
      if (changed !== null && changed.toString() !== name) return;
      timers.clearTimeout(timer);
      timer = timers.setTimeout(() => {
        timer = null;
        onChange();
      }, debounceMs);
    });
    watcher.on("error", (err) =>
      opts.log?.warn({ err: err.message }, "config file watch stopped; SIGHUP still reloads"),
    );
  } catch (err) {
    opts.log?.warn({ err: (err as Error).message }, "config file cannot be watched; SIGHUP still reloads");
  }
  return {
    close() {
      timers.clearTimeout(timer);
      timer = null;
      watcher?.close();
      watcher = null;
    },
  };
}
