// Labels for agents: the team's catalogue and each conversation's labels (one store), and the
// open conversation's chips in its header (add from a list, remove with ×).
//
// The store follows `etiquetas` (the whole catalogue) and `etiquetas_conversacion` (one
// conversation's ids) and fetches again after a reconnect. Other features read it
// (store.of(name), store.sorted()) and hear of changes with store.onChange(listener).
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { forCustomer, sendJSON } from "./rest.js";
import { on } from "./socket.js";

// the server's palette, named for the page (functions: the catalog loads after this module)
export const COLOUR_NAMES = {
  "#c62828": () => t("Rojo"), "#ef6c00": () => t("Naranja"), "#f9a825": () => t("Amarillo"),
  "#2e7d32": () => t("Verde"), "#00838f": () => t("Turquesa"), "#1565c0": () => t("Azul"),
  "#6a1b9a": () => t("Morado"), "#ad1457": () => t("Rosa"), "#6d4c41": () => t("Marrón"),
  "#546e7a": () => t("Gris"),
};

/** A label as a coloured chip (a list item); with onRemove, a × button that takes it off. */
export function chip(label, onRemove = null) {
  const item = el("li", "badge rounded-pill etiqueta-chip d-inline-flex align-items-center gap-1");
  item.dataset.etiqueta = String(label.id);
  // CSSOM, not a style attribute: the Content-Security-Policy allows it
  item.style.backgroundColor = label.color;
  item.style.color = label.texto;
  item.append(el("span", "etiqueta-nombre text-truncate", label.nombre));
  if (onRemove) {
    const remove = el("button", "etiqueta-quitar", "×");
    remove.type = "button";
    remove.style.color = label.texto;
    remove.setAttribute("aria-label", t("Quitar la etiqueta {nombre}", { nombre: label.nombre }));
    remove.addEventListener("click", () => onRemove(label));
    item.append(remove);
  }
  return item;
}

/** The catalogue and the labels of the conversations this page knows. */
export class LabelStore {
  /** urls: {etiquetas, conversacion (…/USUARIO/etiquetas)}; csrf: the page's token; getJSON: the page's GET. */
  constructor({ urls, csrf, getJSON }) {
    Object.assign(this, { urls, csrf, getJSON });
    this.catalogue = new Map(); // id -> {id, nombre, color, texto}
    this.palette = Object.keys(COLOUR_NAMES);
    this.conversations = new Map(); // customer -> [label ids]
    this.loaded = false; // whether the catalogue has come
    this.listeners = [];
  }

  /** listener(change): change.catalogue (the catalogue changed) or change.usuario (that conversation's labels). */
  onChange(listener) {
    this.listeners.push(listener);
  }

  changed(change) {
    for (const listener of this.listeners) listener(change);
  }

  /** Fetch the catalogue (and the palette). */
  async refresh() {
    const answer = await this.getJSON(this.urls.etiquetas);
    if (Array.isArray(answer.paleta)) this.palette = answer.paleta;
    this.setCatalogue(answer.etiquetas);
  }

  /** The whole catalogue (an answer or `etiquetas`): ids no longer in it leave every conversation. */
  setCatalogue(list) {
    this.catalogue = new Map(list.map((label) => [label.id, label]));
    this.loaded = true;
    for (const [name, ids] of this.conversations) this.conversations.set(name, ids.filter((id) => this.catalogue.has(id)));
    this.changed({ catalogue: true });
  }

  /** Fetch one conversation's labels. */
  async load(name) {
    const answer = await this.getJSON(forCustomer(this.urls.conversacion, name));
    this.setConversation(name, answer.etiquetas);
  }

  /** One conversation's label ids (an answer, `etiquetas_conversacion`, or the list's rows). */
  setConversation(name, ids) {
    // before the catalogue came every id is kept: setCatalogue drops the ones it does not have
    this.conversations.set(name, this.loaded ? ids.filter((id) => this.catalogue.has(id)) : ids);
    this.changed({ usuario: name });
  }

  /** Every label, by name. */
  sorted() {
    return [...this.catalogue.values()].sort((a, b) => a.nombre.localeCompare(b.nombre));
  }

  /** A conversation's labels, by name ([] while unknown). */
  of(name) {
    return (this.conversations.get(name) || []).map((id) => this.catalogue.get(id)).filter(Boolean)
      .sort((a, b) => a.nombre.localeCompare(b.nombre));
  }

  async put(name, id) {
    const answer = await sendJSON("PUT", `${forCustomer(this.urls.conversacion, name)}/${id}`, undefined, this.csrf);
    this.setConversation(name, answer.etiquetas);
  }

  async remove(name, id) {
    const answer = await sendJSON("DELETE", `${forCustomer(this.urls.conversacion, name)}/${id}`, undefined, this.csrf);
    this.setConversation(name, answer.etiquetas);
  }

  /** Create a label; the catalogue follows from the server's event (and this answer, at once). */
  async create(nombre, color) {
    const label = await sendJSON("POST", this.urls.etiquetas, { nombre, color }, this.csrf);
    this.setCatalogue([...this.catalogue.values()].filter((l) => l.id !== label.id).concat(label));
    return label;
  }

  async update(id, changes) {
    const label = await sendJSON("PATCH", `${this.urls.etiquetas}/${id}`, changes, this.csrf);
    this.setCatalogue([...this.catalogue.values()].filter((l) => l.id !== id).concat(label));
    return label;
  }

  async delete(id) {
    await sendJSON("DELETE", `${this.urls.etiquetas}/${id}`, undefined, this.csrf);
    this.setCatalogue([...this.catalogue.values()].filter((l) => l.id !== id));
  }
}

/** The open conversation's labels in its header: chips, a list of the others and "Añadir". */
class ConversationLabels {
  constructor(store) {
    this.store = store;
    this.active = null;
    this.bar = document.getElementById("etiquetas-conversacion");
    this.chips = document.getElementById("etiquetas-chips");
    this.choice = document.getElementById("etiqueta-elegir");
    this.add = document.getElementById("etiqueta-poner");
    this.error = document.getElementById("etiquetas-error");
    this.add.addEventListener("click", () => this.put());
    store.onChange((change) => {
      if (change.catalogue || change.usuario === this.active) this.render();
    });
  }

  /** A conversation was opened: its labels, fetched afresh. */
  opened(name) {
    this.active = name;
    this.bar.hidden = false;
    this.error.hidden = true;
    this.render();
    this.store.load(name).catch(() => this.fail(t("No se pudieron cargar las etiquetas")));
  }

  render() {
    if (!this.active) return;
    const name = this.active;
    const focused = document.activeElement?.closest?.("[data-etiqueta]")?.dataset.etiqueta;
    const labels = this.store.of(name);
    this.chips.replaceChildren(...labels.map((label) => chip(label, (l) => this.remove(name, l))));
    this.chips.hidden = labels.length === 0;
    const have = new Set(labels.map((l) => l.id));
    const options = this.store.sorted().filter((l) => !have.has(l.id)).map((label) => {
      const option = el("option", "", label.nombre);
      option.value = String(label.id);
      return option;
    });
    const previous = this.choice.value;
    const placeholder = el("option", "", options.length ? t("Elige una etiqueta…")
      : this.store.catalogue.size ? t("No hay más etiquetas") : t("Aún no hay etiquetas"));
    placeholder.value = "";
    this.choice.replaceChildren(placeholder, ...options);
    if (options.some((o) => o.value === previous)) this.choice.value = previous;
    this.choice.disabled = this.add.disabled = options.length === 0;
    if (focused) this.refocus(focused);
  }

  /** After a re-render the keyboard stays on the chip it was on, else on the list. */
  refocus(id) {
    const button = this.chips.querySelector(`[data-etiqueta="${CSS.escape(id)}"] .etiqueta-quitar`);
    (button || this.choice).focus();
  }

  async put() {
    const id = Number(this.choice.value);
    const name = this.active;
    if (!id || !name) return;
    this.error.hidden = true;
    try {
      await this.store.put(name, id);
      this.choice.focus();
    } catch (error) {
      this.fail(t(error.message));
    }
  }

  async remove(name, label) {
    this.error.hidden = true;
    const chips = [...this.chips.children];
    const next = chips[chips.findIndex((c) => c.dataset.etiqueta === String(label.id)) + 1];
    try {
      await this.store.remove(name, label.id);
      const button = next && this.chips.querySelector(`[data-etiqueta="${next.dataset.etiqueta}"] .etiqueta-quitar`);
      (button || this.choice).focus();
    } catch (error) {
      this.fail(t(error.message));
    }
  }

  fail(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}

/** The labels of the agents' page: the store (fetched on every connect) and the header's chips. */
export function startLabels({ urls, csrf, getJSON }) {
  const store = new LabelStore({ urls, csrf, getJSON });
  const header = new ConversationLabels(store);
  on("connect", () => {
    store.refresh().then(() => header.active && store.load(header.active)).catch(() => {});
  });
  on("etiquetas", (data) => store.setCatalogue(data.etiquetas));
  on("etiquetas_conversacion", (data) => store.setConversation(data.usuario, data.etiquetas));
  return { store, opened: (name) => header.opened(name) };
}
