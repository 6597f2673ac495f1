/**
 * Sample data for every receipt template: the receipts people look at in docs/receipts/
 * and the fixtures the template tests decode.
 */
import { Resvg } from "@resvg/resvg-js";
import type {
  BalanceReceiptData,
  CardEvent,
  CardEventReceiptData,
  CountUseReceiptData,
  DailyCloseReceiptData,
  ReversalReceiptData,
  SaleReceiptData,
  SelfTestReceiptData,
  TopUpReceiptData,
} from "../../agent/receipts/receipt-data.js";
import { findPreviewFonts } from "../../drivers/printer/render-receipt.js";

export const SAMPLE_SALE: SaleReceiptData = {
  storeName: "悦享生活馆 徐汇店",
  terminalId: "SH-XH-T01",
  operatorId: "cashier-07",
  txnId: "SH-XH-T01-20240501-000123",
  seq: 123,
  at: "2024-05-01T04:34:56.000Z",
  cardId: "ic:04A1B2C3D4E5F6",
  memberName: "张小明",
  cardTypeName: "金卡",
  gross: 12800,
  discount: 1280,
  net: 11520,
  pointsEarned: 5,
  balanceAfter: 88480,
  mode: "online",
};

const TXN = {
  storeName: SAMPLE_SALE.storeName,
  terminalId: SAMPLE_SALE.terminalId,
  operatorId: SAMPLE_SALE.operatorId,
  at: SAMPLE_SALE.at,
  cardId: SAMPLE_SALE.cardId,
  memberName: SAMPLE_SALE.memberName,
  cardTypeName: SAMPLE_SALE.cardTypeName,
  mode: "online" as const,
};

/** A sale paid partly with points (积分抵扣): 500 points worth ¥5.00. */
export const SAMPLE_SALE_POINTS: SaleReceiptData = {
  ...SAMPLE_SALE,
  txnId: "SH-XH-T01-20240501-000124",
  seq: 124,
  net: 11020,
  pointsRedeemed: 500,
  redeemedValue: 500,
  balanceAfter: 77460,
  pointsAfter: 1320,
};

export const SAMPLE_TOPUP: TopUpReceiptData = {
  ...TXN,
  txnId: "SH-XH-T01-20240501-000125",
  seq: 125,
  paid: 100_000,
  bonus: 10_000,
  bonusPoints: 200,
  payment: "cash",
  balanceAfter: 187_460,
};

export const SAMPLE_REFUND: ReversalReceiptData = {
  ...TXN,
  txnId: "SH-XH-T01-20240501-000126",
  seq: 126,
  kind: "refund",
  originalTxnId: "SH-XH-T01-20240501-000123",
  amount: 11520,
  pointsChange: -5,
  refundTo: "card",
  balanceAfter: 198_980,
  reason: "商品退货",
  supervisorId: "mgr-01",
};

export const SAMPLE_VOID: ReversalReceiptData = {
  ...SAMPLE_REFUND,
  txnId: "SH-XH-T01-20240501-000127",
  seq: 127,
  kind: "void",
  originalTxnId: "SH-XH-T01-20240501-000125",
  amount: 110_000,
  pointsChange: -200,
  refundTo: "cash",
  balanceAfter: 88_980,
  reason: "充值金额输错",
};

export const SAMPLE_COUNT_USE: CountUseReceiptData = {
  ...TXN,
  txnId: "SH-XH-T01-20240501-000128",
  seq: 128,
  memberName: "李娜",
  cardTypeName: "次卡",
  cardId: "ic:04D5E6F7",
  service: "精油按摩 60 分钟",
  used: 1,
  remaining: 9,
  expiresOn: "2024-12-31",
};

export const SAMPLE_BALANCE: BalanceReceiptData = {
  storeName: SAMPLE_SALE.storeName,
  terminalId: SAMPLE_SALE.terminalId,
  operatorId: SAMPLE_SALE.operatorId,
  at: "2024-05-01T05:00:00.000Z",
  cardId: SAMPLE_SALE.cardId,
  memberName: SAMPLE_SALE.memberName,
  cardTypeName: SAMPLE_SALE.cardTypeName,
  balance: 88_980,
  points: 1_315,
  packages: [
    { service: "精油按摩 60 分钟", remaining: 9, expiresOn: "2024-12-31" },
    { service: "洗剪吹", remaining: 3, expiresOn: null },
  ],
  source: "online",
  asOf: null,
};

const CARD_EVENT_BASE = { ...TXN, txnId: "SH-XH-T01-20240501-000130", seq: 130 };

export const SAMPLE_CARD_EVENTS: Record<CardEvent, CardEventReceiptData> = {
  issue: { ...CARD_EVENT_BASE, event: "issue", cardTypeName: "银卡", openingBalance: 50_000, deposit: 2_000 },
  loss: { ...CARD_EVENT_BASE, event: "loss", reason: "会员电话挂失" },
  unloss: { ...CARD_EVENT_BASE, event: "unloss", reason: "卡已找回" },
  freeze: { ...CARD_EVENT_BASE, event: "freeze", reason: "账户核查", supervisorId: "mgr-01" },
  unfreeze: { ...CARD_EVENT_BASE, event: "unfreeze", supervisorId: "mgr-01" },
  replace: {
    ...CARD_EVENT_BASE,
    event: "replace",
    newCardId: "ic:04FFEEDDCCBBAA",
    balanceMoved: 88_980,
    reason: "卡片损坏",
  },
  recycle: { ...CARD_EVENT_BASE, event: "recycle", deposit: 2_000, reason: "会员退卡" },
  levelChange: { ...CARD_EVENT_BASE, event: "levelChange", fromLevel: "银卡", toLevel: "金卡", cardTypeName: "金卡" },
};

export const SAMPLE_DAILY_CLOSE: DailyCloseReceiptData = {
  storeName: SAMPLE_SALE.storeName,
  terminalId: SAMPLE_SALE.terminalId,
  operatorId: "mgr-01",
  businessDay: "2024-05-01",
  at: "2024-05-01T14:05:00.000Z",
  firstTxnAt: "2024-05-01T01:02:03.000Z",
  lastTxnAt: "2024-05-01T13:58:00.000Z",
  byKind: [
    { kind: "sale", count: 86, amount: 1_234_500 },
    { kind: "topup", count: 12, amount: 2_400_000 },
    { kind: "refund", count: 2, amount: 23_040 },
    { kind: "void", count: 1, amount: 110_000 },
    { kind: "countUse", count: 17, amount: 0 },
    { kind: "cardEvent", count: 4, amount: 0 },
  ],
  byOperator: [
    // Kinds mixed: the signed change of stored value (top-ups +, sales −).
    { operatorId: "cashier-07", count: 70, amount: 865_500 },
    { operatorId: "cashier-09", count: 52, amount: -112_040 },
  ],
  byPayment: [
    { payment: "cash", count: 5, amount: 800_000 },
    { payment: "wechat", count: 6, amount: 1_100_000 },
    { payment: "alipay", count: 1, amount: 500_000 },
  ],
  online: { count: 115, amount: 827_460 },
  offline: { count: 7, amount: -74_000 },
  unsynced: { count: 2, amount: -12_800 },
  bonusGiven: 240_000,
  pointsEarned: 6_172,
  pointsRedeemed: 2_500,
};

export const SAMPLE_SELF_TEST: SelfTestReceiptData = {
  storeName: SAMPLE_SALE.storeName,
  terminalId: SAMPLE_SALE.terminalId,
  at: "2024-05-01T01:00:00.000Z",
  agentVersion: "0.1.0",
  configFile: "/etc/cardterm/config.yaml",
  hostname: "pos-xh-01",
  addresses: ["192.168.10.21", "fe80::5054:ff:fe12:3456"],
  readers: [
    { id: "front", type: "pcsc", state: "ready" },
    { id: "id-card", type: "serial-id", state: "lost" },
  ],
  broker: { url: "mqtts://mqtt.example.com:8883", connected: true },
  server: { lastContactAt: "2024-05-01T00:59:58.000Z" },
  printer: { type: "network", paperWidth: 80, charset: "gb18030", drawer: "pin 2" },
  journalPending: 0,
  receiptsQueued: 1,
};

/** The chain's receipt settings used by the samples. */
export const SAMPLE_HEADER = ["上海市徐汇区漕溪北路 88 号", "电话 021-6488 0000"];
export const SAMPLE_FOOTER = ["储值余额不兑现 请妥善保管会员卡", "会员热线 400-820-8820"];

let logo: Buffer | undefined;

/** A small monochrome logo PNG (drawn from SVG, as a chain's designer would deliver it). */
export function sampleLogoPng(): Buffer {
  if (logo) return logo;
  const fonts = findPreviewFonts();
  const family = fonts.cjk?.family ?? fonts.latin?.family ?? "sans-serif";
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="72" viewBox="0 0 240 72">` +
    `<rect width="240" height="72" fill="#fff"/>` +
    `<circle cx="36" cy="36" r="30" fill="#000"/><circle cx="36" cy="36" r="16" fill="#fff"/>` +
    `<circle cx="36" cy="36" r="8" fill="#000"/>` +
    `<text x="80" y="46" font-family="${family}" font-size="30" font-weight="bold" fill="#000">悦享 JOY</text>` +
    `</svg>`;
  const files = [fonts.cjk?.file, fonts.latin?.file].filter((f): f is string => f !== undefined);
  logo = new Resvg(svg, { font: { loadSystemFonts: false, fontFiles: files, defaultFontFamily: family } })
    .render()
    .asPng();
  return logo;
}
