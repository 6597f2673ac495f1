/**
 * What the PC/SC driver sends a card once it is connected, and how the answers become one
 * card id (rules in ./card-identity.ts):
 *
 * 1. an ISO 14443-4 card (ATR byte 5 is not 0x4F, nfc-pcsc's test) when `aid` is set:
 *    SELECT the AID; the answer's data is the id. A card without that application is
 *    refused, not read by UID: with an AID configured, the chain's 14443-4 tokens are
 *    phones, whose UIDs are random.
 * 2. otherwise `identity: uid`: `FF CA 00 00 00`, the UID.
 * 3. otherwise `identity: memberNumber`: the MIFARE Classic block (./mifare-member-number.ts).
 *    A card whose number cannot be read (wrong key, blank, pulled away) gives no tap —
 *    never a fallback to the UID, which would be a different card id for the same member.
 *
 * A transmit that rejects (the card left the field, pcscd went away) rejects from here too.
 */
import { appCardId, type IdentityResult, memberNumberCardId, uidCardId } from "./card-identity.js";
import { type MemberNumberBlock, readMemberNumber, type Transmit } from "./mifare-member-number.js";
import type { PcscDevice } from "./pcsc-loader.js";

/** How a chip card becomes a card id. */
export interface CardIdentityOptions {
  /** ISO 14443-4 application id (upper-case hex): such cards answer SELECT with their id. */
  aid?: string;
  /** `uid`: the chip's UID; `memberNumber`: the number in a MIFARE Classic block. */
  identity: "uid" | "memberNumber";
  /** With identity memberNumber. */
  memberNumber?: MemberNumberBlock;
}

const GET_UID = Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]);
const MAX_RESPONSE = 258;

export function isIso14443_4(atr: Buffer | undefined): boolean {
  return atr !== undefined && atr.length > 5 && atr[5] !== 0x4f;
}

export async function readCardIdentity(
  transmit: Transmit,
  atr: Buffer | undefined,
  config: CardIdentityOptions,
): Promise<IdentityResult> {
  if (config.aid !== undefined && isIso14443_4(atr)) return selectApplication(transmit, config.aid);
  if (config.identity === "memberNumber" && config.memberNumber) {
    const read = await readMemberNumber(transmit, config.memberNumber);
    return read.ok ? memberNumberCardId(read.number, config.memberNumber.technology) : read;
  }
  const response = await transmit(GET_UID, MAX_RESPONSE);
  if (!isOk(response)) return { ok: false, reason: `the reader gave no UID (SW ${sw(response)})` };
  return uidCardId(response.subarray(0, -2));
}

async function selectApplication(transmit: Transmit, aidHex: string): Promise<IdentityResult> {
  const aid = Buffer.from(aidHex, "hex");
  const response = await transmit(
    Buffer.concat([Buffer.from([0x00, 0xa4, 0x04, 0x00, aid.length]), aid, Buffer.from([0x00])]),
    MAX_RESPONSE,
  );
  if (!isOk(response)) return { ok: false, reason: `the card has no application ${aidHex} (SW ${sw(response)})` };
  return appCardId(response.subarray(0, -2));
}

/**
 * ACR122U "Bi-Color LED and Buzzer Control" (API manual §6.2), sent as a pseudo-APDU while
 * the card is connected. ok: green blinks once with a short beep; refused: red blinks
 * three times with beeps. P2 bits: final red/green, red/green masks, initial blink
 * states, blink masks; data: T1 and T2 in 100 ms, repetitions, buzzer on T1.
 */
export function acr122Feedback(outcome: "ok" | "refused"): Buffer {
  return outcome === "ok"
    ? Buffer.from([0xff, 0x00, 0x40, 0xac, 0x04, 0x01, 0x01, 0x01, 0x01])
    : Buffer.from([0xff, 0x00, 0x40, 0x5c, 0x04, 0x01, 0x01, 0x03, 0x01]);
}

/** Readers that take acr122Feedback: the ACR122U (nfc-pcsc also treats the ACR1252 alike, but its LEDs differ). */
export function supportsAcr122Feedback(readerName: string): boolean {
  return /acr122/i.test(readerName);
}

function isOk(response: Buffer): boolean {
  return response.length >= 2 && response[response.length - 2] === 0x90 && response[response.length - 1] === 0x00;
}

function sw(response: Buffer): string {
  return response.length >= 2 ? response.subarray(-2).toString("hex").toUpperCase() : "none";
}

/**
 * A card that leaves the field mid-command shows either as a rejected transmit or, with
 * pcscd and vpcd, as a "successful" empty response: both mean the card is gone.
 */
export async function transmitOrGone(device: PcscDevice, apdu: Buffer, max: number): Promise<Buffer> {
  const response = await device.transmit(apdu, max);
  if (response.length < 2) throw new Error("no status word: the card left the field");
  return response;
}
