// What was typed into a page's form (data-conservar) survives the ES | EN switch, which reloads the page.
//
// Kept in sessionStorage (this tab only) just before the switch posts, and taken back out
// once, on the reloaded page. Never the passwords, and never in the URL.
const form = document.querySelector("form[data-conservar]");
const KEY = `soporte:campos:${window.location.pathname}`;
const NOT_KEPT = new Set(["password", "hidden", "submit", "button", "file"]);

/** The form's fields that are kept across a switch: the plain text ones. */
function keptFields() {
  return [...form.elements].filter((field) => field.name && field.tagName === "INPUT" && !NOT_KEPT.has(field.type));
}

/** The values saved by the switch, taken out of storage so they come back once. */
function takeSaved() {
  try {
    const saved = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    return saved ? JSON.parse(saved) : null;
  } catch (error) {
    return null; // storage disabled or garbled: the fields stay as the page came
  }
}

/** Keep the fields' values for the page the switch brings back. */
function save() {
  const values = Object.fromEntries(keptFields().map((field) => [field.name, field.value]));
  try {
    sessionStorage.setItem(KEY, JSON.stringify(values));
  } catch (error) {
    /* storage disabled: the switch still works, the fields come back empty */
  }
}

if (form) {
  const saved = takeSaved();
  if (saved) {
    // what the server rendered (the values of a refused attempt) wins
    for (const field of keptFields()) {
      if (!field.value && typeof saved[field.name] === "string") field.value = saved[field.name];
    }
  }
  for (const languageSwitch of document.querySelectorAll("form.idioma")) languageSwitch.addEventListener("submit", save);
}
