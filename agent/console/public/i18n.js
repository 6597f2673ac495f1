// The console's language: zh-CN (the default: the till's language) or en, words from
// words-zh.js and words-en.js. Static text in index.html carries data-i18n="key"; scripts
// call t("key", { n: 3 }).

import { en } from "./words-en.js";
import { zh } from "./words-zh.js";

const dictionaries = { "zh-CN": zh, en };
let current = "zh-CN";

export function language() {
  return current;
}

export function setLanguage(lang) {
  current = dictionaries[lang] ? lang : "zh-CN";
  document.documentElement.lang = current;
}

/** The text for key in the current language; {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

/** Re-label every element marked data-i18n (text) or data-i18n-placeholder. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  document.title = t("title");
}
