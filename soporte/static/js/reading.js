// Read state. An agent's unread counts per conversation, kept by the server per agent
// (GET /api/lecturas, marcar_leido, marcar_no_leido, and `leido` to all that agent's tabs),
// shown as the list's badges and the page title's total. A customer's "Visto" (`visto`).
import { el } from "./dom.js";
import { compareIds } from "./ids.js";
import { t } from "./i18n.js";
import { on, request } from "./socket.js";

const after = (a, b) => compareIds(a, b) > 0;
const newest = (a, b) => (a === null || after(b, a) ? b : a);

/**
 * What is unread in one conversation: `sinLeer` messages the server counted up to `ultimo`,
 * plus those this tab received live with a greater id (the server had not seen them yet).
 */
class ReadState {
  constructor(hasta = 0, sinLeer = 0, ultimo = 0) {
    this.hasta = hasta;
    this.sinLeer = sinLeer;
    this.ultimo = ultimo;
    this.live = new Set();
  }

  count() {
    let n = this.sinLeer;
    for (const id of this.live) if (after(id, this.ultimo) && after(id, this.hasta)) n += 1;
    return n;
  }

  /** The server's word: prune what it has now counted. */
  set({ hasta, sin_leer: sinLeer, ultimo }) {
    this.hasta = hasta;
    this.sinLeer = sinLeer;
    this.ultimo = newest(this.ultimo, ultimo);
    for (const id of this.live) if (!after(id, this.ultimo)) this.live.delete(id);
  }

  /** This tab read up to `id`: nothing up to there is unread any more. */
  readUpTo(id) {
    this.hasta = newest(this.hasta, id);
    if (!after(this.ultimo, id)) this.sinLeer = 0;
    for (const n of this.live) if (!after(n, id)) this.live.delete(n);
  }
}

/** One agent's unread messages, in step with the server and with the agent's other tabs. */
export class Unread {
  /**
   * users: the UserList (badges); me: the agent;
   * url: GET /api/lecturas; getJSON(url): the page's fetch;
   * current(): {name, newestId} of the open conversation, or null.
   */
  constructor({ users, me, url, getJSON, current }) {
    Object.assign(this, { users, me, url, getJSON, current });
    this.states = new Map(); // conversation -> ReadState
    this.buffer = null; // while /api/lecturas is on its way: [name, id] received live, `leido` received
    this.marking = new Map(); // conversation -> {busy, next}: one marcar_leido in flight at a time
    this.kept = null; // a conversation marked unread while open: not read again until reopened
    this.baseTitle = document.title;
    on("leido", (state) => this.leido(state));
    document.addEventListener("visibilitychange", () => this.readOpen());
  }

  state(name) {
    let state = this.states.get(name);
    if (!state) {
      state = new ReadState();
      this.states.set(name, state);
    }
    return state;
  }

  /** Fetch every count from the server (on connect and after a reconnect). */
  async refresh() {
    const buffer = { live: [], leido: [] };
    this.buffer = buffer;
    let data;
    try {
      data = await this.getJSON(this.url);
    } finally {
      if (this.buffer === buffer) this.buffer = null;
    }
    const states = new Map();
    for (const [name, s] of Object.entries(data)) states.set(name, new ReadState(s.leido_hasta, s.sin_leer, s.ultimo));
    const old = this.states;
    this.states = states;
    // what came live meanwhile counts unless the server saw it already
    for (const [name, id] of buffer.live) this.state(name).live.add(id);
    for (const state of buffer.leido) if (!after(this.state(state.con).hasta, state.hasta)) this.state(state.con).set(state);
    for (const name of new Set([...old.keys(), ...states.keys()])) this.render(name);
    this.readOpen();
  }

  /** `leido` from the server: this agent (in this or another tab) moved its marker. */
  leido(state) {
    if (this.buffer) this.buffer.leido.push(state);
    this.state(state.con).set(state);
    this.render(state.con);
  }

  /**
   * A live message in a conversation (from the customer or another agent); returns true
   * when it is unread for this agent (what notifications are about).
   */
  received(name, message) {
    if (message.de === this.me) return false; // what the agent wrote never counts
    if (this.buffer) this.buffer.live.push([name, message.id]);
    const open = this.current();
    if (open && open.name === name && this.kept !== name && !document.hidden) {
      this.markRead(name, message.id);
      return false;
    }
    this.state(name).live.add(message.id);
    this.render(name);
    return true;
  }

  /** The agent opened a conversation and its latest messages are on screen. */
  opened(name, newestId) {
    if (this.kept === name) this.kept = null;
    if (!document.hidden) this.markRead(name, newestId);
  }

  /** Mark the open conversation read when the tab comes back into view. */
  readOpen() {
    const open = this.current();
    if (open && !document.hidden && this.kept !== open.name && this.unread(open.name) > 0) {
      this.markRead(open.name, open.newestId);
    }
  }

  unread(name) {
    return this.states.has(name) ? this.states.get(name).count() : 0;
  }

  /** Tell the server the agent read up to `id` (at most one request in flight per conversation). */
  markRead(name, id) {
    if (id === null || id === undefined) return;
    this.state(name).readUpTo(id);
    this.render(name);
    let marking = this.marking.get(name);
    if (!marking) {
      marking = { busy: false, next: null };
      this.marking.set(name, marking);
    }
    marking.next = newest(marking.next, id);
    if (!marking.busy) this.sendMark(name, marking);
  }

  sendMark(name, marking) {
    const hasta = Number(marking.next);
    marking.next = null;
    marking.busy = true;
    request("marcar_leido", { con: name, hasta }, (err, ack) => {
      marking.busy = false;
      // an answer behind what this tab knows (another tab moved on meanwhile) is stale
      if (!err && ack && ack.ok && !after(this.state(name).hasta, ack.hasta)) {
        this.state(name).set(ack);
        this.render(name);
      }
      if (marking.next !== null) this.sendMark(name, marking);
    });
  }

  /** "Marcar como no leído": the server moves the marker back before the customer's latest message. */
  markUnread(name) {
    return new Promise((resolve, reject) => {
      request("marcar_no_leido", { con: name }, (err, ack) => {
        if (err || !ack || !ack.ok) {
          reject(new Error((ack && ack.error) || t("No se pudo marcar como no leído")));
          return;
        }
        this.kept = name;
        this.state(name).set(ack);
        this.render(name);
        resolve(ack);
      });
    });
  }

  /** A conversation gone (its customer erased): its unread count leaves the title. */
  forget(name) {
    this.states.delete(name);
    this.render(name);
  }

  render(name) {
    const count = this.unread(name);
    if (count > 0 || this.users.has(name)) this.users.setUnread(name, count);
    let total = 0;
    for (const state of this.states.values()) total += state.count();
    document.title = total > 0 ? `(${total}) ${this.baseTitle}` : this.baseTitle;
  }
}

/** The customer's side: "Visto" under the latest own message support has read. */
export class Seen {
  constructor({ conv, url, getJSON }) {
    Object.assign(this, { conv, url, getJSON });
    this.hasta = null;
    this.label = el("div", "msg-visto small");
    on("visto", ({ hasta }) => this.update(hasta));
    // messages come and go (history pages, live, acks): keep the label in place
    new MutationObserver(() => this.place()).observe(conv.list, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["data-id"],
    });
  }

  async refresh() {
    const { hasta } = await this.getJSON(this.url);
    this.update(hasta);
  }

  /** Support has read up to `hasta` (only ever grows). */
  update(hasta) {
    if (hasta === null || hasta === undefined) return;
    this.hasta = newest(this.hasta, hasta);
    this.place();
  }

  place() {
    if (this.hasta === null) return;
    let last = null;
    for (const li of this.conv.list.querySelectorAll(".msg-own[data-id]")) {
      const seen = !after(li.dataset.id, this.hasta);
      if (seen !== (li.dataset.visto === "true")) li.dataset.visto = String(seen);
      if (seen) last = li;
    }
    if (last && this.label.parentNode !== last) {
      this.label.textContent = t("Visto"); // here, not earlier: the page's catalog may load after the script
      last.append(this.label);
    }
    else if (!last && this.label.parentNode) this.label.remove();
  }
}
