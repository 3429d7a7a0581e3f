// The customer's data in the customer panel (supervisors): "Descargar datos" (the archive) and
// "Borrar cliente", confirmed in a <dialog> by typing the username again. After an erase the
// page reloads: the customer and their conversation are gone from every list.
import { t } from "./i18n.js";
import { forCustomer, sendJSON } from "./rest.js";

export class CustomerData {
  /** url: the panel's GET /api/clientes/USUARIO template; csrf: the page's token. */
  constructor({ url, csrf }) {
    const $ = (id) => document.getElementById(id);
    Object.assign(this, {
      url, csrf, active: null, download: $("cliente-descargar"), erase: $("cliente-borrar"),
      dialog: $("dialogo-borrar-cliente"), form: $("form-borrar-cliente"), username: $("borrar-cliente-usuario"),
      typed: $("borrar-cliente-confirmar"), confirm: $("borrar-cliente-aceptar"), error: $("borrar-cliente-error"),
    });
    this.erase.addEventListener("click", () => this.ask());
    this.typed.addEventListener("input", () => { this.confirm.disabled = this.typed.value !== this.active; });
    for (const cancel of this.dialog.querySelectorAll(".borrar-cliente-cancelar")) {
      cancel.addEventListener("click", () => this.dialog.close());
    }
    this.dialog.addEventListener("close", () => this.erase.focus());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.eraseNow();
    });
  }

  /** Whose data the buttons act on: the open conversation's customer. */
  opened(name) {
    this.active = name;
    this.download.href = `${forCustomer(this.url, name)}/datos`;
  }

  ask() {
    this.username.textContent = this.active;
    this.typed.value = "";
    this.confirm.disabled = true;
    this.error.hidden = true;
    this.dialog.showModal();
    this.typed.focus();
  }

  async eraseNow() {
    const name = this.active;
    if (this.typed.value !== name) return;
    this.confirm.disabled = true;
    this.error.hidden = true;
    try {
      await sendJSON("DELETE", forCustomer(this.url, name), { confirmar: name }, this.csrf);
    } catch (error) {
      this.error.textContent = t(error.message);
      this.error.hidden = false;
      this.confirm.disabled = false;
      return;
    }
    window.location.reload();
  }
}
