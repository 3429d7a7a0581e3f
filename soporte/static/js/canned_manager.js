// The canned-replies modal (Bootstrap's): every agent creates, edits and deletes the team's
// replies here. The same rules as the server are checked first, so most mistakes are told at
// once; the server's refusals (a code in use meanwhile, a reply gone) are shown the same way.
import { formatFecha } from "./dates.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { nameOf } from "./names.js";

const CODE_MAX = 32; // soporte/inbox/canned.py CODE_MAX_LENGTH
const CODE = /^[\p{L}\p{N}_-]+$/u;
const CONFIRM_MS = 5000; // how long "Confirmar" waits for the second click of a delete

/** What is wrong with a form's code and text, as {codigo, texto} (each a text or undefined). */
export function problems(codigo, texto, maxLength) {
  const found = {};
  const code = codigo.trim().replace(/^\//, "").normalize("NFC");
  if (!code) {
    found.codigo = t("Falta el código");
  } else if ([...code].length > CODE_MAX) {
    found.codigo = t("El código no puede tener más de {n} caracteres", { n: CODE_MAX });
  } else if (!CODE.test(code)) {
    found.codigo = t("El código solo puede tener letras, números, guiones (-) y guiones bajos (_)");
  }
  const text = texto.trim();
  if (!text) found.texto = t("Falta el texto");
  else if ([...text].length > maxLength) found.texto = t("El texto supera los {n} caracteres", { n: maxLength });
  return found;
}

export class CannedManager {
  /** replies: CannedReplies; opener: the header's button; maxLength: the server's message limit. */
  constructor({ replies, opener, maxLength }) {
    Object.assign(this, { replies, maxLength });
    this.element = document.getElementById("respuestas-modal");
    this.modal = window.bootstrap.Modal.getOrCreateInstance(this.element);
    this.form = document.getElementById("respuesta-form");
    this.title = document.getElementById("respuesta-form-titulo");
    this.code = document.getElementById("respuesta-codigo");
    this.text = document.getElementById("respuesta-texto");
    this.error = document.getElementById("respuesta-error");
    this.saveButton = document.getElementById("respuesta-guardar");
    this.cancelButton = document.getElementById("respuesta-cancelar");
    this.list = document.getElementById("respuestas-lista");
    this.empty = document.getElementById("respuestas-vacio");
    this.notice = document.getElementById("respuestas-aviso");
    this.editing = null; // the id of the reply in the form, or null for a new one
    this.returnFocus = null;

    opener.addEventListener("click", () => this.open());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.cancelButton.addEventListener("click", () => this.reset());
    for (const field of [this.code, this.text]) field.addEventListener("input", () => this.clearField(field));
    this.list.addEventListener("click", (event) => this.listClicked(event));
    this.element.addEventListener("shown.bs.modal", () => this.code.focus());
    this.element.addEventListener("hidden.bs.modal", () => this.returnFocus?.focus());
    replies.onChange(() => this.refresh());
  }

  /** Open the modal on a new reply (its code filled in, from the picker, when given). */
  open(code = "") {
    this.returnFocus = document.activeElement;
    this.reset();
    this.code.value = code;
    this.notice.textContent = "";
    this.render();
    this.modal.show();
  }

  /** The form back to a new, empty reply. */
  reset() {
    this.editing = null;
    this.form.reset();
    this.clearErrors();
    this.title.textContent = t("Nueva respuesta");
    this.saveButton.textContent = t("Crear respuesta");
    this.cancelButton.hidden = true;
  }

  /** The form on an existing reply. */
  edit(reply) {
    this.reset();
    this.editing = reply.id;
    this.code.value = reply.codigo;
    this.text.value = reply.texto;
    this.title.textContent = t("Editar /{codigo}", { codigo: reply.codigo });
    this.saveButton.textContent = t("Guardar cambios");
    this.cancelButton.hidden = false;
    this.code.focus();
  }

  async submit() {
    this.clearErrors();
    const wrong = problems(this.code.value, this.text.value, this.maxLength);
    if (wrong.codigo || wrong.texto) {
      this.showProblems(wrong);
      return;
    }
    const body = { codigo: this.code.value, texto: this.text.value };
    this.saveButton.disabled = true;
    try {
      const answer = await this.replies.save(this.editing === null ? "POST" : "PUT", body, this.editing ?? undefined);
      if (!answer.ok) {
        this.refused(answer);
        return;
      }
      this.notice.textContent = this.editing === null
        ? t("Respuesta /{codigo} creada.", { codigo: answer.body.codigo })
        : t("Respuesta /{codigo} guardada.", { codigo: answer.body.codigo });
      this.reset();
      this.code.focus();
    } catch (error) {
      this.showError(t("No se pudo guardar: sin conexión con el servidor"));
    } finally {
      this.saveButton.disabled = false;
    }
  }

  /** The server said no: on the field at fault, else above the buttons. */
  refused({ status, body }) {
    if (status === 404 && this.editing !== null) {
      this.reset(); // someone deleted it: what was typed can still become a new reply
      this.showError(t("Esa respuesta rápida ya no existe"));
    } else if (body.campo === "codigo" || body.campo === "texto") {
      this.showProblems({ [body.campo]: t(body.error) });
    } else {
      this.showError(statusText(status, body));
    }
  }

  async listClicked(event) {
    const button = event.target.closest("button[data-accion]");
    const reply = button && this.replies.byId.get(Number(button.closest("[data-id]").dataset.id));
    if (!reply) return;
    if (button.dataset.accion === "editar") {
      this.edit(reply);
      return;
    }
    if (button.dataset.confirmar !== "true") { // the first click asks; the second deletes
      askToConfirm(button, reply, true);
      setTimeout(() => askToConfirm(button, reply, false), CONFIRM_MS);
      return;
    }
    button.disabled = true;
    try {
      const answer = await this.replies.save("DELETE", undefined, reply.id);
      if (answer.ok || answer.status === 404) {
        this.notice.textContent = t("Respuesta /{codigo} borrada.", { codigo: reply.codigo });
        if (answer.status === 404) this.replies.apply({ accion: "borrada", respuesta: reply });
        if (this.editing === reply.id) this.reset();
      } else {
        this.notice.textContent = statusText(answer.status, answer.body);
        this.render();
      }
    } catch (error) {
      this.notice.textContent = t("No se pudo borrar: sin conexión con el servidor");
      this.render();
    }
  }

  /** The list changed (here or by another agent). */
  refresh() {
    if (this.editing !== null && !this.replies.byId.has(this.editing)) {
      this.editing = null; // deleted by another agent: the form stays, as a new reply
      this.title.textContent = t("Nueva respuesta");
      this.saveButton.textContent = t("Crear respuesta");
      this.cancelButton.hidden = true;
      this.showError(t("Otro agente ha borrado la respuesta que editabas; guárdala como nueva si quieres."));
    }
    this.render();
  }

  render() {
    const replies = this.replies.all();
    this.list.replaceChildren(...replies.map((reply) => item(reply)));
    this.list.hidden = replies.length === 0;
    this.empty.hidden = replies.length > 0;
  }

  showProblems(wrong) {
    for (const [name, field] of [["codigo", this.code], ["texto", this.text]]) {
      if (!wrong[name]) continue;
      field.classList.add("is-invalid");
      field.setAttribute("aria-invalid", "true");
      document.getElementById(`respuesta-${name}-error`).textContent = wrong[name];
    }
    (wrong.codigo ? this.code : this.text).focus();
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  clearField(field) {
    field.classList.remove("is-invalid");
    field.removeAttribute("aria-invalid");
  }

  clearErrors() {
    this.clearField(this.code);
    this.clearField(this.text);
    this.error.hidden = true;
    this.error.textContent = "";
  }
}

/** A delete button asking for its second click (or back to its first). */
function askToConfirm(button, reply, asking) {
  button.dataset.confirmar = String(asking);
  button.textContent = asking ? t("¿Borrar? Confirmar") : t("Borrar");
  button.setAttribute("aria-label", asking ? t("Confirmar el borrado de /{codigo}", { codigo: reply.codigo })
    : t("Borrar /{codigo}", { codigo: reply.codigo }));
  button.classList.toggle("btn-danger", asking);
  button.classList.toggle("btn-outline-danger", !asking);
}

/** A refusal's text for the agent: the server's, translated, or what its status means. */
function statusText(status, body) {
  if (status === 401) return t("Tu sesión ha caducado; vuelve a entrar");
  if (status === 429) return t("Demasiados cambios seguidos; espera un momento");
  if (body && body.error) return t(body.error);
  return t("No se pudo guardar; inténtalo de nuevo");
}

function item(reply) {
  const li = el("li", "list-group-item d-flex gap-2 align-items-start respuesta-item");
  li.dataset.id = String(reply.id);
  const body = el("div", "flex-grow-1 respuesta-item-cuerpo");
  const meta = t("Cambiada por {name} el {fecha}", {
    name: nameOf(reply.actualizado_por), fecha: formatFecha(reply.actualizado_en),
  });
  body.append(
    el("div", "fw-semibold respuesta-item-codigo", `/${reply.codigo}`),
    el("div", "small respuesta-item-texto", reply.texto),
    el("div", "small text-body-secondary", meta),
  );
  const edit = el("button", "btn btn-outline-secondary btn-sm", t("Editar"));
  edit.type = "button";
  edit.dataset.accion = "editar";
  edit.setAttribute("aria-label", t("Editar /{codigo}", { codigo: reply.codigo }));
  const remove = el("button", "btn btn-outline-danger btn-sm", t("Borrar"));
  remove.type = "button";
  remove.dataset.accion = "borrar";
  remove.setAttribute("aria-label", t("Borrar /{codigo}", { codigo: reply.codigo }));
  const actions = el("div", "d-flex flex-wrap gap-1 flex-shrink-0");
  actions.append(edit, remove);
  li.append(body, actions);
  return li;
}
