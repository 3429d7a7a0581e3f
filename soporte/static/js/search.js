// Agents' search (users, message texts and private notes), opening a conversation at a message, and export links.
//
// Results are built with textContent only; the words found are wrapped in <mark>
// elements made here, never parsed from text.
import { formatFecha } from "./dates.js";
import { el } from "./dom.js";
import { compareIds } from "./ids.js";
import { t } from "./i18n.js";
import { learnName, nameOf } from "./names.js";

const DEBOUNCE_MS = 250;
const MIN_QUERY = 2;
const MAX_QUERY = 200;
const SNIPPET = 140; // characters of a message shown in a result
const LEAD = 40; // of them, before the first word found
const WORD = /[\p{L}\p{N}]+/gu;
const HIGHLIGHT = "msg-encontrado";

/** Lower case without accents, as the indexes compare ("Canción" -> "cancion"). */
export function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Which characters of text start with one of the words (word prefixes, folded): a flag per code point. */
function marks(chars, words) {
  let folded = "";
  const owner = []; // owner[k]: the character that gave folded[k]
  chars.forEach((c, i) => {
    const f = fold(c);
    for (let u = 0; u < f.length; u += 1) owner.push(i);
    folded += f;
  });
  const marked = new Array(chars.length).fill(false);
  for (const word of words.map(fold)) {
    for (let at = folded.indexOf(word); at !== -1; at = folded.indexOf(word, at + 1)) {
      if (at > 0 && /[\p{L}\p{N}]/u.test(folded[at - 1])) continue; // inside a word
      for (let k = at; k < at + word.length; k += 1) marked[owner[k]] = true;
    }
  }
  return marked;
}

/** A piece of a message around the first word found, as nodes: text, and <mark> for the words. */
export function snippet(text, query) {
  const words = query.match(WORD) || [];
  const chars = [...text];
  const marked = marks(chars, words);
  const first = Math.max(0, marked.indexOf(true));
  const start = chars.length <= SNIPPET || first < LEAD ? 0 : Math.min(first - LEAD, chars.length - SNIPPET);
  const end = Math.min(chars.length, start + SNIPPET);
  const nodes = start > 0 ? ["…"] : [];
  let run = "";
  let inMark = false;
  const flush = () => {
    if (run) nodes.push(inMark ? el("mark", "px-0", run) : run);
    run = "";
  };
  for (let i = start; i < end; i += 1) {
    if (marked[i] !== inMark) {
      flush();
      inMark = marked[i];
    }
    run += chars[i];
  }
  flush();
  if (end < chars.length) nodes.push("…");
  return nodes;
}

/** The search box above the agents' list: asks as the agent types, shows users and messages under it. */
export class SearchBox {
  constructor({ input, results, url, getJSON, onUser, onMessage }) {
    Object.assign(this, { input, results, url, getJSON, onUser, onMessage });
    this.timer = null;
    this.asked = 0; // the latest request; older answers are dropped
    input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.ask(), DEBOUNCE_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.hide();
    });
    input.addEventListener("focus", () => {
      if (this.results.childElementCount) this.setOpen(true);
    });
    document.addEventListener("click", (event) => {
      if (!event.target.closest(".buscador")) this.hide();
    });
    results.addEventListener("click", (event) => {
      const item = event.target.closest("[data-conversacion]");
      if (!item) return;
      this.hide();
      if (item.dataset.id) this.onMessage(item.dataset.conversacion, item.dataset.id);
      else this.onUser(item.dataset.conversacion);
    });
  }

  async ask() {
    const q = this.input.value.trim();
    const asked = ++this.asked;
    if (q.length < MIN_QUERY || q.length > MAX_QUERY) {
      this.results.replaceChildren();
      this.setOpen(false);
      return;
    }
    const url = new URL(this.url, window.location.href);
    url.searchParams.set("q", q);
    url.searchParams.set("notas", "1"); // agents' notes too, as their own group
    let found;
    try {
      found = await this.getJSON(url.pathname + url.search);
    } catch (error) {
      found = null;
    }
    if (asked !== this.asked) return; // the agent typed on meanwhile
    this.show(q, found);
  }

  show(q, found) {
    const items = [];
    if (!found) {
      items.push(el("div", "list-group-item text-danger small", t("No se pudo buscar; inténtalo de nuevo")));
    } else {
      if (found.usuarios.length) items.push(el("div", "list-group-item small fw-semibold text-body-secondary", t("Usuarios")));
      for (const u of found.usuarios) items.push(userItem(u));
      if (found.mensajes.length) items.push(el("div", "list-group-item small fw-semibold text-body-secondary", t("Mensajes")));
      for (const m of found.mensajes) items.push(messageItem(m, q));
      const notas = found.notas || [];
      if (notas.length) items.push(el("div", "list-group-item small fw-semibold text-body-secondary", t("Notas internas")));
      for (const m of notas) items.push(messageItem(m, q, { nota: true }));
      if (!items.length) items.push(el("div", "list-group-item text-body-secondary small", t("Sin resultados")));
    }
    this.results.replaceChildren(...items);
    this.setOpen(true);
  }

  setOpen(open) {
    this.results.hidden = !open;
    this.input.setAttribute("aria-expanded", String(open));
  }

  hide() {
    this.setOpen(false);
  }
}

function userItem(u) {
  const button = el("button", "list-group-item list-group-item-action resultado-usuario");
  button.type = "button";
  button.dataset.conversacion = u.usuario;
  learnName(u.usuario, u.nombre);
  button.append(el("span", "fw-semibold", u.nombre), " ", el("span", "text-body-secondary small", `@${u.usuario}`));
  return button;
}

function messageItem(m, q, { nota = false } = {}) {
  const button = el("button", `list-group-item list-group-item-action ${nota ? "resultado-nota" : "resultado-mensaje"}`);
  button.type = "button";
  button.dataset.conversacion = m.conversacion;
  button.dataset.id = String(m.id);
  const head = el("div", "d-flex justify-content-between gap-2 small");
  learnName(m.de_usuario, m.de_nombre);
  head.append(el("span", "fw-semibold text-truncate", nameOf(m.conversacion)),
    el("time", "text-body-secondary text-nowrap", formatFecha(m.fecha)));
  const text = el("div", "small resultado-texto");
  text.append(el("span", "text-body-secondary", `${nameOf(m.de_usuario)}: `), ...snippet(m.mensaje, q));
  button.append(head, text);
  return button;
}

/** Load the page of a conversation centred on one message, then show that message highlighted. */
export async function loadAround(conv, id, { getJSON, box, page }) {
  conv.setHistoryStatus("loading");
  conv.hasNewer = true; // until the page shows where it ends, live messages must not land after a gap
  let messages;
  try {
    messages = await getJSON(conv.url({ alrededor: id, limite: page }));
  } catch (error) {
    conv.hasNewer = false;
    throw error;
  }
  const upTo = messages.filter((m) => compareIds(m.id, id) <= 0).length;
  conv.loaded = true;
  conv.complete = upTo < page - Math.floor(page / 2);
  // a full page after it: there are newer ones to fetch before live messages can follow on
  conv.hasNewer = messages.length - upTo >= Math.floor(page / 2);
  conv.addMany(messages);
  conv.setHistoryStatus(conv.complete ? "start" : "more");
  reveal(conv, id, box);
}

/** Scroll the box so the message is in the middle, and highlight it. */
export function reveal(conv, id, box) {
  const li = conv.byId.get(String(id));
  if (!li || box.conv !== conv) return;
  conv.list.querySelectorAll(`.${HIGHLIGHT}`).forEach((other) => other.classList.remove(HIGHLIGHT));
  li.classList.add(HIGHLIGHT);
  const view = box.box;
  view.scrollTop += li.getBoundingClientRect().top - view.getBoundingClientRect().top
    - (view.clientHeight - li.offsetHeight) / 2;
  box.newButton.hidden = !conv.hasNewer;
}

/** Scrolled to the bottom of a conversation opened at an older message: the next newer page. */
export async function loadNewer(conv, { getJSON, page }) {
  if (!conv.hasNewer || conv.loadingNewer || conv.newestId === null) return;
  conv.loadingNewer = true;
  try {
    const messages = await getJSON(conv.url({ despues: conv.newestId, limite: page }));
    conv.addMany(messages);
    if (messages.length < page) conv.hasNewer = false; // caught up: live messages follow on
  } catch (error) {
    /* scrolling down again retries */
  } finally {
    conv.loadingNewer = false;
  }
}

/** A live message for a conversation that is not shown up to its end: offer the way down instead. */
export function arrivedAfterGap(conv, box) {
  if (conv === box.conv) box.newButton.hidden = false;
  return true;
}

/** The CSV and JSON download links of the open conversation. */
export class ExportLinks {
  constructor(group, url) {
    this.group = group;
    this.url = url;
  }

  show(name) {
    if (!this.group) return;
    for (const link of this.group.querySelectorAll("[data-formato]")) {
      const url = new URL(this.url, window.location.href);
      url.searchParams.set("con", name);
      url.searchParams.set("formato", link.dataset.formato);
      link.href = url.pathname + url.search;
      link.title = t("Descargar la conversación con {name} ({formato})",
        { name, formato: link.dataset.formato.toUpperCase() });
    }
    this.group.hidden = false;
  }
}
