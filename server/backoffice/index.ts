/**
 * The back office's operations, for the CLI, the HTTP API and (later) a till's online
 * card operations over MQTT: each mutation is `(db, params, actor)`, runs in one
 * transaction and writes its audit row. A result's `hotlistVersion` (not null) says the
 * hotlist changed: the caller has the server publish it (hq-server.ts does this itself
 * when it notices a new version).
 */
export { getAccount, memberAccounts } from "./accounts.js";
export { type Actor, type AuditRow, listAudit } from "./actor.js";
export { type CardChange, type CardIssue, issueCard } from "./card-issue.js";
export { changeCardLevel, type LevelChange, type LimitChange, setSubCardLimits } from "./card-level.js";
export { type CardDetail, getCardDetail } from "./card-read.js";
export { type CardReplacement, type ReplaceResult, replaceCard } from "./card-replace.js";
export {
  changeCardStatus,
  freezeCard,
  lossCard,
  recycleCard,
  STATUS_ACTIONS,
  type StatusAction,
  type StatusChange,
  unfreezeCard,
  unlossCard,
} from "./card-status.js";
export {
  createMember,
  getMember,
  type Member,
  type MemberUpdate,
  type NewMember,
  searchMembers,
  updateMember,
} from "./members.js";
export {
  addOperator,
  listOperators,
  type NewOperator,
  OPERATOR_ROLES,
  type Operator,
  operatorPinHash,
  setOperatorActive,
  setOperatorPin,
} from "./operators.js";
export { getPolicy, type PublishedPolicy, publishPolicy } from "./policy.js";
export { type DailyFilter, type DailyReport, dailyReport, HQ_STORE } from "./report-daily.js";
export { alertReport, liabilityReport, shortfallReport, terminalReport } from "./report-ledger.js";
export { type HqTopUp, type TopUpResult, topUpAtHq } from "./top-up.js";
