/**
 * A stand-in for systemd's notify socket: a real unix datagram socket (Node cannot open
 * one, python3 can). Like systemd it closes the file descriptor systemd-notify passes with
 * BARRIER=1, which is what lets systemd-notify return. Every field received (one per
 * line of each datagram) is kept in order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const RECEIVER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("listening"), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(payload) - len(payload) % 4, 4):
                os.close(int.from_bytes(payload[i:i + 4], sys.byteorder))
    print(json.dumps(data.decode()), flush=True)
`;

export interface NotifySocket {
  path: string;
  /** Every field received, in order (BARRIER=1 included). */
  received: string[];
}

export async function notifySocket(t: { teardown(fn: () => unknown): void }): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), "sd-notify-"));
  const path = join(dir, "notify.sock");
  const child: ChildProcess = spawn("python3", ["-c", RECEIVER, path], { stdio: ["ignore", "pipe", "inherit"] });
  const received: string[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const text = JSON.parse(line) as string;
      if (text === "listening") resolve();
      else received.push(...text.split("\n").filter(Boolean));
    });
  });
  t.teardown(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await listening;
  return { path, received };
}
