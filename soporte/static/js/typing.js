// Typing indicators: send `escribiendo` while the user types, show who is typing.
//
// The server relays at most one event per typist and conversation every 2 s and has
// no "stopped" event: an indicator goes ~4 s after the last event, or when that
// typist's message arrives.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { learnName } from "./names.js";
import { emit, isConnected, on } from "./socket.js";

const SEND_EVERY_MS = 2000;
const SHOW_FOR_MS = 4000;

/**
 * page: as chat.js has it; input: the message box;
 * active(): the conversation the box writes to (the customer's name, or page.inbox for a customer);
 * listItem(con): for an agent, the list item of a conversation, made if the list lacks it;
 * quiet(): true while what is typed is not for the customer (an agent's private note).
 */
export function startTyping({ page, input, active, listItem, quiet = () => false }) {
  const agent = page.rol === "admin";
  const lastSent = new Map(); // para -> ms
  const typists = new Map(); // conversation -> Map(typist -> {nombre, timer})
  const line = el("div", "typing-indicator small fst-italic text-body-secondary px-3 py-1 invisible", "\u00a0");
  line.id = "escribiendo";
  line.setAttribute("aria-live", "polite");
  input.form.before(line);

  input.addEventListener("input", () => {
    const para = agent ? active() : page.inbox;
    if (!para || !input.value.trim() || !isConnected() || quiet()) return;
    const now = Date.now();
    if (now - (lastSent.get(para) || 0) < SEND_EVERY_MS) return;
    lastSent.set(para, now);
    emit("escribiendo", { para });
  });

  function conversationOf(con) {
    return agent ? con : page.me;
  }

  function stop(con, typist) {
    const who = typists.get(con);
    if (!who || !who.has(typist)) return;
    clearTimeout(who.get(typist).timer);
    who.delete(typist);
    if (!who.size) typists.delete(con);
    render(con);
  }

  on("escribiendo", ({ de, nombre, con }) => {
    if (de === page.me) return; // this account's own tab on another process
    learnName(de, nombre);
    const key = conversationOf(con);
    if (!typists.has(key)) typists.set(key, new Map());
    const who = typists.get(key);
    clearTimeout(who.get(de)?.timer);
    who.set(de, { nombre: nombre || de, timer: setTimeout(() => stop(key, de), SHOW_FOR_MS) });
    render(key);
  });
  // a message from the typist ends their indicator at once
  on("mensaje_recibido", (m) => stop(agent ? m.de : page.me, m.de));
  on("mensaje_enviado", (m) => stop(agent ? m.para : page.me, m.de));

  function text(con) {
    const names = [...(typists.get(con)?.values() || [])].map((w) => w.nombre);
    if (!names.length) return "";
    // the customer reads the agent's display name, as on the agent's messages
    if (names.length === 1) return t("{nombre} está escribiendo...", { nombre: names[0] });
    return t("{nombres} están escribiendo...", { nombres: names.join(", ") });
  }

  function render(con) {
    const open = agent ? active() : page.me;
    if (con === open) {
      const now = text(con);
      line.textContent = now || "\u00a0";
      line.classList.toggle("invisible", !now);
    }
    if (agent) renderItem(con, con === open ? "" : text(con));
  }

  /** The list item of a conversation that is not open says who is typing in it. */
  function renderItem(con, now) {
    // a customer who has not written yet has no item: their typing is what lists them
    const item = now ? listItem(con) : document.querySelector(`#usuarios [data-user="${CSS.escape(con)}"]`);
    if (!item) return;
    let note = item.querySelector(":scope > .item-typing");
    if (!now) {
      note?.remove();
      item.classList.remove("flex-wrap");
      return;
    }
    if (!note) {
      note = el("span", "item-typing w-100 small fst-italic text-success");
      item.append(note);
    }
    note.textContent = now;
    item.classList.add("flex-wrap");
  }

  return {
    /** An agent opened a conversation: its indicator moves from the list to under the box. */
    opened(name) {
      line.textContent = "\u00a0";
      line.classList.add("invisible");
      for (const con of new Set([...typists.keys(), name])) render(con);
    },
  };
}
