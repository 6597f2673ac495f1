/**
 * Broker credentials for a terminal, in Mosquitto's own password-file format, so head
 * office can create them without the mosquitto_passwd binary: `user:$7$101$salt$hash`,
 * PBKDF2-HMAC-SHA512 with 101 iterations, a 12-byte salt and a 64-byte hash, both
 * base64 (what Mosquitto 2.0's mosquitto_passwd writes by default).
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";

const ITERATIONS = 101;

export function mosquittoPasswdLine(username: string, password: string, salt: Buffer = randomBytes(12)): string {
  if (username.includes(":")) throw new TypeError("a Mosquitto user name cannot contain ':'");
  const hash = pbkdf2Sync(password, salt, ITERATIONS, 64, "sha512");
  return `${username}:$7$${ITERATIONS}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Whether `password` matches a `$7$` line (tests; Mosquitto does this itself). */
export function verifyPasswdLine(line: string, password: string): boolean {
  const [, iterations, salt, hash] = line
    .slice(line.indexOf(":") + 1)
    .split("$")
    .slice(1);
  if (!iterations || !salt || !hash) return false;
  const got = pbkdf2Sync(password, Buffer.from(salt, "base64"), Number(iterations), 64, "sha512");
  return got.toString("base64") === hash;
}

/** A random password: 24 characters of base64url (144 bits). */
export function newBrokerPassword(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * Adds the user's line to a password file, replacing an earlier line for the same user;
 * written to a temp file and renamed, so Mosquitto never reads half a file. The file's
 * mode is kept (a new one is 0640: root and the broker's group).
 */
export async function upsertPasswordFile(file: string, line: string): Promise<void> {
  const user = line.slice(0, line.indexOf(":"));
  let existing = "";
  let mode = 0o640;
  try {
    existing = await readFile(file, "utf8");
    mode = (await stat(file)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const kept = existing.split("\n").filter((l) => l.trim() !== "" && !l.startsWith(`${user}:`));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${[...kept, line].join("\n")}\n`, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
