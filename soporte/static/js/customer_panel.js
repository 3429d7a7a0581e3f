// The customer panel beside the open conversation (agents): who the customer is, online or
// not, their labels, the team's shared note, and their earlier conversations to open.
//
// Live: `presencia` (the customer comes or goes), `perfil_cliente` (another agent saved the
// note), the label store's changes; after a reconnect the panel is fetched again. Its heading
// folds it: open at first beside the conversation, folded at first under it (narrow screens).
// A supervisor's panel also downloads or erases the customer's data (customer_data.js).
import { CustomerData } from "./customer_data.js";
import { formatFecha } from "./dates.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { chip } from "./labels.js";
import { learnName, nameOf } from "./names.js";
import { forCustomer, sendJSON } from "./rest.js";
import { on } from "./socket.js";

const WIDE = "(min-width: 1200px)"; // Bootstrap's xl: the panel has a column of its own (soporte.html)
const LANGUAGES = { es: () => t("Español"), en: () => t("Inglés") };

export class CustomerPanel {
  /**
   * url: GET /api/clientes/USUARIO (a template); csrf: the page's token; getJSON: the page's GET;
   * labels: labels.js's LabelStore; onOpenAt(name, messageId): open the conversation at a message.
   */
  constructor({ url, csrf, getJSON, labels, onOpenAt }) {
    Object.assign(this, { url, csrf, getJSON, labels, onOpenAt });
    this.active = null;
    this.asked = 0; // the latest fetch; answers for an earlier customer are dropped
    this.oldest = null; // the last cycle shown, for "Ver más"
    this.note = null; // the note as stored (what the text box started from)
    this.shownRatings = []; // the customer's latest ratings, newest first
    const $ = (id) => document.getElementById(id);
    Object.assign(this, {
      root: $("panel-cliente"), toggle: $("panel-cliente-alternar"), name: $("cliente-nombre"),
      username: $("cliente-usuario"), state: $("cliente-estado"), registered: $("cliente-registro"),
      language: $("cliente-idioma"), chips: $("cliente-etiquetas"), noteBox: $("cliente-nota"),
      noteInfo: $("cliente-nota-info"), noteSave: $("cliente-nota-guardar"), noteNotice: $("cliente-nota-aviso"),
      history: $("cliente-conversaciones"), noHistory: $("cliente-sin-conversaciones"), more: $("cliente-mas"),
      error: $("panel-cliente-error"), ratings: $("cliente-valoraciones"),
    });
    // a supervisor's page has the customer's data buttons (soporte.html)
    this.data = document.getElementById("cliente-borrar") ? new CustomerData({ url, csrf }) : null;
    this.toggle.addEventListener("click", () => this.fold(this.toggle.getAttribute("aria-expanded") === "true"));
    this.fold(!window.matchMedia(WIDE).matches); // beside the conversation: open; under it: folded
    this.noteSave.addEventListener("click", () => this.saveNote());
    this.noteBox.addEventListener("input", () => { this.noteSave.disabled = !this.edited(); });
    this.more.addEventListener("click", () => this.loadMore());
    this.history.addEventListener("click", (event) => {
      const item = event.target.closest("[data-abierto]");
      if (item && this.active) this.onOpenAt(this.active, item.dataset.abierto);
    });
    labels.onChange((change) => {
      if (change.catalogue || change.usuario === this.active) this.showLabels();
    });
    on("connect", () => {
      if (this.active) this.load(this.active);
    });
    on("disconnect", () => this.showOnline(null));
    on("presencia", (data) => {
      if (data.rol === "user" && data.usuario === this.active) this.showOnline(data.en_linea);
    });
    on("perfil_cliente", (data) => {
      if (data.usuario === this.active) this.noteChanged(data.nota);
    });
    on("valoracion", (data) => {
      if (data.usuario === this.active) this.showRatings([data, ...this.shownRatings].slice(0, 5));
    });
  }

  /** Fold the panel (narrow screens) or unfold it. */
  fold(folded) {
    this.root.classList.toggle("colapsado", folded);
    this.toggle.setAttribute("aria-expanded", String(!folded));
  }

  /** A conversation was opened: its customer's panel (the same one again: nothing to fetch). */
  opened(name) {
    if (name === this.active) return;
    this.active = name;
    this.root.hidden = false;
    this.name.textContent = nameOf(name);
    this.username.textContent = `@${name}`;
    this.history.replaceChildren();
    this.more.hidden = true;
    this.noHistory.hidden = true;
    this.showNote(null);
    this.showLabels();
    if (this.data) this.data.opened(name);

    this.showRatings([]);
    this.load(name);
  }

  async load(name) {
    const asked = ++this.asked;
    this.error.hidden = true;
    let panel;
    try {
      panel = await this.getJSON(forCustomer(this.url, name));
    } catch (error) {
      if (asked === this.asked) this.fail(t("No se pudo cargar la ficha del cliente"));
      return;
    }
    if (asked !== this.asked || name !== this.active) return;
    learnName(panel.usuario, panel.nombre);
    this.name.textContent = panel.nombre;
    this.registered.textContent = panel.registrado ? formatFecha(panel.registrado) : t("desconocida");
    this.language.textContent = LANGUAGES[panel.idioma] ? LANGUAGES[panel.idioma]() : t("sin elegir");
    this.showOnline(panel.en_linea);
    this.labels.setConversation(name, panel.etiquetas);
    if (!this.edited()) this.showNote(panel.nota);
    this.showRatings(panel.valoraciones || []);
    this.history.replaceChildren();
    this.addHistory(panel.conversaciones, panel.mas);
  }

  showOnline(online) {
    this.state.replaceChildren();
    if (online === null) return; // this page's socket is down: it cannot know
    const dot = el("span", `presence-dot d-inline-block rounded-circle p-1 me-1 ${online ? "bg-success" : "bg-secondary"}`);
    dot.setAttribute("aria-hidden", "true");
    this.state.dataset.online = String(online);
    this.state.append(dot, online ? t("En línea") : t("Desconectado"));
  }

  showLabels() {
    if (!this.active) return;
    const labels = this.labels.of(this.active);
    this.chips.replaceChildren(...labels.map((label) => chip(label)));
    if (!labels.length) this.chips.append(el("li", "text-body-secondary", t("Ninguna")));
  }

  /** The stored note in the box, and who last edited it. */
  showNote(nota) {
    this.note = nota;
    this.noteBox.value = nota ? nota.texto : "";
    this.noteSave.disabled = true;
    this.noteNotice.hidden = true;
    this.noteInfo.textContent = nota
      ? t("Editada por {name}, {fecha}", { name: nota.editado_por_nombre, fecha: formatFecha(nota.editado_en) })
      : "";
  }

  /** The customer's latest ratings of their resolutions: stars, comment, who it counts for, when. */
  showRatings(ratings) {
    this.shownRatings = ratings;
    this.ratings.replaceChildren(...ratings.map((v) => {
      const item = el("li", "mb-1 valoracion-item");
      item.dataset.ciclo = String(v.ciclo);
      const stars = el("span", "valoracion-estrellas-texto me-1", "★".repeat(v.puntuacion) + "☆".repeat(5 - v.puntuacion));
      stars.setAttribute("aria-label", t("{n} de 5", { n: v.puntuacion }));
      const when = el("span", "text-body-secondary", v.agente_nombre
        ? t("{fecha}, para {name}", { fecha: formatFecha(v.fecha), name: v.agente_nombre }) : formatFecha(v.fecha));
      item.append(stars, when);
      if (v.comentario) item.append(el("span", "d-block fst-italic text-break", v.comentario));
      return item;
    }));
    if (!ratings.length) this.ratings.append(el("li", "text-body-secondary", t("Ninguna")));
  }

  /** Whether the agent has typed in the note box since it was last shown. */
  edited() {
    return this.noteBox.value !== (this.note ? this.note.texto : "");
  }

  /** Another agent saved the note: shown at once, unless this agent is typing (then a notice says so). */
  noteChanged(nota) {
    if (!this.edited()) {
      this.showNote(nota);
      return;
    }
    this.note = nota;
    this.noteNotice.textContent = nota
      ? t("{name} ha cambiado la nota mientras escribías; al guardar sustituirás su versión", { name: nota.editado_por_nombre })
      : t("Otro agente ha borrado la nota mientras escribías");
    this.noteNotice.hidden = false;
  }

  async saveNote() {
    const name = this.active;
    this.noteSave.disabled = true;
    this.error.hidden = true;
    try {
      const answer = await sendJSON("PUT", `${forCustomer(this.url, name)}/nota`, { nota: this.noteBox.value }, this.csrf);
      if (name === this.active) this.showNote(answer.nota);
    } catch (error) {
      this.fail(t(error.message));
      this.noteSave.disabled = false;
    }
  }

  /** Earlier conversations: each a button that opens the conversation at its first message. */
  addHistory(conversations, more) {
    for (const c of conversations) {
      const item = el("button", "list-group-item list-group-item-action px-2 py-1 conversacion-anterior");
      item.type = "button";
      item.dataset.abierto = String(c.abierto_id);
      item.dataset.ciclo = String(c.ciclo);
      const when = el("span", "d-block", t("{desde} – {hasta}", {
        desde: formatFecha(c.abierta_en), hasta: formatFecha(c.resuelta_en),
      }));
      const who = el("span", "d-block text-body-secondary", c.resuelta_por
        ? t("Resuelta por {name}", { name: c.resuelta_por_nombre || c.resuelta_por }) : t("Resuelta"));
      item.append(when, who);
      this.history.append(item);
      this.oldest = c.ciclo;
    }
    this.noHistory.hidden = this.history.childElementCount > 0;
    this.more.hidden = !more;
  }

  async loadMore() {
    const name = this.active;
    const url = new URL(`${forCustomer(this.url, name)}/conversaciones`, window.location.href);
    url.searchParams.set("antes", String(this.oldest));
    try {
      const page = await this.getJSON(url.pathname + url.search);
      if (name === this.active) this.addHistory(page.conversaciones, page.mas);
    } catch (error) {
      this.fail(t("No se pudo cargar la ficha del cliente"));
    }
  }

  fail(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}
