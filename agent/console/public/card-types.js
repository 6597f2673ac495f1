// The chain's card types by name (GET /api/v1/card-types, from the policy the till holds):
// the cashier reads 金卡, not the id "gold" the API carries. Loaded at log-in; an id the
// list does not know is shown as it is.

import { call } from "./api.js";
import { language } from "./i18n.js";

const names = new Map();

/** Fetch the list; resolves with it ([] when the agent has none yet). */
export async function loadCardTypes() {
  const reply = await call("GET", "/api/v1/card-types");
  if (!reply.ok) return [];
  const types = reply.body.cardTypes ?? [];
  for (const c of types) names.set(c.id, c.name);
  return types;
}

/** "金卡" in Chinese; "金卡 (gold)" in English, where the name alone may not be read. */
export function cardTypeName(id) {
  if (!id) return "";
  const name = names.get(id);
  if (!name || name === id) return id;
  return language() === "zh-CN" ? name : `${name} (${id})`;
}

/** The id for what was typed: an id, or a name from the list (金卡 → gold). */
export function cardTypeId(typed) {
  const text = typed.trim();
  if (names.has(text)) return text;
  for (const [id, name] of names) if (name === text || `${name} (${id})` === text) return id;
  return text;
}
