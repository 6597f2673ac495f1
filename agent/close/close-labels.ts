/**
 * Chinese labels for the close exports (the accountant's language at head office); the
 * stable English keys travel beside them in the CSV so an import never depends on them.
 */
import type { TxnKind, TxnMode } from "../../protocol/journal-entry.js";
import type { PaymentKey } from "./close-report.js";

export const KIND_LABEL: Record<TxnKind, string> = { sale: "消费", topup: "充值", refund: "退款", void: "撤销" };
export const VOID_LABEL: Record<"sale" | "topup", string> = { sale: "撤销消费", topup: "撤销充值" };
export const MODE_LABEL: Record<TxnMode, string> = { online: "在线", offline: "离线" };
export const PAYMENT_LABEL: Record<PaymentKey, string> = {
  cash: "现金",
  wechat: "微信",
  alipay: "支付宝",
  bankcard: "银行卡",
  unspecified: "未记录",
};
export const PAYMENT_PART_LABEL = { topup: "充值", void: "撤销", takings: "实收" } as const;

export const LABEL = {
  title: "日结单",
  terminal: "终端",
  day: "营业日",
  ackedSeq: "已上传至流水号",
  firstTxnAt: "首笔",
  lastTxnAt: "末笔",
  duplicates: "重复流水(已剔除)",
  total: "合计",
  operator: "操作员",
  unsynced: "未上传",
  bonusGiven: "赠送金额(扣除撤销)",
  countUses: "次卡核销",
  countUsesBack: "次卡退回",
} as const;
