// The agents' list as a triage board: each row's latest message (whose), its time, how long
// the customer has waited, and the assignee; the views by assignee (Mías / Sin asignar /
// Todas) with their counts, and the order (latest activity, or longest waiting first).
//
// The list items belong to inbox.js; this module fills their lines as they appear and as
// events come (mensaje_recibido, mensaje_enviado, asignacion, estado_conversacion), and the
// stylesheet hides the items the active view leaves out (data-asignacion).
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { formatFecha, formatShort, parseFecha } from "./dates.js";
import { learnName, nameOf, onNameLearned } from "./names.js";
import { chip } from "./labels.js";
import { previewText } from "./attachments.js";
import { itemOf } from "./inbox.js";
import { on } from "./socket.js";

const VIEWS = ["mias", "sin_asignar", "todas"];
const ORDERS = ["actividad", "espera"];
const PAGE = 500; // the API's largest page
const TICK_MS = 30_000; // waits are shown in minutes

/** "3 min", "2 h 5 min", "3 d": how long since a date. */
export function waited(since, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - since.getTime()) / 60_000));
  if (minutes < 1) return t("menos de 1 min");
  if (minutes < 60) return t("{n} min", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? t("{h} h {m} min", { h: hours, m: minutes % 60 }) : t("{h} h", { h: hours });
  return t("{d} d", { d: Math.floor(hours / 24) });
}

export class Triage {
  /**
   * list: the #usuarios element; getJSON: the page's fetch; urls: {conversaciones, recuento};
   * me: this agent; labels: the LabelStore (labels.js), whose chips each row shows.
   */
  constructor({ list, getJSON, urls, me, labels }) {
    this.list = list;
    this.labels = labels;
    this.labelFilter = document.getElementById("filtro-etiqueta");
    this.getJSON = getJSON;
    this.urls = urls;
    this.me = me;
    this.rows = new Map(); // username -> {asignado, esperandoId, esperando: Date|null, ultimo: {de, mensaje, fecha}}
    this.listeners = []; // hear (name, row) when a row changes (the open conversation's header)
    this.views = document.getElementById("filtro-vista");
    this.order = document.getElementById("orden-lista");
    this.sorting = false;

    // only the items added (or moved up by a message): a list of thousands is not redrawn per message
    new MutationObserver((records) => {
      if (this.sorting) return;
      for (const record of records) for (const node of record.addedNodes) if (node.dataset?.user) this.decorate(node);
      if (this.list.dataset.orden === "espera") this.sort();
    }).observe(list, { childList: true });
    this.views.addEventListener("click", (event) => {
      const tab = event.target.closest("[data-vista]");
      if (tab) this.show(tab.dataset.vista);
    });
    this.order.addEventListener("change", () => this.sortBy(this.order.value));
    list.addEventListener("filtro", () => this.refreshCounts());
    this.labelFilter.addEventListener("change", () => this.filterByLabel(this.labelFilter.value));
    labels.onChange((change) => {
      if (change.catalogue) {
        this.fillLabelFilter();
        this.decorateAll();
      } else this.decorate(this.item(change.usuario));
    });
    onNameLearned((name) => {
      // a customer's name is their own row's; an agent's (few) may be in any row, as assignee or author
      if (this.rows.has(name)) this.decorate(this.item(name));
      else this.decorateAll();
    });
    on("asignacion", (data) => {
      this.update(data.usuario, { asignado: data.asignado });
      this.countsSoon();
    });
    on("estado_conversacion", () => this.countsSoon());
    on("mensaje_recibido", (m) => this.wrote(m.de, m, true));
    on("mensaje_enviado", (m) => this.wrote(m.para, m, false)); // another agent's reply
    setInterval(() => this.refreshWaits(), TICK_MS);
    this.show("todas");
    this.sortBy("actividad");
  }

  /** Every conversation's row, page by page (on each connect: changes may have been missed); the rows. */
  async refresh() {
    const all = [];
    let antes = null;
    for (;;) {
      const params = new URLSearchParams({ limite: PAGE });
      if (antes !== null) params.set("antes", antes);
      const page = await this.getJSON(`${this.urls.conversaciones}?${params}`);
      all.push(...page);
      if (page.length < PAGE) break;
      antes = page[page.length - 1].ultimo_id;
    }
    for (const c of all) {
      this.rows.set(c.usuario, {
        asignado: c.asignado,
        esperandoId: c.esperando_id,
        esperando: c.esperando_desde ? parseFecha(c.esperando_desde) : null,
        ultimo: c.ultimo ? { de: c.ultimo.de_usuario, mensaje: c.ultimo.eliminado ? t("Mensaje eliminado") : c.ultimo.mensaje,
          fecha: c.ultimo.fecha, id: c.ultimo.id } : null,
      });
    }
    for (const c of all) { // after the rows: a name learned redraws its own row only
      learnName(c.usuario, c.nombre);
      if (c.asignado) learnName(c.asignado, c.asignado_nombre);
      if (c.ultimo) learnName(c.ultimo.de_usuario, c.ultimo.de_nombre);
      this.labels.setConversation(c.usuario, c.etiquetas || []);
    }
    this.decorateAll();
    this.refreshCounts();
    return all;
  }

  /** This agent's own reply, once acknowledged: the customer no longer waits. */
  replied(name, text, id, fecha) {
    this.wrote(name, { de: this.me, mensaje: text, id, fecha }, false);
  }

  /** A message in a conversation: its preview, and the customer's wait starts or ends. */
  wrote(name, message, fromCustomer) {
    if (!name) return;
    const row = this.row(name);
    row.ultimo = { de: message.de, mensaje: message.mensaje, fecha: message.fecha, id: message.id };
    if (!fromCustomer) {
      row.esperando = null;
      row.esperandoId = null;
    } else if (!row.esperando) {
      row.esperando = parseFecha(message.fecha) || new Date();
      row.esperandoId = message.id;
    }
    if (!this.rows.has(name)) this.countsSoon(); // a new conversation
    this.rows.set(name, row);
    this.changed(name, row);
  }

  /** A message edited or deleted: the preview follows when it is the conversation's latest. */
  changedMessage(name, change) {
    const row = this.rows.get(name);
    if (!row || !row.ultimo || String(row.ultimo.id) !== String(change.id)) return;
    row.ultimo = { ...row.ultimo, mensaje: change.eliminado_en ? t("Mensaje eliminado") : change.mensaje };
    this.changed(name, row);
  }

  update(name, changes) {
    const row = { ...this.row(name), ...changes };
    this.rows.set(name, row);
    this.changed(name, row);
  }

  changed(name, row) {
    const item = this.item(name);
    if (item) this.decorate(item);
    if (this.list.dataset.orden === "espera") this.sort();
    for (const listener of this.listeners) listener(name, row);
  }

  /** A conversation gone (its customer erased): its row goes, and the views' counts follow. */
  forget(name) {
    this.rows.delete(name);
    this.countsSoon();
  }

  row(name) {
    return this.rows.get(name) || { asignado: null, esperandoId: null, esperando: null, ultimo: null };
  }

  item(name) {
    return itemOf(this.list, name);
  }

  /** The waits shown grow by the minute: only the items that show one are redrawn. */
  refreshWaits() {
    for (const item of this.list.children) if (this.row(item.dataset.user).esperando) this.decorate(item);
  }

  decorateAll() {
    for (const item of this.list.children) this.decorate(item);
    if (this.list.dataset.orden === "espera") this.sort();
  }

  /** Fill one item's lines from its row: time, preview (whose), wait, assignee, labels. */
  decorate(item) {
    if (!item) return;
    const row = this.row(item.dataset.user);
    const labels = this.labels.of(item.dataset.user);
    const chips = item.querySelector(".fila-etiquetas");
    chips.replaceChildren(...labels.map((label) => chip(label)));
    chips.hidden = !labels.length;
    const wanted = this.list.dataset.etiqueta;
    item.dataset.conEtiqueta = String(!wanted || labels.some((label) => String(label.id) === wanted));
    item.dataset.asignacion = !row.asignado ? "ninguna" : row.asignado === this.me ? "mia" : "otro";
    const ultimo = row.ultimo;
    const hora = item.querySelector(".fila-hora");
    hora.textContent = ultimo ? formatShort(ultimo.fecha) : "";
    hora.title = ultimo ? formatFecha(ultimo.fecha) : "";
    const preview = item.querySelector(".fila-ultimo");
    const texto = ultimo && previewText(ultimo.mensaje);
    preview.textContent = !ultimo ? ""
      : ultimo.de === this.me ? t("Tú: {texto}", { texto })
        : ultimo.de === item.dataset.user ? texto
          : t("{name}: {texto}", { name: nameOf(ultimo.de), texto });
    preview.hidden = !ultimo;
    const wait = item.querySelector(".fila-espera");
    wait.hidden = !row.esperando || item.dataset.estado === "resuelta";
    if (row.esperando) {
      wait.textContent = t("Espera {tiempo}", { tiempo: waited(row.esperando) });
      wait.title = t("Esperando respuesta desde {fecha}", { fecha: formatFecha(row.esperando.toISOString()) });
    }
    const owner = item.querySelector(".fila-asignado");
    owner.textContent = !row.asignado ? t("Sin asignar") : row.asignado === this.me ? t("Mía") : nameOf(row.asignado);
    owner.className = `badge rounded-pill fila-asignado ${row.asignado ? "text-primary-emphasis bg-primary-subtle" : "text-body-secondary bg-body-secondary"}`;
  }

  /** Show one view by assignee. */
  show(which) {
    if (!VIEWS.includes(which)) return;
    this.list.dataset.vista = which;
    for (const tab of this.views.querySelectorAll("[data-vista]")) {
      const on = tab.dataset.vista === which;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
    }
    this.list.dispatchEvent(new Event("vista")); // status.js says when nothing is left to show
  }

  /** Show only the conversations with one label ("" for all of them). */
  filterByLabel(id) {
    if (id) this.list.dataset.etiqueta = id;
    else delete this.list.dataset.etiqueta;
    this.decorateAll();
    this.list.dispatchEvent(new Event("vista")); // status.js says when nothing is left to show
  }

  /** The label filter's options: every label of the catalogue, by name (a deleted one shows all again). */
  fillLabelFilter() {
    const chosen = this.labelFilter.value;
    const options = [new Option(t("Todas las etiquetas"), "")];
    for (const label of this.labels.sorted()) options.push(new Option(label.nombre, String(label.id)));
    this.labelFilter.replaceChildren(...options);
    this.labelFilter.value = options.some((o) => o.value === chosen) ? chosen : "";
    if (this.labelFilter.value !== chosen) this.filterByLabel("");
  }

  /** Order the list by latest activity (inbox.js keeps it so) or by longest waiting. */
  sortBy(which) {
    if (!ORDERS.includes(which)) return;
    this.list.dataset.orden = which;
    this.order.value = which;
    this.sort();
  }

  /**
   * Latest activity first (live messages keep it so: inbox.js moves each to the top), or
   * longest waiting first, then the others in the order they had.
   */
  sort() {
    if (this.sorting) return;
    const items = [...this.list.children];
    let sorted;
    if (this.list.dataset.orden === "espera") {
      const waitOf = (b) => (b.dataset.estado !== "resuelta" && this.row(b.dataset.user).esperandoId) || null;
      sorted = [...items.filter(waitOf).sort((a, b) => waitOf(a) - waitOf(b)), ...items.filter((b) => !waitOf(b))];
    } else {
      const latest = (b) => this.row(b.dataset.user).ultimo?.id || 0;
      sorted = [...items].sort((a, b) => latest(b) - latest(a)); // stable: unknown ones keep their place
    }
    if (sorted.every((b, i) => b === items[i])) return;
    this.sorting = true;
    this.list.replaceChildren(...sorted);
    this.sorting = false;
  }

  /** Ask for the views' counts soon (several events in a row: one request). */
  countsSoon() {
    clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(() => this.refreshCounts(), 300);
  }

  /** The views' counts in the status shown (Abiertas, Resueltas or Todas). */
  async refreshCounts() {
    const estado = this.list.dataset.filtro || "abierta";
    let counts;
    try {
      counts = await this.getJSON(`${this.urls.recuento}?estado=${encodeURIComponent(estado)}`);
    } catch (error) {
      return;
    }
    for (const view of VIEWS) {
      const badge = this.views.querySelector(`[data-vista="${view}"] .vista-cuenta`);
      badge.textContent = String(counts[view]);
    }
  }
}
