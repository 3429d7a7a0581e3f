// The agents' list of conversations: latest activity first, active and unread marks.
// triage.js fills each item's lines; status.js and triage.js mark what the tabs and views hide.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { nameOf, onNameLearned } from "./names.js";

const ACTIVE = ["bg-light", "text-success", "fw-bold"];
const UNREAD = ["text-danger", "fw-bold"];

const lists = new WeakMap(); // list element -> its UserList's items, for itemOf

/** The item (button) of a conversation in a list, or null: a lookup, not a scan of thousands of items. */
export function itemOf(list, name) {
  return lists.get(list)?.get(name)?.button || null;
}

/** Whether the list's status tab (data-filtro), view by assignee (data-vista) and label filter show an item. */
export function isShown(list, item) {
  if (item.dataset.conEtiqueta === "false") return false;
  const filtro = list.dataset.filtro || "todas";
  const vista = list.dataset.vista || "todas";
  const asignacion = item.dataset.asignacion || "ninguna";
  return (filtro === "todas" || (item.dataset.estado || "abierta") === filtro)
    && (vista === "todas" || (vista === "mias" ? asignacion === "mia" : asignacion === "ninguna"));
}

export class UserList {
  constructor(list, emptyNote, onSelect) {
    this.list = list;
    this.emptyNote = emptyNote;
    this.onSelect = onSelect;
    this.items = new Map(); // username -> {button, badge, unread}
    lists.set(list, this.items);
    this.active = null;
    this.touched = new Set(); // moved by live messages while the list was being fetched
    list.addEventListener("click", (event) => {
      const button = event.target.closest("[data-user]");
      if (button) this.onSelect(button.dataset.user);
    });
    onNameLearned((name) => this.rename(name));
  }

  /** Show an item under the display name learned for its customer. */
  rename(name) {
    const item = this.items.get(name);
    if (!item) return;
    item.button.querySelector(".user-name").textContent = nameOf(name);
    if (item.unread > 0) item.button.setAttribute("aria-label", t("{name}: {n} sin leer", { name: nameOf(name), n: item.unread }));
  }

  has(name) {
    return this.items.has(name);
  }

  item(name) {
    let item = this.items.get(name);
    if (!item) {
      // three lines: the name, its time and unread count; the latest message; the wait, the
      // assignee and the status (filled by triage.js and status.js)
      const button = el("button", "list-group-item list-group-item-action fila");
      button.type = "button";
      button.dataset.user = name;
      const badge = el("span", "badge rounded-pill text-bg-danger unread-count");
      badge.hidden = true;
      const head = el("span", "fila-cabecera d-flex align-items-center gap-2");
      head.append(el("span", "user-name flex-grow-1 text-truncate", nameOf(name)),
        el("small", "fila-hora text-body-secondary text-nowrap"), badge);
      const preview = el("span", "fila-ultimo d-block small text-body-secondary text-truncate");
      preview.hidden = true;
      const meta = el("span", "fila-meta d-flex flex-wrap gap-1 mt-1");
      const wait = el("span", "badge rounded-pill text-warning-emphasis bg-warning-subtle fila-espera");
      wait.hidden = true;
      const chips = el("ul", "fila-etiquetas list-unstyled d-flex flex-wrap gap-1 mb-0");
      chips.hidden = true;
      meta.append(wait, el("span", "badge rounded-pill fila-asignado"), chips);
      button.append(head, preview, meta);
      item = { button, badge, unread: 0 };
      this.items.set(name, item);
      this.list.append(button);
      this.emptyNote.hidden = true;
    }
    return item;
  }

  /** A message in this conversation: it goes (or appears) at the top. */
  touch(name) {
    const { button } = this.item(name);
    this.touched.add(name);
    if (this.list.firstElementChild !== button) this.list.prepend(button);
  }

  /** The item of a conversation, listed at the top if it was not (a new customer typing). */
  appear(name) {
    if (!this.items.has(name)) this.touch(name);
    return this.items.get(name).button;
  }

  /** Start fetching the server's order; live moves from now on stay on top. */
  beginRefresh() {
    this.touched.clear();
  }

  /**
   * Apply the server's order (most recent first), under what moved since beginRefresh.
   * Returns the names that are new to the list and those that moved up past another:
   * both had activity the page did not see.
   */
  setOrder(names) {
    const rank = new Map([...this.list.children].map((b, i) => [b.dataset.user, i]));
    const order = [...this.list.children].filter((b) => this.touched.has(b.dataset.user));
    for (const name of names) {
      const { button } = this.item(name);
      if (!this.touched.has(name)) order.push(button);
    }
    const placed = new Set(order);
    for (const button of this.list.children) if (!placed.has(button)) order.push(button);
    this.list.replaceChildren(...order);
    this.emptyNote.hidden = this.items.size > 0;

    // new, or above one that was above it before: from the bottom up, the lowest rank seen below
    const after = order.map((b) => b.dataset.user);
    const changed = [];
    let lowestBelow = Infinity;
    for (let i = after.length - 1; i >= 0; i--) {
      const was = rank.get(after[i]);
      if (was === undefined || lowestBelow < was) changed.push(after[i]);
      if (was !== undefined) lowestBelow = Math.min(lowestBelow, was);
    }
    return changed.reverse();
  }

  markUnread(name, count = 1) {
    if (name === this.active || count < 1) return;
    const item = this.item(name);
    item.unread += count;
    item.badge.textContent = String(item.unread);
    item.badge.hidden = false;
    item.button.classList.add(...UNREAD);
    item.button.setAttribute("aria-label", t("{name}: {n} sin leer", { name: nameOf(name), n: item.unread }));
  }

  /** Show how many messages are unread (the server's count; 0 hides the badge). */
  setUnread(name, count) {
    const item = this.item(name);
    item.unread = count;
    item.badge.textContent = String(count);
    item.badge.hidden = count < 1;
    if (name !== this.active) for (const c of UNREAD) item.button.classList.toggle(c, count > 0);
    if (count > 0) item.button.setAttribute("aria-label", t("{name}: {n} sin leer", { name: nameOf(name), n: count }));
    else item.button.removeAttribute("aria-label");
  }

  /** Take a conversation off the list (its customer's data was erased). */
  remove(name) {
    this.items.get(name)?.button.remove();
    this.items.delete(name);
    this.emptyNote.hidden = this.items.size > 0;
  }

  /** Put the keyboard focus on a conversation's item, if it is listed. */
  focus(name) {
    this.items.get(name)?.button.focus();
  }

  setActive(name) {
    if (this.active && this.items.has(this.active)) {
      const previous = this.items.get(this.active).button;
      previous.classList.remove(...ACTIVE);
      previous.removeAttribute("aria-current");
      // still unread (marked unread, or read elsewhere later): it looks unread again
      for (const c of UNREAD) previous.classList.toggle(c, this.items.get(this.active).unread > 0);
    }
    this.active = name;
    const item = this.item(name);
    item.unread = 0;
    item.badge.hidden = true;
    item.button.classList.remove(...UNREAD);
    item.button.removeAttribute("aria-label");
    item.button.classList.add(...ACTIVE);
    item.button.setAttribute("aria-current", "true");
  }
}
