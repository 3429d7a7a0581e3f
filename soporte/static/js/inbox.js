// The agents' list of conversations: latest activity first, active and unread marks.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { nameOf, onNameLearned } from "./names.js";

const ACTIVE = ["bg-light", "text-success", "fw-bold"];
const UNREAD = ["text-danger", "fw-bold"];

export class UserList {
  constructor(list, emptyNote, onSelect) {
    this.list = list;
    this.emptyNote = emptyNote;
    this.onSelect = onSelect;
    this.items = new Map(); // username -> {button, badge, unread}
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
      const button = el("button", "list-group-item list-group-item-action d-flex align-items-center gap-2");
      button.type = "button";
      button.dataset.user = name;
      const badge = el("span", "badge rounded-pill text-bg-danger unread-count");
      badge.hidden = true;
      button.append(el("span", "user-name flex-grow-1 text-truncate", nameOf(name)), badge);
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
    for (const button of this.list.children) if (!order.includes(button)) order.push(button);
    this.list.replaceChildren(...order);
    this.emptyNote.hidden = this.items.size > 0;

    const after = order.map((b) => b.dataset.user);
    const changed = after.filter((name, i) => !rank.has(name)
      || after.slice(i + 1).some((below) => rank.get(below) < rank.get(name)));
    return changed;
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
