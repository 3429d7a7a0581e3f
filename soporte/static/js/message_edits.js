// Editing and deleting one's own messages (editar_mensaje, borrar_mensaje), how a changed
// message looks ("editado", "Mensaje eliminado"), and, for agents, a message's edit history.
//
// The page offers the actions on its own messages while EDIT_WINDOW lasts (the server decides:
// a late click gets its refusal). An edit happens in place: Enter saves, Esc cancels.
import { el } from "./dom.js";
import { formatFecha, parseFecha } from "./dates.js";
import { t } from "./i18n.js";
import { newCid } from "./ids.js";
import { renderText } from "./linkify.js";
import { isConnected, request } from "./socket.js";

// the server stores a message a moment after delivering it: an edit that came first is retried
const NOT_YET_STORED = "El mensaje aún no se ha podido guardar; vuelve a intentarlo en un momento";
const RETRIES = 5;
const RETRY_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's longest delay

/** A message's text, shown with its links, and kept for an edit. */
export function showText(li, text) {
  renderText(li.querySelector(".msg-text"), text);
  li.dataset.texto = text;
}

/** Mark a message edited: "editado" beside its time, the edit's time in its title (a button for agents). */
export function markEdited(li, when, { history = false } = {}) {
  let label = li.querySelector(".msg-cambio");
  if (!label) {
    label = history ? el("button", "btn btn-link btn-sm p-0 align-baseline msg-cambio") : el("span", "msg-cambio");
    if (history) {
      label.type = "button";
      label.setAttribute("aria-expanded", "false");
    }
    li.querySelector(".msg-time").after(label);
  }
  label.textContent = t("editado");
  label.title = t("Editado el {fecha}", { fecha: formatFecha(when) });
  li.dataset.editado = "true";
}

/** Mark a message deleted: its text gone for good on this page, "Mensaje eliminado" in its place. */
export function markDeleted(li, when, { history = false } = {}) {
  const text = li.querySelector(".msg-text");
  text.replaceChildren(el("em", "", t("Mensaje eliminado")));
  text.title = t("Eliminado el {fecha}", { fecha: formatFecha(when) });
  delete li.dataset.texto;
  li.dataset.eliminado = "true";
  li.querySelector(".msg-acciones")?.remove();
  li.querySelector(".msg-edicion")?.remove();
  li.querySelector(".adjuntos")?.remove(); // its files went with it
  text.hidden = false;
  if (history) markEdited(li, when, { history }); // agents may still read what it said
  const label = li.querySelector(".msg-cambio");
  if (label) label.textContent = t("eliminado");
}

/** Offer Editar and Borrar on an own message until windowSeconds after it was sent (fecha). */
export function offerActions(li, fecha, windowSeconds) {
  const left = (parseFecha(fecha)?.getTime() ?? 0) + windowSeconds * 1000 - Date.now();
  if (!(left > 0) || li.dataset.eliminado === "true" || li.querySelector(".msg-acciones")) return;
  const actions = el("div", "msg-acciones");
  const editar = el("button", "btn btn-link btn-sm p-0 msg-editar", t("Editar"));
  const borrar = el("button", "btn btn-link btn-sm p-0 text-danger msg-borrar", t("Borrar"));
  editar.type = borrar.type = "button";
  actions.append(editar, borrar);
  li.querySelector(".msg-meta").append(actions);
  setTimeout(() => actions.remove(), Math.min(left, MAX_TIMER_MS));
}

/**
 * The actions on the chat box's messages: edit in place, delete after a confirmation, and
 * (agents, historyUrl(id)) the edit history under a message. getJSON: the page's REST reader.
 */
export class MessageEdits {
  constructor({ box, getJSON, historyUrl }) {
    Object.assign(this, { box, getJSON, historyUrl });
    box.addEventListener("click", (event) => {
      const li = event.target.closest(".msg");
      if (!li || !li.dataset.id) return;
      if (event.target.closest(".msg-editar")) this.edit(li);
      else if (event.target.closest(".msg-borrar")) this.remove(li);
      else if (event.target.closest("button.msg-cambio")) this.toggleHistory(li, event.target.closest(".msg-cambio"));
    });
  }

  /** Turn the message's text into a box: Enter saves, Shift+Enter breaks the line, Esc cancels. */
  edit(li) {
    if (li.querySelector(".msg-edicion")) return;
    const text = li.querySelector(".msg-text");
    const box = el("textarea", "form-control form-control-sm msg-edicion");
    box.value = li.dataset.texto || "";
    box.rows = Math.min(8, box.value.split("\n").length + 1);
    box.setAttribute("aria-label", t("Editar el mensaje"));
    const hint = el("div", "form-text msg-edicion", t("Intro guarda · Esc cancela"));
    text.hidden = true;
    text.after(box, hint);
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    const close = () => {
      box.remove();
      hint.remove();
      text.hidden = false;
    };
    const cid = newCid(); // one per edit: a retry of this edit is done once
    box.addEventListener("keydown", (event) => {
      if (event.isComposing || event.keyCode === 229) return;
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        const value = box.value;
        if (!value.trim()) return;
        if (value === li.dataset.texto) return close();
        box.disabled = true;
        this.send("editar_mensaje", { id: Number(li.dataset.id), mensaje: value, cid }, li, (ack) => {
          close();
          if (ack) showText(li, value);
        }, () => {
          box.disabled = false;
          box.focus();
        });
      }
    });
  }

  /** Delete the message once the author confirms. */
  remove(li) {
    if (!window.confirm(t("¿Borrar este mensaje? Nadie podrá volver a leerlo."))) return;
    this.send("borrar_mensaje", { id: Number(li.dataset.id), cid: newCid() }, li, () => {}, () => {});
  }

  /** Emit a change, retrying while the server has not stored the message yet; show a refusal under it. */
  send(event, payload, li, done, failed, attempt = 0) {
    li.querySelector(".msg-error")?.remove();
    if (!isConnected()) {
      this.refused(li, t("Sin conexión: inténtalo cuando vuelva la conexión"));
      failed();
      return;
    }
    request(event, payload, (err, ack) => {
      if (!err && ack && ack.ok) return done(ack); // the live event changes the message here too
      if (!err && ack && ack.error === NOT_YET_STORED && attempt < RETRIES) {
        setTimeout(() => this.send(event, payload, li, done, failed, attempt + 1), RETRY_MS);
        return;
      }
      this.refused(li, err ? t("El servidor no respondió a tiempo") : t((ack && ack.error) || "Cambio rechazado"));
      failed();
    });
  }

  refused(li, reason) {
    li.append(el("div", "msg-error small", reason));
  }

  /** Show or hide, under the message, what it said before each change (agents only). */
  async toggleHistory(li, button) {
    const shown = li.querySelector(".msg-historial");
    if (shown) {
      shown.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const list = el("ol", "list-unstyled small mb-0 mt-1 msg-historial");
    li.append(list);
    button.setAttribute("aria-expanded", "true");
    try {
      const changes = await this.getJSON(this.historyUrl(li.dataset.id));
      list.replaceChildren(...changes.map((change) => {
        const item = el("li", "");
        const values = { name: change.nombre, fecha: formatFecha(change.cuando) };
        const what = change.accion === "eliminar" ? t("Eliminado por {name}, {fecha}:", values)
          : t("Editado por {name}, {fecha}:", values);
        item.append(el("span", "text-body-secondary", what), " ", el("span", "msg-historial-texto", change.texto_anterior));
        return item;
      }));
      if (!changes.length) list.append(el("li", "text-body-secondary", t("Sin cambios guardados")));
    } catch {
      list.replaceChildren(el("li", "text-danger", t("No se pudo cargar el historial de cambios")));
    }
  }
}
