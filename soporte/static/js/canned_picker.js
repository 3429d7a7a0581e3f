// The canned-reply picker in the agent's composer: "/" at the start of the message and a few
// letters show the replies that match (by code first, then by text). Keyboard only if wished:
// ArrowDown/ArrowUp move, Enter inserts (and does not send), Esc closes and keeps the text.
// The box is an ARIA combobox; the list a listbox whose active option is aria-activedescendant.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { nameOf } from "./names.js";

const TRIGGER = /^\/([^\s/]*)$/u; // the whole message is "/" and part of a code
const PLACEHOLDER = /\{\{\s*(nombre|agente)\s*\}\}/gu;
const PREVIEW = 90; // characters of a reply's text shown in its option

/** Text folded for matching: no case, no accents ("Canción" matches "cancion"). */
export function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * The replies that match a query, best first: codes that start with it, codes that contain it,
 * then texts that contain it (each group by code, as given). An empty query matches them all.
 */
export function matching(replies, query) {
  const q = fold(query);
  const ranked = [];
  for (const reply of replies) {
    const code = fold(reply.codigo);
    const rank = code.startsWith(q) ? 0 : code.includes(q) ? 1 : fold(reply.texto).includes(q) ? 2 : -1;
    if (rank >= 0) ranked.push([rank, reply]);
  }
  return ranked.sort((a, b) => a[0] - b[0]).map(([, reply]) => reply);
}

/** A reply's text with {{nombre}} and {{agente}} filled in; any other {{...}} stays as typed. */
export function fill(texto, values) {
  return texto.replace(PLACEHOLDER, (match, key) => values[key] ?? match);
}

export class CannedPicker {
  /**
   * replies: CannedReplies; input: the message box; composer: its Composer; me: the agent's
   * username; active(): the open conversation's customer; manage(code): open the modal.
   */
  constructor({ replies, input, composer, me, active, manage }) {
    Object.assign(this, { replies, input, composer, me, active, manage });
    this.root = document.getElementById("respuestas-picker");
    this.list = document.getElementById("respuestas-opciones");
    this.none = document.getElementById("respuestas-sin-coincidencias");
    this.shown = []; // the replies the list shows, in order
    this.index = -1; // the active option; -1: none yet
    this.query = null; // null: closed
    this.inserting = false;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-haspopup", "listbox");
    input.setAttribute("aria-controls", this.list.id);
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", () => this.typed());
    input.addEventListener("keydown", (event) => this.key(event));
    input.addEventListener("blur", () => this.close());
    // a click in the picker must not take the focus from the box (its blur would close it first)
    this.root.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.insert(Number(option.dataset.index));
    });
    document.getElementById("respuestas-gestionar").addEventListener("click", () => {
      const code = this.shown.length === 0 ? this.query : "";
      this.close();
      this.manage(code || "");
    });
    replies.onChange(() => {
      if (this.query !== null) this.show(this.query);
    });
  }

  /** The box changed: open, filter or close, as its text says. */
  typed() {
    if (this.inserting) return;
    const found = TRIGGER.exec(this.input.value);
    if (found) this.show(found[1]);
    else this.close();
  }

  key(event) {
    if (event.isComposing) return;
    if (this.query === null) {
      // the usual combobox gesture: ArrowDown opens it again (after Esc) while the box asks for it
      if (event.key === "ArrowDown" && TRIGGER.test(this.input.value)) {
        event.preventDefault();
        this.typed();
        this.move(1);
      }
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault(); // not the caret
      this.move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      event.preventDefault(); // Enter inserts; it never sends from here
      if (this.shown.length) this.insert(Math.max(this.index, 0));
      else this.close(); // nothing to insert: a second Enter sends the text as typed
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.close();
    } else if (event.key === "Tab" && this.index >= 0) {
      event.preventDefault();
      this.insert(this.index);
    }
  }

  /** Show the replies that match `query` (the active one stays active if still shown). */
  show(query) {
    const before = this.shown[this.index];
    this.query = query;
    this.shown = matching(this.replies.all(), query);
    this.index = before ? this.shown.findIndex((reply) => reply.id === before.id) : -1;
    this.list.replaceChildren(...this.shown.map((reply, index) => option(reply, index)));
    this.list.hidden = this.shown.length === 0;
    this.none.hidden = this.shown.length > 0;
    this.none.textContent = this.replies.all().length === 0
      ? t("Aún no hay respuestas rápidas.")
      : t("Ninguna respuesta rápida coincide con /{query}", { query });
    this.root.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.highlight();
  }

  close() {
    if (this.query === null) return;
    this.query = null;
    this.shown = [];
    this.index = -1;
    this.root.hidden = true;
    this.list.replaceChildren();
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  /** Move the active option down (1) or up (-1), round the ends. */
  move(step) {
    const count = this.shown.length;
    if (!count) return;
    this.index = this.index < 0 ? (step > 0 ? 0 : count - 1) : (this.index + step + count) % count;
    this.highlight();
  }

  highlight() {
    this.list.querySelectorAll("[role=option]").forEach((node, index) => {
      const active = index === this.index;
      node.classList.toggle("active", active);
      node.setAttribute("aria-selected", String(active));
      if (active) node.scrollIntoView({ block: "nearest" });
    });
    if (this.index >= 0) this.input.setAttribute("aria-activedescendant", optionId(this.shown[this.index]));
    else this.input.removeAttribute("aria-activedescendant");
  }

  /** Put a reply, its placeholders filled, in the box in place of "/query"; nothing is sent. */
  insert(index) {
    const reply = this.shown[index];
    if (!reply) return;
    const customer = this.active();
    let text = fill(reply.texto, { nombre: customer ? nameOf(customer) : undefined, agente: nameOf(this.me) });
    // a one-line box would join the lines without a space
    if (this.input.tagName === "INPUT") text = text.replace(/[ \t]*\n\s*/g, " ");
    this.close();
    this.inserting = true;
    try {
      this.input.value = text;
      this.input.dispatchEvent(new Event("input", { bubbles: true })); // the counter, typing
    } finally {
      this.inserting = false;
    }
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
    this.composer.refresh();
  }
}

function optionId(reply) {
  return `respuesta-opcion-${reply.id}`;
}

function option(reply, index) {
  const node = el("div", "list-group-item list-group-item-action respuesta-opcion");
  node.id = optionId(reply);
  node.setAttribute("role", "option");
  node.setAttribute("aria-selected", "false");
  node.dataset.index = String(index);
  node.dataset.codigo = reply.codigo;
  const text = reply.texto.replace(/\s+/g, " ");
  node.append(
    el("span", "fw-semibold me-2 respuesta-codigo", `/${reply.codigo}`),
    el("span", "text-body-secondary respuesta-texto", text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text),
  );
  return node;
}
