// Email (soporte/mail/): a customer's address, the form of the offline notice (#pedir-email) and the
// transcript; an agent's address and opt-in (#dialogo-correo). Texts of the server come back Spanish: t().
import { t } from "./i18n.js";
import { authHeaders, sendJSON, withLanguage } from "./rest.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content;

/** Show a result under a form: an error in red, else a confirmation. */
function say(where, text, error = false) {
  where.textContent = text;
  where.classList.toggle("text-danger", error);
  where.classList.toggle("text-success", !error);
}

/** PUT the account's email settings; the answer, or null after showing the error. */
async function save(url, body, status) {
  try {
    return await sendJSON("PUT", url, body, csrf);
  } catch (error) {
    say(status, t(error.message), true);
    return null;
  }
}

/** The customer's side: the address, the offline notice's form and the transcript button. */
async function startCustomer(root) {
  const url = root.dataset.url;
  const ask = document.getElementById("pedir-email");
  const form = document.getElementById("form-correo");
  const input = document.getElementById("correo-direccion");
  const formStatus = root.querySelector("#mi-correo .correo-aviso");
  let email = null;
  let supportOnline = null; // null: not known yet

  const update = () => {
    input.value = email || "";
    ask.hidden = !(supportOnline === false && !email);
  };
  document.addEventListener("soporte-en-linea", (event) => {
    supportOnline = event.detail.online;
    update();
  });
  ask.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = ask.querySelector(".correo-aviso");
    const answer = await save(url, { email: document.getElementById("pedir-email-direccion").value }, status);
    if (answer) {
      email = answer.email;
      update();
      say(formStatus, t("Te avisaremos en {email}", { email }));
      document.getElementById("mi-correo").open = true;
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await save(url, { email: input.value.trim() || null }, formStatus);
    if (answer) {
      email = answer.email;
      update();
      say(formStatus, email ? t("Te avisaremos en {email}", { email }) : t("Ya no te escribiremos"));
    }
  });
  document.getElementById("pedir-transcripcion").addEventListener("click", async () => {
    try {
      const answer = await sendJSON("POST", root.dataset.urlTranscripcion, undefined, csrf);
      say(formStatus, t("Te enviaremos la transcripción a {email}", { email: answer.email }));
    } catch (error) {
      say(formStatus, t(error.message), true);
    }
  });
  try {
    // the widget has no cookie: its bearer token (none on the chat page, where the cookie goes)
    const response = await fetch(withLanguage(url), { headers: { Accept: "application/json", ...authHeaders() }, cache: "no-store" });
    if (response.ok) email = (await response.json()).email;
  } catch (error) {
    /* the form still works; the address shows once saved */
  }
  update();
}

/** The agent's side: a dialog with the address and the opt-in, opened from the header. */
function startAgent(dialog) {
  const url = dialog.dataset.url;
  const input = document.getElementById("correo-direccion");
  const avisos = document.getElementById("correo-avisos");
  const status = dialog.querySelector(".correo-aviso");
  document.getElementById("abrir-correo")?.addEventListener("click", async () => {
    status.textContent = "";
    dialog.showModal();
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (response.ok) {
      const data = await response.json();
      input.value = data.email || "";
      avisos.checked = Boolean(data.avisos);
    }
  });
  dialog.querySelector("[data-cerrar]").addEventListener("click", () => dialog.close());
  document.getElementById("form-correo").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await save(url, { email: input.value.trim() || null, avisos: avisos.checked }, status);
    if (answer) say(status, t("Guardado"));
  });
}

const customer = document.getElementById("correo");
if (customer) startCustomer(customer);
const agent = document.getElementById("dialogo-correo");
if (agent) startAgent(agent);
