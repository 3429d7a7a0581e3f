// Translation of the page's own texts: t("texto en español", {name: value}).
// Spanish is the source language and the key; the English catalog maps each key to its text.
const lang = document.documentElement.lang || "es";
const catalog = {};

/** Load the catalog of the page's language (nothing to load for Spanish); Spanish texts if it fails. */
export async function loadCatalog(url) {
  if (lang === "es" || !url) return;
  try {
    const response = await fetch(url, { cache: "force-cache" }); // the URL carries the file's hash
    if (response.ok) Object.assign(catalog, await response.json());
  } catch (error) {
    console.warn("catalog not loaded, texts stay in Spanish:", error);
  }
}

/** The text in the page's language, with {placeholders} filled in. */
export function t(text, values = {}) {
  const translated = catalog[text] || text;
  return translated.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

/** The page's language, for Intl date and number formats. */
export const locale = lang === "en" ? "en-GB" : "es-ES";

// The page's catalog (its URL in <html data-catalogo>) before any module that imports t() runs:
// those modules wait for this one, so even texts made when a module loads are translated.
await loadCatalog(document.documentElement.dataset.catalogo);
