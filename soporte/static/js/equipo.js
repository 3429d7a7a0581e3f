// The team page: copy a new link, and ask before a change that ends someone's sessions.
// Every text comes from the page (already in its language): nothing here is shown as HTML.

for (const form of document.querySelectorAll("form[data-confirmar]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirmar)) event.preventDefault();
  });
}

const copy = document.getElementById("copiar-enlace");
if (copy) {
  const field = document.getElementById("enlace");
  field.addEventListener("focus", () => field.select());
  copy.addEventListener("click", () => {
    field.select();
    const done = () => { copy.textContent = copy.dataset.copiado; };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => {});
  });
}
