// Canned replies ("respuestas rápidas"), agents only: the team's list, kept current, and the
// two things built on it, the picker in the composer and the management modal.
//
// chat.js imports this module only on an agent's page, so a customer's page never loads it.
// The list comes from GET /api/respuestas on load and after every reconnect or resincronizar;
// meanwhile each change arrives as `respuestas_cambiadas` and is applied at once.
import { on } from "./socket.js";
import { CannedPicker } from "./canned_picker.js";
import { CannedManager } from "./canned_manager.js";

/** The team's canned replies as this page knows them; listeners hear of every change. */
export class CannedReplies {
  /** url: /api/respuestas; getJSON: the page's GET (a 401 ends the session); csrf: the page's token. */
  constructor({ url, getJSON, csrf }) {
    Object.assign(this, { url, getJSON, csrf });
    this.byId = new Map();
    this.deleted = new Set(); // ids heard deleted: the server never gives an id twice
    this.listeners = [];
    this.loading = null; // the GET in flight
    this.changedWhileLoading = false;
  }

  /** Every reply, by code (as the server orders them: without regard to case). */
  all() {
    return [...this.byId.values()].sort((a, b) => compareCodes(a.codigo, b.codigo));
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  /**
   * Fetch the whole list. A change that arrives while the GET is on its way may be older or
   * newer than the answer, so the list is fetched once more after it: never a stale list.
   */
  load() {
    if (this.loading) {
      this.changedWhileLoading = true;
      return this.loading;
    }
    this.changedWhileLoading = false;
    this.loading = this.getJSON(this.url)
      .then((replies) => {
        this.byId = new Map(replies.filter((reply) => !this.deleted.has(reply.id)).map((reply) => [reply.id, reply]));
        this.changed();
      })
      .finally(() => {
        this.loading = null;
        if (this.changedWhileLoading) this.load().catch(() => {});
      });
    return this.loading;
  }

  /**
   * A `respuestas_cambiadas` event (or this page's own answer): {accion, respuesta}.
   * Events from different processes may come out of order: an older version of a reply, or a
   * change to one already deleted, is ignored.
   */
  apply({ accion, respuesta }) {
    if (!respuesta || respuesta.id === undefined) return;
    if (this.loading) this.changedWhileLoading = true;
    if (accion === "borrada") {
      this.deleted.add(respuesta.id);
      this.byId.delete(respuesta.id);
    } else {
      const known = this.byId.get(respuesta.id);
      if (this.deleted.has(respuesta.id) || (known && known.actualizado_en > respuesta.actualizado_en)) return;
      this.byId.set(respuesta.id, respuesta);
    }
    this.changed();
  }

  /**
   * POST (no id), PUT or DELETE one reply with the page's CSRF token.
   * Resolves to {ok, status, body}: body is the reply, or {error, campo?} when refused.
   */
  async save(method, body, id) {
    const url = id === undefined ? this.url : `${this.url}/${encodeURIComponent(id)}`;
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) this.apply({ accion: method === "DELETE" ? "borrada" : method === "POST" ? "creada" : "editada",
      respuesta: answer });
    return { ok: response.ok, status: response.status, body: answer };
  }
}

/** Codes in the order a person expects: without regard to case or accents. */
export function compareCodes(a, b) {
  return a.localeCompare(b, undefined, { sensitivity: "base" }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Start canned replies on an agent's page: the list, its live changes, the picker and the modal. */
export function startCanned({ page, input, composer, getJSON, active }) {
  const replies = new CannedReplies({ url: page.urls.respuestas, getJSON, csrf: page.csrf });
  const manager = new CannedManager({
    replies, opener: document.getElementById("abrir-respuestas"), maxLength: page.maxLength,
  });
  new CannedPicker({ replies, input, composer, me: page.me, active, manage: (code) => manager.open(code) });
  on("respuestas_cambiadas", (data) => replies.apply(data));
  // what changed while the socket was away arrives with the whole list
  on("connect", () => replies.load().catch(() => {}));
  on("resincronizar", () => replies.load().catch(() => {}));
  replies.load().catch(() => {}); // the page may have connected before this module loaded
  return replies;
}
