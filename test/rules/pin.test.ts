import t from "tap";
import {
  afterCheck,
  attemptsLeft,
  beforeCheck,
  hashPin,
  NO_PIN_ATTEMPTS,
  PIN_SCRYPT_PARAMS,
  type PinAttempts,
  verifyPin,
} from "../../rules/pin.js";
import { DEFAULT_PIN_RULES, demoPolicy, type PinRules, pinRulesOf } from "../../rules/policy.js";

/** Small enough to keep tests fast; production uses PIN_SCRYPT_PARAMS (N=2^15). */
const FAST = { N: 1024, r: 8, p: 1 };
const SALT = Buffer.from("00112233445566778899aabbccddeeff", "hex");
const RULES: PinRules = { maxAttempts: 3, lockoutMs: 60_000 };
const T0 = 1_700_000_000_000;

t.test("a PIN hashes to a self-describing scrypt string and verifies", async (t) => {
  const stored = hashPin("123456", SALT, FAST);
  t.match(stored, /^scrypt\$1024\$8\$1\$00112233445566778899aabbccddeeff\$[0-9a-f]{64}$/);
  t.equal(verifyPin("123456", stored), true);
  t.equal(hashPin("123456", SALT, FAST), stored, "same PIN and salt, same hash");
  t.not(hashPin("123456", undefined, FAST), stored, "a fresh random salt by default");
  t.equal(verifyPin("123456", hashPin("123456", undefined, FAST)), true);
});

t.test("a wrong or malformed PIN does not verify", async (t) => {
  const stored = hashPin("123456", SALT, FAST);
  for (const wrong of ["123457", "654321", "1234567", "12345", "", "12345６", " 123456"]) {
    t.equal(verifyPin(wrong, stored), false, JSON.stringify(wrong));
  }
});

t.test("a PIN that is not 4–12 digits cannot be set", async (t) => {
  for (const bad of ["123", "1234567890123", "12a4", "١٢٣٤", ""]) {
    t.throws(() => hashPin(bad, SALT, FAST), { code: "CT_BAD_REQUEST" }, JSON.stringify(bad));
  }
});

t.test("a malformed or too costly stored hash is a defect, never a wrong PIN", async (t) => {
  const stored = hashPin("1234", SALT, FAST);
  const tampered = [
    "",
    "plain1234",
    stored.replace("scrypt", "bcrypt"),
    stored.replace("$1024$", "$1000$"), // N not a power of two
    stored.replace("$1024$", "$1048576$"), // 1 GiB of memory: refused, not computed
    stored.slice(0, -1), // half a byte missing
  ];
  for (const s of tampered) t.throws(() => verifyPin("1234", s), { code: "CT_INTERNAL" }, s.slice(0, 30));
});

t.test("production parameters are the documented ones and still verify", async (t) => {
  t.same(PIN_SCRYPT_PARAMS, { N: 32768, r: 8, p: 1 });
  const stored = hashPin("2580", SALT);
  t.match(stored, /^scrypt\$32768\$8\$1\$/);
  t.equal(verifyPin("2580", stored), true);
});

/** One full attempt in the order the agent must follow; `persisted` records every write. */
function attempt(state: PinAttempts, ok: boolean, now: number, persisted: PinAttempts[]) {
  const gate = beforeCheck(state, now, RULES);
  if (!gate.allowed) return { state: gate.next, code: gate.code };
  persisted.push(gate.next);
  const out = afterCheck(gate.next, ok);
  persisted.push(out.next);
  return { state: out.next, code: out.result.ok ? null : out.result.code };
}

t.test("the attempt is counted as a failure before the PIN is checked", async (t) => {
  const gate = beforeCheck(NO_PIN_ATTEMPTS, T0, RULES);
  t.same(gate, { allowed: true, next: { failures: 1, lockedUntil: null } });
  // The till crashes here, after persisting gate.next: the attempt stays counted.
  const crashed = gate.next;
  const second = beforeCheck(crashed, T0 + 1, RULES);
  t.same(second, { allowed: true, next: { failures: 2, lockedUntil: null } });
  const third = beforeCheck(second.next, T0 + 2, RULES);
  t.same(third.next, { failures: 3, lockedUntil: T0 + 2 + 60_000 }, "the last try sets the lock before the check");
  t.same(beforeCheck(third.next, T0 + 3, RULES).allowed, false, "a crash during the last try leaves the card locked");
});

t.test("a correct PIN resets the count", async (t) => {
  const persisted: PinAttempts[] = [];
  let s: PinAttempts = NO_PIN_ATTEMPTS;
  ({ state: s } = attempt(s, false, T0, persisted));
  ({ state: s } = attempt(s, false, T0, persisted));
  t.equal(attemptsLeft(s, T0, RULES), 1);
  const r = attempt(s, true, T0, persisted);
  t.same(r, { state: { failures: 0, lockedUntil: null }, code: null });
  t.same(
    persisted.map((p) => p.failures),
    [1, 1, 2, 2, 3, 0],
    "each attempt is written counted, then settled",
  );
});

t.test("the card locks after maxAttempts wrong PINs and unlocks after the lock-out", async (t) => {
  const persisted: PinAttempts[] = [];
  let s: PinAttempts = NO_PIN_ATTEMPTS;
  const codes: (string | null)[] = [];
  for (let i = 0; i < 3; i++) {
    const r = attempt(s, false, T0 + i, persisted);
    s = r.state;
    codes.push(r.code);
  }
  t.same(codes, ["PIN_WRONG", "PIN_WRONG", "PIN_LOCKED"], "the third wrong PIN locks the card");
  t.same(s, { failures: 3, lockedUntil: T0 + 2 + 60_000 });
  t.equal(attemptsLeft(s, T0 + 3, RULES), 0);

  const locked = attempt(s, true, T0 + 30_000, persisted);
  t.equal(locked.code, "PIN_LOCKED", "even the right PIN is refused while locked");
  t.equal(persisted.length, 6, "a refused attempt writes nothing and checks nothing");

  const later = T0 + 2 + 60_000;
  t.equal(attemptsLeft(s, later, RULES), 3);
  t.same(beforeCheck(s, later, RULES).next, { failures: 1, lockedUntil: null }, "an expired lock starts a fresh count");
  t.same(attempt(s, true, later, persisted).state, NO_PIN_ATTEMPTS, "and the right PIN then passes");
});

t.test("the right PIN on the last allowed try lifts the pre-set lock", async (t) => {
  const s = { failures: 2, lockedUntil: null };
  const gate = beforeCheck(s, T0, RULES);
  t.equal(gate.allowed && gate.next.lockedUntil, T0 + 60_000);
  t.same(afterCheck(gate.next, true), { next: NO_PIN_ATTEMPTS, result: { ok: true } });
});

t.test("a clock set back cannot stretch a lock beyond lockoutMs from now", async (t) => {
  const s = { failures: 3, lockedUntil: T0 + 60_000 };
  const back = T0 - 86_400_000;
  const gate = beforeCheck(s, back, RULES);
  t.same(gate, {
    allowed: false,
    code: "PIN_LOCKED",
    next: { failures: 3, lockedUntil: back + 60_000 },
    lockedUntil: back + 60_000,
  });
});

t.test("PIN rules come from the policy, with a default when it says nothing", async (t) => {
  const policy = demoPolicy();
  t.same(pinRulesOf(policy), DEFAULT_PIN_RULES);
  const { pin: _omit, ...old } = policy;
  t.same(pinRulesOf(old), { maxAttempts: 5, lockoutMs: 86_400_000 });
  t.same(pinRulesOf({ ...policy, pin: RULES }), RULES);
});
