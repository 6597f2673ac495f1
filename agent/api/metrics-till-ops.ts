/**
 * Till operations that count themselves for `cardterm_till_ops_total`: the same class,
 * each operation's outcome told to the metrics as it returns — approved, declined (the
 * server said no), or error (it threw: no tap, server timeout, bad request).
 */
import { TillOperations, type TillOpsDeps, type TillOutcome } from "../till/till-operations.js";
import type { TillOp, TillOpResult } from "./metrics-agent.js";

type Count = (op: TillOp, result: TillOpResult) => void;

export class CountedTillOperations extends TillOperations {
  constructor(
    deps: TillOpsDeps,
    private readonly count: Count,
  ) {
    super(deps);
  }

  override topUp(...args: Parameters<TillOperations["topUp"]>): Promise<TillOutcome> {
    return this.counted("topup", () => super.topUp(...args));
  }

  override refund(...args: Parameters<TillOperations["refund"]>): Promise<TillOutcome> {
    return this.counted("refund", () => super.refund(...args));
  }

  override voidTxn(...args: Parameters<TillOperations["voidTxn"]>): Promise<TillOutcome> {
    return this.counted("void", () => super.voidTxn(...args));
  }

  override async balance(...args: Parameters<TillOperations["balance"]>): ReturnType<TillOperations["balance"]> {
    try {
      const outcome = await super.balance(...args);
      this.count("balance", "approved");
      return outcome;
    } catch (err) {
      this.count("balance", "error");
      throw err;
    }
  }

  private async counted(op: TillOp, run: () => Promise<TillOutcome>): Promise<TillOutcome> {
    try {
      const outcome = await run();
      this.count(op, outcome.approved ? "approved" : "declined");
      return outcome;
    } catch (err) {
      this.count(op, "error");
      throw err;
    }
  }
}
