// Private notes (agents only): the composer's "Nota interna" mode, sending a note, notes
// arriving live (`nota_creada`), and how a note looks in the conversation.
//
// A note never goes to the customer: it is its own event (`nota_interna`), stored apart
// from the messages, and the server sends `nota_creada` to the agents' room only. The
// agents' history brings notes back among the messages (notas=1), marked `nota`.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { newCid } from "./ids.js";
import { isConnected, on, request } from "./socket.js";

// a note is saved, not sent (functions: the catalog is loaded after this module is evaluated)
export const NOTE_STATE_TEXT = {
  sending: () => t("Guardando…"), sent: () => t("Guardada"), failed: () => t("No guardada"), waiting: () => t("No guardada"),
};

/** Mark a rendered item as a note: its own look, and a label that says who can read it. */
export function decorateNote(li) {
  li.classList.add("msg-nota");
  li.dataset.nota = "true";
  li.prepend(el("div", "msg-nota-etiqueta", t("Nota interna · solo agentes")));
}

/** A `nota_creada` payload as a history item (the shape Conversation.add takes). */
export function noteItem(note) {
  return { id: note.id, nota: true, de_usuario: note.autor, de_nombre: note.nombre, mensaje: note.texto,
    fecha: note.fecha };
}

/**
 * The composer's switch between a reply to the customer and a note for the agents.
 * toggle: the "Nota interna" button (aria-pressed); form, input, button: the composer's;
 * hint: the line under it that says a note is being written.
 */
export class NoteMode {
  constructor({ toggle, form, input, button, hint }) {
    Object.assign(this, { toggle, form, input, button, hint });
    this.on = false;
    this.enabled = false;
    this.replyText = button.textContent; // "Enviar", in the page's language
    toggle.addEventListener("click", () => {
      this.set(!this.on);
      input.focus();
    });
    this.render();
  }

  /** Write notes (true) or replies (false). */
  set(on) {
    this.on = on;
    this.render();
  }

  /** No conversation open: nothing to write, and the switch rests. */
  setEnabled(enabled) {
    this.enabled = enabled;
    this.render();
  }

  /** The box's placeholder for what is written now. */
  placeholder() {
    return this.on ? t("Nota interna: solo la verán los agentes…") : t("Escribe tu respuesta…");
  }

  render() {
    this.toggle.disabled = !this.enabled;
    this.toggle.setAttribute("aria-pressed", String(this.on));
    this.form.classList.toggle("escribiendo-nota", this.on);
    this.button.textContent = this.on ? t("Guardar nota") : this.replyText;
    this.button.classList.toggle("btn-warning", this.on);
    this.button.classList.toggle("btn-primary", !this.on);
    this.hint.hidden = !this.on;
    if (this.enabled) this.input.placeholder = this.placeholder();
  }
}

/**
 * Send (or send again, with the same cid) a note about the customer `con`, and follow it:
 * shown at once as the agent's own, then placed by the id the server gives it.
 */
export function sendNote(box, conv, con, text, cid = newCid()) {
  box.newer(conv, () => conv.sending(cid, text, { nota: true }), { own: true });
  if (!isConnected()) {
    conv.waiting(cid, t("Sin conexión: se guardará al volver la conexión"));
    return;
  }
  request("nota_interna", { con, texto: text, cid }, (err, ack) => {
    if (err && isConnected()) conv.failed(cid, t("El servidor no respondió a tiempo"));
    else if (err) conv.waiting(cid, t("Se cortó la conexión: se guardará al volver la conexión"));
    else if (!ack || !ack.ok) conv.failed(cid, (ack && ack.error && t(ack.error)) || t("Nota rechazada"));
    else box.newer(conv, () => conv.sent(cid, ack.id, ack.fecha));
  });
}

/** Show the notes other agents (and this agent's other tabs) write, live: received(con, item). */
export function followNotes(received) {
  on("nota_creada", (note) => received(note.con, noteItem(note)));
}
