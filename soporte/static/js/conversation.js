// One conversation on screen, and the scrolling box that shows it.
//
// A Conversation keeps its messages in id order and shows each id once, however
// it arrives (history page, live event, catch-up after a reconnect, an ack).
// Text only ever goes in through textContent.

import { renderAttachments, withoutLinkLines } from "./attachments.js";
import { formatFecha, parseFecha } from "./dates.js";
import { el } from "./dom.js";
import { locale, t } from "./i18n.js";
import { compareIds } from "./ids.js";
import { learnName, nameOf } from "./names.js";
import { NOTE_STATE_TEXT, decorateNote } from "./notes.js";
import { markDeleted, markEdited, offerActions, showText } from "./message_edits.js";

/** A message from the REST history or from a socket event, in one shape. */
export function normalize(m) {
  return {
    id: m.id,
    de: m.de ?? m.de_usuario,
    para: m.para ?? m.para_usuario,
    mensaje: m.mensaje,
    fecha: m.fecha,
    nombre: m.nombre ?? m.de_nombre, // the author's display name (live event, or REST)
    cid: m.cid, // on the viewer's own messages in history
    nota: Boolean(m.nota), // an agents' private note (agents' history and nota_creada only)
    editado_en: m.editado_en, // its author changed it (history; live: mensaje_editado)
    eliminado_en: m.eliminado_en, // its author deleted it: no text
    adjuntos: m.adjuntos || [], // files: the text's last lines are their links, for text-only pages
  };
}

let attachmentsUrl = "/api/adjuntos"; // the page's data-url-adjuntos

/** Where the attachments of messages are fetched from (the API's /api/adjuntos). */
export function useAttachmentsUrl(url) {
  if (url) attachmentsUrl = url;
}

// functions: the catalog is loaded after this module is evaluated
// waiting: not sent for want of a connection; the page sends it when the socket is back
const STATE_TEXT = {
  sending: () => t("Enviando…"), sent: () => t("Enviado"), failed: () => t("No enviado"), waiting: () => t("No enviado"),
};

export class Conversation {
  /**
   * me: the viewer's username (their messages read "Tú");
   * url(params): where its history is, for the given paging parameters.
   */
  constructor({ me, url, emptyText, editWindow = 0, history = false }) {
    this.me = me;
    this.url = url;
    this.editWindow = editWindow; // seconds the author may edit or delete a message (EDIT_WINDOW)
    this.history = history; // agents: "editado" opens what the message said before
    this.byId = new Map(); // String(id) -> element
    this.pending = new Map(); // cid -> {li, text}: own messages without an ack yet
    this.oldestId = null;
    this.newestId = null; // of every item shown, notes too: where paging and catch-up go on from
    this.newestMessageId = null; // of the messages only: how far the agent has read, what a reply has seen
    this.loaded = false; // the latest page came
    this.complete = false; // nothing older on the server
    this.loadingOlder = false;
    this.onRetry = null; // (cid, text) => void
    this.onNeedOlder = null; // () => void

    this.root = el("div", "conversation");
    this.status = el("div", "history-status small text-body-secondary text-center");
    this.empty = el("p", "conversation-empty text-body-secondary text-center my-5", emptyText || "");
    this.list = el("ol", "messages list-unstyled mb-0");
    this.root.append(this.status, this.empty, this.list);
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest(".msg-retry");
      const pending = button && this.pending.get(button.closest(".msg").dataset.cid);
      if (pending && this.onRetry) {
        this.onRetry(button.closest(".msg").dataset.cid, pending.text, pending.nota, pending.adjuntos);
      }
    });
    this.setHistoryStatus("loading");
  }

  /** Show a stored or live message; false when it is already on screen. */
  add(message) {
    const m = normalize(message);
    learnName(m.de, m.nombre);
    const key = String(m.id);
    if (m.id === undefined || m.id === null || this.byId.has(key)) return false;
    if (m.cid && this.pending.has(m.cid)) {
      // an own message whose ack was lost (the connection dropped): history brought it back
      this.sent(m.cid, m.id, m.fecha);
      return true;
    }
    const li = renderMessage(m, this.isOwn(m), this.history);
    li.dataset.id = key;
    if (this.isOwn(m)) li.dataset.state = "sent";
    if (this.isOwn(m) && !m.nota) offerActions(li, m.fecha, this.editWindow);
    this.byId.set(key, li);
    this.place(li, key);
    this.track(key, m.nota);
    return true;
  }

  /** Show several messages; returns how many were new. */
  addMany(messages) {
    let added = 0;
    for (const m of messages) if (this.add(m)) added += 1;
    return added;
  }

  isOwn(m) {
    return m.de === this.me;
  }

  /** Show an own message (or, with nota, a note) on its way out (again, for a retry). */
  sending(cid, text, { nota = false, adjuntos = [] } = {}) {
    let pending = this.pending.get(cid);
    if (!pending) {
      // the text as typed: the server adds the attachments' link lines
      const li = renderMessage({ de: this.me, mensaje: text, nota, adjuntos, typed: true }, true);
      li.dataset.cid = cid;
      pending = { li, text, nota, adjuntos };
      this.pending.set(cid, pending);
      this.list.append(li); // after every acknowledged message
      this.refreshEmpty();
    }
    setState(pending.li, "sending");
  }

  /** An own message was not acknowledged: offer to send it again (same cid). */
  failed(cid, reason) {
    const pending = this.pending.get(cid);
    if (pending) setState(pending.li, "failed", reason);
  }

  /** An own message could not go out for want of a connection: it goes when the socket is back. */
  waiting(cid, reason) {
    const pending = this.pending.get(cid);
    if (pending) setState(pending.li, "waiting", reason);
  }

  /** The [cid, text, nota, adjuntos] of the own messages and notes waiting for the connection, oldest first. */
  waitingForConnection() {
    return [...this.pending].filter(([, p]) => p.li.dataset.state === "waiting")
      .map(([cid, p]) => [cid, p.text, p.nota, p.adjuntos]);
  }

  /** The server took an own message: give it its id and time, and its place. */
  sent(cid, id, fecha) {
    const pending = this.pending.get(cid);
    if (!pending) return;
    this.pending.delete(cid);
    const key = String(id);
    if (this.byId.has(key)) {
      pending.li.remove(); // already here: a catch-up brought it before its ack
      return;
    }
    const { li } = pending;
    delete li.dataset.cid;
    li.dataset.id = key;
    setTime(li, fecha);
    setState(li, "sent");
    if (!pending.nota) offerActions(li, fecha, this.editWindow);
    this.byId.set(key, li);
    this.place(li, key);
    this.track(key, pending.nota);
  }

  /** A message edited or deleted (mensaje_editado, mensaje_eliminado); false when it is not on screen. */
  changed(change) {
    const li = this.byId.get(String(change.id));
    if (!li || li.dataset.nota === "true") return false;
    if (change.eliminado_en) markDeleted(li, change.eliminado_en, { history: this.history });
    else if (li.dataset.eliminado !== "true") {
      showText(li, withoutLinkLines(change.mensaje, Number(li.dataset.adjuntos || 0)));
      markEdited(li, change.editado_en, { history: this.history });
    }
    return true;
  }

  /** Put an element with an id in order: ids ascending, then the pending ones. */
  place(li, key) {
    let after = null;
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (node !== li && node.dataset.id && compareIds(node.dataset.id, key) < 0) {
        after = node;
        break;
      }
    }
    if (after) after.after(li);
    else this.list.prepend(li);
    this.refreshEmpty();
  }

  track(key, nota = false) {
    if (this.oldestId === null || compareIds(key, this.oldestId) < 0) this.oldestId = key;
    if (this.newestId === null || compareIds(key, this.newestId) > 0) this.newestId = key;
    if (!nota && (this.newestMessageId === null || compareIds(key, this.newestMessageId) > 0)) {
      this.newestMessageId = key;
    }
  }

  refreshEmpty() {
    const none = this.list.childElementCount === 0;
    this.empty.hidden = !this.loaded || !none;
    this.status.hidden = none && this.status.dataset.state === "start"; // nothing to start yet
  }

  /** What the top of the conversation says: loading, more, start, or error. */
  setHistoryStatus(state, retry) {
    this.status.replaceChildren();
    this.status.dataset.state = state;
    if (state === "loading") {
      this.status.append(el("span", "spinner-border spinner-border-sm me-2"), t("Cargando mensajes…"));
    } else if (state === "more") {
      const button = el("button", "btn btn-link btn-sm load-older", t("Cargar mensajes anteriores"));
      button.type = "button";
      button.addEventListener("click", () => this.onNeedOlder && this.onNeedOlder());
      this.status.append(button);
    } else if (state === "start") {
      this.status.append(t("Inicio de la conversación"));
    } else if (state === "error") {
      const button = el("button", "btn btn-link btn-sm text-danger", t("No se pudo cargar el historial. Reintentar"));
      button.type = "button";
      button.addEventListener("click", retry);
      this.status.append(button);
    }
    this.refreshEmpty();
  }
}

function renderMessage(m, own, history = false) {
  const li = el("li", `msg ${own ? "msg-own" : "msg-other"}`);
  const meta = el("div", "msg-meta");
  meta.append(el("strong", "msg-author", own ? t("Tú") : m.nombre || nameOf(m.de)), el("time", "msg-time"));
  if (own) meta.append(el("span", "msg-state"));
  const adjuntos = m.adjuntos || [];
  li.append(meta, el("div", "msg-text"));
  // a file's link line ends the text for text-only pages; this page draws the file instead
  showText(li, m.typed ? m.mensaje || "" : withoutLinkLines(m.mensaje || "", adjuntos.length));
  if (adjuntos.length) {
    li.dataset.adjuntos = String(adjuntos.length);
    li.querySelector(".msg-text").hidden = !li.dataset.texto;
    li.append(renderAttachments(adjuntos, attachmentsUrl));
  }
  if (m.nota) decorateNote(li);
  else if (m.eliminado_en) markDeleted(li, m.eliminado_en, { history });
  else if (m.editado_en) markEdited(li, m.editado_en, { history });
  setTime(li, m.fecha);
  return li;
}

function setTime(li, fecha) {
  const time = li.querySelector(".msg-time");
  if (!fecha) return;
  time.dateTime = fecha;
  time.textContent = formatFecha(fecha);
  const date = parseFecha(fecha);
  if (date) time.title = date.toLocaleString(locale);
}

function setState(li, state, reason) {
  li.dataset.state = state;
  const label = li.querySelector(".msg-state");
  label.replaceChildren((li.dataset.nota === "true" ? NOTE_STATE_TEXT : STATE_TEXT)[state]());
  li.querySelector(".msg-error")?.remove();
  if (reason && (state === "failed" || state === "waiting")) li.append(el("div", "msg-error small", reason));
  if (state === "failed") {
    const retry = el("button", "btn btn-link btn-sm p-0 ms-1 align-baseline msg-retry", t("Reintentar"));
    retry.type = "button";
    label.append(retry);
  }
}

/** The scrolling box: shows one conversation, follows the newest, pages on the way up. */
export class ChatBox {
  constructor(box, newButton) {
    this.box = box;
    this.newButton = newButton;
    this.conv = null;
    this.onNeedOlder = null; // (conversation) => void
    this.onNeedNewer = null; // (conversation) => void: opened at an older message (search.js)
    box.addEventListener("scroll", () => this.scrolled(), { passive: true });
    newButton.addEventListener("click", () => this.toBottom());
  }

  show(conv) {
    this.conv = conv;
    this.box.replaceChildren(conv.root);
    this.toBottom();
  }

  atBottom() {
    const { box } = this;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  }

  toBottom() {
    this.box.scrollTop = this.box.scrollHeight;
    this.newButton.hidden = true;
  }

  /** Add newer messages to `conv`, following them if the reader was at the bottom. */
  newer(conv, change, { own = false } = {}) {
    if (conv !== this.conv) return change();
    const follow = own || this.atBottom();
    const added = change();
    if (follow) this.toBottom();
    else if (added) this.newButton.hidden = false;
    return added;
  }

  /** Add older messages to `conv`, keeping on screen what the reader was looking at. */
  older(conv, change) {
    if (conv !== this.conv) return change();
    const fromBottom = this.box.scrollHeight - this.box.scrollTop;
    const added = change();
    this.box.scrollTop = this.box.scrollHeight - fromBottom;
    return added;
  }

  scrolled() {
    if (this.atBottom()) this.newButton.hidden = true;
    if (this.box.scrollTop < 80 && this.conv && this.onNeedOlder) this.onNeedOlder(this.conv);
    if (this.atBottom() && this.conv?.hasNewer && this.onNeedNewer) this.onNeedNewer(this.conv);
  }

  /** After a page came: if it does not fill the box there is no scrolling up, so ask again. */
  fillUp() {
    if (this.conv && this.box.scrollHeight <= this.box.clientHeight && this.onNeedOlder) {
      this.onNeedOlder(this.conv);
    }
  }
}
