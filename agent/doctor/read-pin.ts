/**
 * The operator's PIN for `cardterm doctor --operator ID`: typed at the terminal without
 * being shown (a PIN on the command line or in an environment variable would stay in
 * the shell's history), or read as the first line of standard input when it is a pipe.
 */
import type { Readable, Writable } from "node:stream";

type Input = Readable & { isTTY?: boolean; setRawMode?: (on: boolean) => unknown };

export function readPin(
  prompt: string,
  input: Input = process.stdin,
  output: Writable = process.stderr,
): Promise<string> {
  output.write(prompt);
  const tty = input.isTTY === true && typeof input.setRawMode === "function";
  if (tty) input.setRawMode!(true);
  input.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let pin = "";
    const finish = (err?: Error) => {
      input.off("data", onData);
      input.off("end", onEnd);
      if (tty) input.setRawMode!(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(pin);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003") return finish(new Error("cancelled")); // Ctrl-C in raw mode
        if (ch === "\u007f" || ch === "\b") pin = pin.slice(0, -1);
        else pin += ch;
      }
    };
    const onEnd = () => finish();
    input.on("data", onData);
    input.once("end", onEnd);
    input.resume();
  });
}
