// Presence: a dot per customer in the agents' list, online colleagues, and "Soporte en línea" for customers.
//
// The socket follows presence (seguir_presencia) on every connect; the ack is the state
// now, and `presencia` / `soporte_en_linea` events move it on. The list items are made
// by inbox.js: a MutationObserver gives each new item its dot, so inbox.js needs no hook.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { nameOf, onNameLearned } from "./names.js";
import { itemOf } from "./inbox.js";
import { on, request } from "./socket.js";

/** Agents: the dots in the list and the line of colleagues online. */
class AgentPresence {
  constructor(list) {
    this.list = list;
    this.users = new Set();
    this.agents = new Set();
    this.known = false; // only while this page's socket follows presence
    this.colleagues = el("p", "agentes-en-linea card-footer small text-body-secondary mb-0");
    list.parentElement.append(this.colleagues);
    // the items added only, and a name redraws the colleagues' line: thousands of items are not repainted
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) if (node.dataset?.user) this.paint(node);
    }).observe(list, { childList: true });
    onNameLearned((name) => {
      if (this.agents.has(name)) this.paintColleagues();
    });
    this.paintAll();
  }

  /** The state as the server's ack gives it. */
  reset({ usuarios = [], agentes = [] }) {
    this.users = new Set(usuarios);
    this.agents = new Set(agentes);
    this.known = true;
    this.paintAll();
  }

  /** One transition (`presencia`). */
  change({ usuario, en_linea: online, rol }) {
    const set = rol === "admin" ? this.agents : this.users;
    if (online) set.add(usuario);
    else set.delete(usuario);
    const item = itemOf(this.list, usuario);
    if (item) this.paint(item);
    if (rol === "admin") this.paintColleagues();
  }

  paintAll() {
    for (const item of this.list.querySelectorAll("[data-user]")) this.paint(item);
    this.paintColleagues();
  }

  /** The line of colleagues online, by display name. */
  paintColleagues() {
    this.colleagues.hidden = !this.known;
    const names = [...this.agents].map(nameOf).sort((a, b) => a.localeCompare(b));
    this.colleagues.textContent = names.length
      ? t("Agentes en línea: {nombres}", { nombres: names.join(", ") })
      : t("Ningún agente en línea");
  }

  paint(item) {
    let dot = item.querySelector(".presence-dot");
    if (!dot) {
      dot = el("span", "presence-dot d-inline-block rounded-circle p-1 flex-shrink-0");
      dot.setAttribute("role", "img");
      (item.querySelector(".fila-cabecera") || item).prepend(dot); // before the name, on its line
    }
    dot.classList.toggle("invisible", !this.known); // its d-inline-block wins over `hidden`
    const online = this.users.has(item.dataset.user);
    if (dot.dataset.online === String(online)) return;
    dot.dataset.online = String(online);
    dot.classList.toggle("bg-success", online);
    dot.classList.toggle("bg-secondary", !online);
    dot.title = online ? t("En línea") : t("Desconectado");
    dot.setAttribute("aria-label", dot.title);
  }

  /**
   * While this page's own socket is down it cannot know (a logout in another tab, a lost
   * network): it shows nobody online rather than who was, until the next seguir_presencia.
   */
  unknown() {
    this.known = false;
    this.users.clear();
    this.agents.clear();
    this.paintAll();
  }
}

/** Tell the page's other parts (the offline notice's email form, static/js/correo.js): true, false or null (unknown). */
function tellPage(online) {
  document.dispatchEvent(new CustomEvent("soporte-en-linea", { detail: { online } }));
}

/** Customers: whether anyone in support is online, in the conversation's header (the navbar is full on a phone). */
class CustomerPresence {
  constructor(title) {
    this.badge = el("span", "badge soporte-estado ms-auto");
    this.badge.id = "soporte-estado";
    this.badge.setAttribute("role", "status");
    this.badge.hidden = true;
    title.after(this.badge);
  }

  reset({ soporte }) {
    this.set(soporte);
  }

  change({ en_linea: online }) {
    this.set(online);
  }

  set(online) {
    this.badge.hidden = false;
    this.badge.dataset.online = String(online);
    this.badge.textContent = online ? t("Soporte en línea") : t("Soporte desconectado");
    this.badge.className = `badge soporte-estado ms-auto ${online ? "text-bg-success" : "text-bg-light border"}`;
    tellPage(online);
  }

  /** While this page's own socket is down it cannot know. */
  unknown() {
    this.badge.hidden = true;
    tellPage(null);
  }
}

/** Follow presence on the page's socket (page.rol: "admin" or "user"). */
export function startPresence(page) {
  const view = page.rol === "admin"
    ? new AgentPresence(document.getElementById("usuarios"))
    : new CustomerPresence(document.getElementById("chat-titulo"));
  on("connect", () => {
    request("seguir_presencia", undefined, (err, ack) => {
      if (!err && ack && ack.ok) view.reset(ack);
    });
  });
  on("disconnect", () => view.unknown());
  on(page.rol === "admin" ? "presencia" : "soporte_en_linea", (data) => view.change(data));
  return view;
}
