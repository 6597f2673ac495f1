/**
 * Operator log-in at the till: by PIN (scrypt, rules/pin.ts) or by operator card; a
 * session token the POS app or the web console sends as X-Cardterm-Session; log-out; and
 * an idle time-out so a till left logged in does not stay open. Five wrong PINs lock the
 * operator for five minutes. Sessions outlive an agent restart while that is safe: each
 * change is handed to `persist` (session-store.ts says why it is safe) and `restore` takes
 * back only those still in their idle time-out whose operator holds the same role.
 *
 * Who may log in is the roster (roster.ts: config operators merged with head office's);
 * what a session may do is asked of the role table at each request (role-table.ts), so a
 * new policy or config holds at once. A session ends when its operator leaves the roster
 * or changes role — removed from the config, disabled or re-roled at head office.
 */
import { createHash, randomBytes } from "node:crypto";
import type { OperatorConfig } from "../../config/agent-config.js";
import { CardtermError } from "../../protocol/errors.js";
import type { HqOperatorEntry } from "../../protocol/operators-doc.js";
import { verifyPin } from "../../rules/pin.js";
import type { Permission, Role } from "./permissions.js";
import { TillRoles } from "./role-table.js";
import { mergeOperators, type TillOperator } from "./roster.js";
import type { StoredSession } from "./session-store.js";

export interface Operator {
  id: string;
  name: string;
  role: Role;
  /** Where the till learnt of the operator (roster.ts). */
  source: TillOperator["source"];
}

export interface Session {
  token: string;
  operator: Operator;
  lastUsedAt: number;
}

const MAX_FAILURES = 5;
const LOCK_MS = 5 * 60_000;
/** Ended sessions remembered for their next request's message; a few hundred is plenty for one till. */
const ENDED_KEPT = 500;
/** A use moves lastUsedAt on disk at most this often (a crash then only shortens a session). */
const TOUCH_WRITE_MS = 15_000;

/** What a session is known by in memory and on disk: never the token itself. */
const keyOf = (token: string) => createHash("sha256").update(token).digest("base64url");

export class OperatorSessions {
  /** By keyOf(token). */
  private readonly sessions = new Map<string, StoredSession>();
  /** lastUsedAt as last handed to `persist`, by key. */
  private readonly written = new Map<string, number>();
  /** Where each change goes (the agent's SessionStore); none in unit tests. */
  persist: (sessions: StoredSession[]) => void = () => {};
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();
  /** Why a session was ended by the till (not by log-out): told once, to its next request. */
  private readonly ended = new Map<string, string>();
  private configOperators: readonly OperatorConfig[];
  private hqOperators: readonly HqOperatorEntry[] | undefined;
  private roster: TillOperator[];
  /** The role table in force: built-in < policy < config (role-table.ts). */
  readonly roles: TillRoles;

  constructor(
    operators: readonly OperatorConfig[],
    public idleTimeoutMs: number,
    private readonly now: () => number,
    roles?: TillRoles,
  ) {
    this.configOperators = operators;
    this.roster = mergeOperators(operators).operators;
    this.roles = roles ?? new TillRoles({ policyRoles: () => undefined });
  }

  /**
   * Operators and idle time-out from a config reload. A session stays only while its
   * operator is still on the roster with the same role: a removed cashier is logged out, a
   * demoted supervisor must log in again under the new role.
   */
  reconfigure(operators: readonly OperatorConfig[], idleTimeoutMs: number): void {
    this.configOperators = operators;
    this.idleTimeoutMs = idleTimeoutMs;
    this.rebuild("this operator was removed from the till's config");
  }

  /** Head office's operators for this till (operators-cache.ts), on arrival and at start-up. */
  setHqOperators(entries: readonly HqOperatorEntry[]): { shadowed: string[]; ended: number } {
    this.hqOperators = entries;
    return this.rebuild("head office removed, disabled or changed this operator");
  }

  /**
   * With no operators there is no log-in: sales go under the terminal's default operator.
   * Once head office has sent this till any operator (even only disabled ones), log-in is
   * required: disabling the last operator must close the till, not open it to anyone.
   */
  get loginRequired(): boolean {
    return this.configOperators.length > 0 || (this.hqOperators?.length ?? 0) > 0;
  }

  /** The operators who may log in now (without their PIN hashes). */
  operators(): Operator[] {
    return this.roster.map(operatorOf);
  }

  logInWithPin(operatorId: string, pin: string): Session {
    const op = this.roster.find((o) => o.id === operatorId);
    const lock = this.failures.get(operatorId);
    if (lock && lock.lockedUntil > this.now()) {
      throw new CardtermError("CT_LOGIN_FAILED", "too many wrong PINs: this operator is locked for a few minutes");
    }
    if (!op || !verifyPin(pin, op.pinHash)) {
      const count = (lock?.count ?? 0) + 1;
      this.failures.set(operatorId, { count, lockedUntil: count >= MAX_FAILURES ? this.now() + LOCK_MS : 0 });
      throw new CardtermError("CT_LOGIN_FAILED", "operator number or PIN is wrong");
    }
    this.failures.delete(operatorId);
    return this.open(op);
  }

  logInWithCard(cardUid: string): Session {
    const uid = cardUid.replace(/^ic:|^id:/, "").toUpperCase();
    const op = this.roster.find((o) => o.cardUid !== undefined && o.cardUid.toUpperCase() === uid);
    if (!op) throw new CardtermError("CT_LOGIN_FAILED", "this card is not an operator card of this till");
    return this.open(op);
  }

  /** The live session for a token, touched; throws CT_UNAUTHORIZED when missing or idle too long. */
  use(token: string | undefined): Session {
    const key = token ? keyOf(token) : undefined;
    const session = key ? this.sessions.get(key) : undefined;
    if (!session || !token || !key) {
      const why = key ? this.ended.get(key) : undefined;
      if (why && key) this.ended.delete(key);
      throw new CardtermError("CT_UNAUTHORIZED", why ? `${why}; log in again` : "log in first (X-Cardterm-Session)");
    }
    if (this.now() - session.lastUsedAt > this.idleTimeoutMs) {
      this.drop(key);
      throw new CardtermError("CT_UNAUTHORIZED", "the session timed out; log in again");
    }
    session.lastUsedAt = this.now();
    if (session.lastUsedAt - (this.written.get(key) ?? 0) >= TOUCH_WRITE_MS) this.changed();
    return { token, operator: session.operator, lastUsedAt: session.lastUsedAt };
  }

  logOut(token: string | undefined): void {
    if (token) this.drop(keyOf(token));
  }

  /**
   * Sessions stored before a restart (session-store.ts): kept only while still inside the
   * idle time-out counted from their last use — the time the agent was down is idle time —
   * with a last use not in the future (a clock set back), and with their operator still on
   * the roster in the same role; the roster's current name is taken.
   */
  restore(stored: readonly StoredSession[]): { restored: number; dropped: number } {
    const now = this.now();
    let restored = 0;
    for (const s of stored) {
      const op = this.roster.find((o) => o.id === s.operator.id);
      const fresh = s.lastUsedAt <= now && now - s.lastUsedAt <= this.idleTimeoutMs;
      if (!fresh || !op || op.role !== s.operator.role) continue;
      this.sessions.set(s.key, { ...s, operator: operatorOf(op) });
      restored++;
    }
    this.changed();
    return { restored, dropped: stored.length - restored };
  }

  /** Every live session's state, for a write at a clean stop (exact last uses). */
  snapshot(): StoredSession[] {
    return [...this.sessions.values()].map((s) => ({ ...s, operator: { ...s.operator } }));
  }

  /** What this session's role may do now, in the table's order. */
  permissionsOf(session: Session): readonly Permission[] {
    return this.roles.permissionsOf(session.operator.role);
  }

  require(session: Session, permission: Permission): void {
    if (!this.roles.may(session.operator.role, permission)) {
      throw new CardtermError(
        "CT_FORBIDDEN",
        `${session.operator.role} ${session.operator.id} may not ${permission}; ask a supervisor`,
      );
    }
  }

  private rebuild(why: string): { shadowed: string[]; ended: number } {
    const merged = mergeOperators(this.configOperators, this.hqOperators);
    this.roster = merged.operators;
    let ended = 0;
    for (const [key, s] of this.sessions) {
      const now = this.roster.find((o) => o.id === s.operator.id);
      if (now && now.role === s.operator.role) continue;
      this.sessions.delete(key);
      this.remember(key, why);
      ended++;
    }
    if (ended > 0) this.changed();
    return { shadowed: merged.shadowed, ended };
  }

  private remember(key: string, why: string): void {
    this.ended.set(key, why);
    if (this.ended.size > ENDED_KEPT) this.ended.delete(this.ended.keys().next().value as string);
  }

  private open(op: TillOperator): Session {
    const token = randomBytes(24).toString("base64url");
    const at = this.now();
    this.sessions.set(keyOf(token), { key: keyOf(token), operator: operatorOf(op), openedAt: at, lastUsedAt: at });
    this.changed();
    return { token, operator: operatorOf(op), lastUsedAt: at };
  }

  private drop(key: string): void {
    if (this.sessions.delete(key)) this.changed();
  }

  private changed(): void {
    this.written.clear();
    for (const [key, s] of this.sessions) this.written.set(key, s.lastUsedAt);
    this.persist(this.snapshot());
  }
}

function operatorOf(op: TillOperator): Operator {
  return { id: op.id, name: op.name, role: op.role, source: op.source };
}
