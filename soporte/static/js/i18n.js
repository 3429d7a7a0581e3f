// Translation of the page's own texts: t("texto en español", {name: value}).
// Spanish is the source language and the key; the English catalog maps each key to its text.
const lang = document.documentElement.lang || "es";
const catalog = {};

/** Load the catalog of the page's language (nothing to load for Spanish). */
export async function loadCatalog(url) {
  if (lang === "es" || !url) return;
  const response = await fetch(url, { cache: "force-cache" });
  if (response.ok) Object.assign(catalog, await response.json());
}

/** The text in the page's language, with {placeholders} filled in. */
export function t(text, values = {}) {
  const translated = catalog[text] || text;
  return translated.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

/** The page's language, for Intl date and number formats. */
export const locale = lang === "en" ? "en-GB" : "es-ES";
