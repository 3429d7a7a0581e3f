// Conversation status for agents: open/resolved marks in the list, the filter tabs,
// and the "Resolver" / "Reabrir" button of the open conversation.
//
// The list items belong to inbox.js; this module only marks them (data-estado and a
// badge) as they appear, and the stylesheet hides the ones the active tab leaves out.
import { el } from "./dom.js";
import { isShown, itemOf } from "./inbox.js";
import { t } from "./i18n.js";
import { learnName, nameOf } from "./names.js";
import { on, request } from "./socket.js";

const FILTERS = ["abierta", "resuelta", "todas"];

export class ConversationStatus {
  /** me: this agent's username. */
  constructor({ me }) {
    this.me = me;
    this.list = document.getElementById("usuarios");
    this.tabs = document.getElementById("filtro-estado");
    this.emptyNote = document.getElementById("filtro-vacio");
    this.button = document.getElementById("cambiar-estado");
    this.error = document.getElementById("cambiar-estado-error");
    this.states = new Map(); // username -> {estado, por}
    this.changedLive = new Set(); // changed by events while the list was being fetched
    this.active = null;

    // the items added (or moved up by a message) only: a list of thousands is not redrawn per message
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) if (node.dataset?.user) this.mark(node);
      this.refreshEmpty();
    }).observe(this.list, { childList: true });
    this.tabs.addEventListener("click", (event) => {
      const tab = event.target.closest("[data-filtro]");
      if (tab) this.filter(tab.dataset.filtro);
    });
    this.button.addEventListener("click", () => this.toggle());
    on("estado_conversacion", (data) => this.set(data.usuario, data.estado, data.por));
    // a customer's message reopens a resolved conversation: the server says so once it is
    // stored, but the list can move it at once
    on("mensaje_recibido", (data) => {
      if (data.de !== me && this.states.get(data.de)?.estado === "resuelta") this.set(data.de, "abierta", data.de);
    });
    this.list.addEventListener("vista", () => this.refreshEmpty());
    this.filter("abierta");
  }

  /** Start fetching every conversation's status (on each connect: changes may have been missed). */
  beginRefresh() {
    this.changedLive.clear();
  }

  /** The fetched list's statuses (GET /api/conversaciones), under what changed live meanwhile. */
  refresh(conversations) {
    for (const c of conversations) {
      learnName(c.usuario, c.nombre); // the list shows customers by their display names
      if (!this.changedLive.has(c.usuario)) this.set(c.usuario, c.estado, c.estado_por, { live: false, quiet: true });
    }
    this.refreshEmpty();
  }

  /** One conversation's status changed (an event, an ack, or the fetched list). */
  set(name, estado, por, { live = true, quiet = false } = {}) {
    if (!name || !["abierta", "resuelta"].includes(estado)) return;
    if (live) this.changedLive.add(name);
    this.states.set(name, { estado, por: por || null });
    const item = this.item(name);
    if (item) this.mark(item);
    if (name === this.active) this.showButton();
    if (!quiet) this.refreshEmpty(); // quiet: one of many, the caller says it once
  }

  item(name) {
    return itemOf(this.list, name);
  }

  markAll() {
    for (const item of this.list.children) this.mark(item);
    this.refreshEmpty();
  }

  /** Give a list item its status: data-estado (for the tabs) and a badge. */
  mark(item) {
    const { estado, por } = this.states.get(item.dataset.user) || { estado: "abierta", por: null };
    if (item.dataset.estado === estado && item.dataset.estadoPor === String(por)) return;
    item.dataset.estado = estado;
    item.dataset.estadoPor = String(por);
    let badge = item.querySelector(".estado-conv");
    if (!badge) {
      badge = el("span", "badge rounded-pill estado-conv");
      (item.querySelector(".fila-meta") || item).append(badge);
    }
    const resolved = estado === "resuelta";
    badge.className = `badge rounded-pill estado-conv ${resolved ? "text-bg-secondary" : "text-success-emphasis bg-success-subtle"}`;
    badge.textContent = resolved ? t("Resuelta") : t("Abierta");
    badge.title = por ? t("Último cambio: {por}", { por: nameOf(por) }) : "";
  }

  /** Show the conversations of one status (or all of them). */
  filter(which) {
    if (!FILTERS.includes(which)) return;
    this.list.dataset.filtro = which;
    for (const tab of this.tabs.querySelectorAll("[data-filtro]")) {
      const on = tab.dataset.filtro === which;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
    }
    this.refreshEmpty();
    this.list.dispatchEvent(new Event("filtro")); // the views' counts are per status
  }

  /** Say so when the active tab hides every conversation there is. */
  refreshEmpty() {
    const which = this.list.dataset.filtro;
    const items = [...this.list.children];
    this.emptyNote.hidden = items.length === 0 || items.some((b) => isShown(this.list, b));
    this.emptyNote.textContent = this.list.dataset.vista === "mias" ? t("No tienes conversaciones en esta pestaña.")
      : this.list.dataset.vista === "sin_asignar" ? t("No hay conversaciones sin asignar en esta pestaña.")
        : which === "resuelta" ? t("No hay conversaciones resueltas.") : t("No hay conversaciones abiertas.");
  }

  /** The conversation on screen changed: its button follows its status. */
  opened(name) {
    this.active = name;
    this.error.hidden = true;
    this.showButton();
  }

  showButton() {
    const resolved = this.states.get(this.active)?.estado === "resuelta";
    this.button.hidden = !this.active;
    this.button.disabled = false;
    this.button.textContent = resolved ? t("Reabrir") : t("Resolver");
    this.button.className = `btn btn-sm flex-shrink-0 ${resolved ? "btn-outline-secondary" : "btn-outline-success"}`;
  }

  /** Resolve the open conversation, or reopen it. */
  toggle() {
    const name = this.active;
    if (!name) return;
    const estado = this.states.get(name)?.estado === "resuelta" ? "abierta" : "resuelta";
    this.button.disabled = true;
    this.error.hidden = true;
    request("cambiar_estado", { con: name, estado }, (err, ack) => {
      if (!err && ack && ack.ok) {
        this.set(name, ack.estado, this.me);
        return;
      }
      this.error.textContent = (ack && ack.error) || t("No se pudo cambiar el estado; inténtalo de nuevo");
      this.error.hidden = false;
      if (name === this.active) this.showButton();
    });
  }
}
