/**
 * Operator log-in at the till: by PIN (scrypt, protocol/pin.ts) or by operator card; a
 * session token the POS app or the web console sends as X-Cardterm-Session; log-out; and
 * an idle time-out so a till left logged in does not stay open. Five wrong PINs lock the
 * operator for five minutes. Sessions live in memory: a restart logs everyone out, which
 * is what a cashier expects of a rebooted till.
 */
import { randomBytes } from "node:crypto";
import type { OperatorConfig } from "../../config/agent-config.js";
import { CardtermError } from "../../protocol/errors.js";
import { verifyPin } from "../../protocol/pin.js";
import { type Permission, permissionsOf, type Role } from "./permissions.js";

export interface Operator {
  id: string;
  name: string;
  role: Role;
}

export interface Session {
  token: string;
  operator: Operator;
  lastUsedAt: number;
}

const MAX_FAILURES = 5;
const LOCK_MS = 5 * 60_000;

export class OperatorSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private operators: readonly OperatorConfig[],
    public idleTimeoutMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Operators and idle time-out from a config reload. A session stays only while its
   * operator is still configured with the same role: a removed cashier is logged out, a
   * demoted supervisor must log in again under the new role.
   */
  reconfigure(operators: readonly OperatorConfig[], idleTimeoutMs: number): void {
    this.operators = operators;
    this.idleTimeoutMs = idleTimeoutMs;
    for (const [token, s] of this.sessions) {
      if (!operators.some((o) => o.id === s.operator.id && o.role === s.operator.role)) this.sessions.delete(token);
    }
  }

  /** With no operators configured there is no log-in: sales go under the terminal's default operator. */
  get loginRequired(): boolean {
    return this.operators.length > 0;
  }

  logInWithPin(operatorId: string, pin: string): Session {
    const op = this.operators.find((o) => o.id === operatorId);
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
    const op = this.operators.find((o) => o.cardUid !== undefined && o.cardUid.toUpperCase() === uid);
    if (!op) throw new CardtermError("CT_LOGIN_FAILED", "this card is not an operator card of this till");
    return this.open(op);
  }

  /** The live session for a token, touched; throws CT_UNAUTHORIZED when missing or idle too long. */
  use(token: string | undefined): Session {
    const session = token ? this.sessions.get(token) : undefined;
    if (!session) throw new CardtermError("CT_UNAUTHORIZED", "log in first (X-Cardterm-Session)");
    if (this.now() - session.lastUsedAt > this.idleTimeoutMs) {
      this.sessions.delete(session.token);
      throw new CardtermError("CT_UNAUTHORIZED", "the session timed out; log in again");
    }
    session.lastUsedAt = this.now();
    return session;
  }

  logOut(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }

  require(session: Session, permission: Permission): void {
    if (!permissionsOf(session.operator.role).includes(permission)) {
      throw new CardtermError(
        "CT_FORBIDDEN",
        `${session.operator.role} ${session.operator.id} may not ${permission}; ask a supervisor`,
      );
    }
  }

  private open(op: OperatorConfig): Session {
    const session: Session = {
      token: randomBytes(24).toString("base64url"),
      operator: { id: op.id, name: op.name, role: op.role },
      lastUsedAt: this.now(),
    };
    this.sessions.set(session.token, session);
    return session;
  }
}
