// The chat page: the socket, the history over REST, and the customer's or the agent's view.
import { ChatBox, Conversation, useAttachmentsUrl } from "./conversation.js";
import { Delivery, PAGE } from "./delivery.js";
import { ConnectionBadge } from "./connection.js";
import { PendingAttachments } from "./attachments.js";
import { UserList } from "./inbox.js";
import { ExportLinks, SearchBox, arrivedAfterGap, loadAround, loadNewer } from "./search.js";
import { ConversationStatus } from "./status.js";
import { Triage } from "./triage.js";
import { AssignmentControl } from "./assignment.js";
import { Notifier } from "./notifications.js";
import { Seen, Unread } from "./reading.js";
import { startPresence } from "./presence.js";
import { startTyping } from "./typing.js";
import { startLabels } from "./labels.js";
import { LabelManager } from "./label_manager.js";
import { CustomerPanel } from "./customer_panel.js";
import { learnName, nameOf, onNameLearned } from "./names.js";
import { Composer } from "./composer.js";
import { MessageEdits } from "./message_edits.js";
import { NoteMode, followNotes, sendNote } from "./notes.js";
import { newCid } from "./ids.js";
import { startHoursNotice } from "./hours.js";
import { startRating } from "./rating.js";
import { t } from "./i18n.js"; // which loads the page's catalog first
import { getJSON, onSessionExpired, withParams } from "./rest.js";
import { connect, isRetrying, on } from "./socket.js";

const root = document.getElementById("chat");
const page = {
  me: root.dataset.user,
  rol: root.dataset.rol,
  inbox: root.dataset.inbox,
  maxLength: Number(root.dataset.maxLength) || 2000,
  editWindow: Number(root.dataset.editWindow) || 0, // seconds an author may edit or delete a message
  urls: {
    mios: root.dataset.urlMios,
    mensajes: root.dataset.urlMensajes,
    usuarios: root.dataset.urlUsuarios,
    buscar: root.dataset.urlBuscar,
    exportar: root.dataset.urlExportar,
    conversaciones: root.dataset.urlConversaciones,
    recuento: root.dataset.urlRecuento,
    lecturas: root.dataset.urlLecturas,
    visto: root.dataset.urlVisto,
    preferencias: root.dataset.urlPreferencias,
    respuestas: root.dataset.urlRespuestas, // agents only
    etiquetas: root.dataset.urlEtiquetas,
    conversacionEtiquetas: root.dataset.urlConversacionEtiquetas,
    cliente: root.dataset.urlCliente,
    ediciones: root.dataset.urlEdiciones, // a message's edit history (agents), with 0 for its id
    horario: root.dataset.urlHorario,
    valoracion: root.dataset.urlValoracion,
    adjuntos: root.dataset.urlAdjuntos,
  },
  maxAdjuntos: Number(root.dataset.maxAdjuntos) || 5,
  maxTamano: Number(root.dataset.maxTamano) || 10 * 1024 * 1024,
  csrf: document.querySelector('meta[name="csrf-token"]')?.content,
};
// agents: colleagues online are listed by display name, and presence sends usernames
for (const [user, nombre] of Object.entries(JSON.parse(root.dataset.agentes || "{}"))) learnName(user, nombre);

const relogin = document.getElementById("reentrar");
const connection = new ConnectionBadge(document.getElementById("estado"), {
  onState: (state) => { relogin.hidden = state !== "expired"; }, // only a new login helps
});
onSessionExpired(() => connection.set("expired"));

const box = new ChatBox(document.getElementById("mensajes"), document.getElementById("nuevos"));
const form = document.getElementById("form-mensaje");
const input = document.getElementById("mensaje");
const composer = new Composer({
  input,
  button: form.querySelector("button[type=submit]"),
  counter: document.getElementById("contador"),
  max: page.maxLength,
});
const title = document.getElementById("chat-titulo");
// the history over REST and the own messages over the socket (shared with the widget)
const delivery = new Delivery({
  box, getJSON, agent: page.rol === "admin", onSent: (para, text, ack) => view.sent?.(para, text, ack),
});
useAttachmentsUrl(page.urls.adjuntos);
// files for the next message: uploaded at once (progress on each chip), sent with it by id
const attachments = new PendingAttachments({
  url: page.urls.adjuntos, csrf: page.csrf, max: page.maxAdjuntos, maxSize: page.maxTamano,
  chips: document.getElementById("adjuntos-pendientes"), button: document.getElementById("adjuntar"),
  picker: document.getElementById("archivos"), input,
  dropZones: [document.getElementById("mensajes"), form],
  conversation: () => (page.rol === "admin" ? view.active : null),
  onChange: () => composer.refresh(),
});
// agents only: the composer writes replies, or private notes for the other agents
const noteMode = page.rol === "admin" ? new NoteMode({
  toggle: document.getElementById("modo-nota"), form, input,
  button: form.querySelector("button[type=submit]"), hint: document.getElementById("aviso-nota"),
}) : null;
// a message may be files alone; one waits for its uploads (a note carries none)
composer.attachments = () => ({ ready: attachments.ids().length > 0 && !(noteMode && noteMode.on), busy: attachments.busy() });

startPresence(page);
// before the view: view.open() tells it which conversation is open
const typing = startTyping({
  page, input, active: () => view.active, listItem: (name) => view.users.appear(name),
  quiet: () => Boolean(noteMode && noteMode.on), // a note is not for the customer: nor is its typing
});

function newConversation(url, emptyText, para) {
  const conv = new Conversation({ me: page.me, url, emptyText, editWindow: page.editWindow, history: page.rol === "admin" });
  conv.onNeedOlder = () => delivery.loadOlder(conv);
  conv.onRetry = (cid, text, nota, adjuntos = []) => (nota ? sendNote(box, conv, para, text, cid)
    : delivery.send(conv, para, text, cid, { adjuntos }));
  return conv;
}

/** A customer: one conversation with support. */
class CustomerView {
  constructor() {
    this.conv = newConversation(
      (params) => withParams(page.urls.mios, params),
      t("Aún no hay mensajes. Escribe tu consulta y te responderemos aquí."),
      page.inbox,
    );
    box.show(this.conv);
    this.seen = new Seen({ conv: this.conv, url: page.urls.visto, getJSON });
  }

  connected(first) {
    if (first || !this.conv.loaded) delivery.loadLatest(this.conv);
    else delivery.catchUp(this.conv).catch(() => {});
    this.seen.refresh().catch(() => {});
  }

  /** Every conversation this page holds: the customer has one. */
  conversations() {
    return [this.conv];
  }

  /** A reply from support, or what this customer wrote in another tab. */
  received(message) {
    box.newer(this.conv, () => this.conv.add(message));
  }

  submit(text, adjuntos) {
    delivery.send(this.conv, page.inbox, text, newCid(), { adjuntos });
    return true;
  }

  /** A message of this conversation edited or deleted (by this customer, or by an agent). */
  changed(change) {
    this.conv.changed(change);
  }
}

/** An agent: the list of conversations and the one that is open. */
class AgentView {
  constructor() {
    this.convs = new Map();
    this.active = null;
    this.users = new UserList(
      document.getElementById("usuarios"),
      document.getElementById("usuarios-vacio"),
      (name) => this.open(name),
    );
    this.status = new ConversationStatus({ me: page.me });
    this.labels = startLabels({
      urls: { etiquetas: page.urls.etiquetas, conversacion: page.urls.conversacionEtiquetas }, csrf: page.csrf, getJSON,
    });
    this.triage = new Triage({
      list: document.getElementById("usuarios"), getJSON, urls: page.urls, me: page.me, labels: this.labels.store,
    });
    this.assignment = new AssignmentControl({
      triage: this.triage, agents: JSON.parse(root.dataset.agentes || "{}"), me: page.me,
    });
    this.setFormEnabled(false);
    this.search = new SearchBox({
      input: document.getElementById("buscar"),
      results: document.getElementById("buscar-resultados"),
      url: page.urls.buscar,
      getJSON,
      onUser: (name) => this.open(name),
      onMessage: (name, id) => this.openAt(name, id),
    });
    this.exports = new ExportLinks(document.getElementById("exportar"), page.urls.exportar);
    this.reading = new Unread({
      users: this.users, me: page.me, url: page.urls.lecturas, getJSON,
      // notes aside: a read marker, and the customer's "Visto", count messages only
      current: () => (this.active ? { name: this.active, newestId: this.conversation(this.active).newestMessageId } : null),
    });
    this.notifier = new Notifier({
      sound: document.getElementById("aviso-sonido"), desktop: document.getElementById("aviso-escritorio"),
      url: page.urls.preferencias, csrf: page.csrf, getJSON,
    });
    this.notifier.load().catch(() => {});
    // on a phone (CSS) the list and the open conversation take turns on the screen
    this.layout = document.getElementById("bandeja");
    document.getElementById("volver-lista").addEventListener("click", () => this.showList());
    this.unreadButton = document.getElementById("marcar-no-leido");
    this.unreadButton.addEventListener("click", () => this.reading.markUnread(this.active).catch(() => {}));
    onNameLearned((name) => {
      if (name === this.active) this.showTitle(name);
    });
    new LabelManager({ store: this.labels.store, opener: document.getElementById("gestionar-etiquetas") });
    this.panel = new CustomerPanel({
      url: page.urls.cliente, csrf: page.csrf, getJSON, labels: this.labels.store,
      onOpenAt: (name, id) => this.openAt(name, id),
    });
    followNotes((name, note) => this.noteArrived(name, note));
  }

  /** The open conversation's header: the customer's display name. */
  showTitle(name) {
    title.textContent = t("Conversación con {name}", { name: nameOf(name) });
  }

  conversation(name) {
    let conv = this.convs.get(name);
    if (!conv) {
      conv = newConversation(
        (params) => withParams(page.urls.mensajes, { con: name, notas: 1, ...params }), // the notes among them
        t("Aún no hay mensajes con {name}.", { name: nameOf(name) }),
        name,
      );
      this.convs.set(name, conv);
    }
    return conv;
  }

  /** Every conversation this page holds (opened, or with live messages). */
  conversations() {
    return this.convs.values();
  }

  open(name, around = null) {
    const conv = this.conversation(name);
    if (name !== this.active) attachments.clear(); // uploaded to the other conversation
    this.active = name;
    this.layout.dataset.vista = "conversacion";
    this.users.setActive(name);
    this.status.opened(name);
    this.assignment.opened(name);
    this.showTitle(name);
    box.show(conv);
    this.exports.show(name);
    typing.opened(name);
    this.setFormEnabled(true);
    this.unreadButton.hidden = false;
    this.labels.opened(name);
    this.panel.opened(name);
    const loaded = around !== null
      ? loadAround(conv, around, { getJSON, box, page: PAGE }).catch(() => delivery.loadLatest(conv))
      : conv.loaded ? Promise.resolve() : delivery.loadLatest(conv);
    // read once its messages are on screen (up to the newest shown, for a search result)
    loaded.then(() => {
      if (this.active === name) this.reading.opened(name, conv.newestMessageId);
    });
    input.focus();
  }

  /**
   * A customer a supervisor erased (cliente_borrado): off the list and the counts. If their
   * conversation is open, the page starts afresh (nothing of theirs may stay on screen, and
   * the header's controls would act on a conversation that no longer exists).
   */
  erased(name) {
    if (name === this.active) {
      window.location.reload();
      return;
    }
    this.convs.delete(name);
    this.users.remove(name);
    this.triage.forget(name);
    this.reading.forget(name);
  }

  /** Back to the list (the phone's other view), on the conversation that was open. */
  showList() {
    this.layout.dataset.vista = "lista";
    this.users.focus(this.active);
  }

  /** A search result: the conversation shown afresh around that message. */
  openAt(name, id) {
    this.convs.delete(name);
    this.open(name, id);
  }

  setFormEnabled(enabled) {
    composer.setEnabled(enabled);
    attachments.setEnabled(enabled);
    noteMode.setEnabled(enabled);
    input.placeholder = enabled ? noteMode.placeholder() : t("Elige una conversación de la lista");
  }

  async connected(first) {
    this.status.beginRefresh();
    // every row's status, wait, assignee and latest message (the list's order comes below)
    this.triage.refresh().then((rows) => this.status.refresh(rows)).catch(() => {});
    // unread counts are the server's (per agent); live messages meanwhile are added to them
    const counts = this.reading.refresh().catch(() => {});
    await this.refreshList(first);
    // what was missed in every conversation this page holds messages of
    for (const [name, conv] of this.convs) {
      if (!first && (conv.loaded || conv.newestId !== null)) {
        await delivery.catchUp(conv).catch(() => []);
      } else if (name === this.active && !conv.loaded) {
        delivery.loadLatest(conv);
      }
    }
    await counts;
    this.reading.readOpen(); // the open conversation's caught-up messages are on screen: read
  }

  async refreshList() {
    this.users.beginRefresh();
    try {
      this.users.setOrder(await getJSON(page.urls.usuarios));
    } catch (error) {
      /* the list stays as it was; live messages still add to it */
    }
  }

  /** A customer's message (mensaje_recibido) or another agent's reply (mensaje_enviado). */
  received(message, event) {
    const name = event === "mensaje_enviado" ? message.para : message.de;
    learnName(message.de, message.nombre); // before the list, the header and a notification show it
    const conv = this.conversation(name);
    const added = conv.hasNewer ? arrivedAfterGap(conv, box) : box.newer(conv, () => conv.add(message));
    this.users.touch(name);
    if (added && this.reading.received(name, message) && event === "mensaje_recibido") {
      this.notifier.notify(name, message);
    }
  }

  /** A message edited or deleted: in its conversation if this page holds it, and in the list's preview. */
  changed(change) {
    this.convs.get(change.usuario)?.changed(change);
    this.triage.changedMessage(change.usuario, change);
  }

  /** This agent's reply was acknowledged: the customer no longer waits. */
  sent(name, text, ack) {
    this.triage.replied(name, text, ack.id, ack.fecha);
  }

  submit(text, adjuntos) {
    if (!this.active) return false;
    const name = this.active;
    if (noteMode.on) {
      if (!text.trim()) return false; // a note carries no files: they wait for the next reply
      sendNote(box, this.conversation(name), name, text); // not activity: the list stays as it is
      return true;
    }
    delivery.send(this.conversation(name), name, text, newCid(), { adjuntos });
    this.users.touch(name);
    return true;
  }

  /** Another agent's note (or this agent's, from another tab): shown in its place, never counted unread. */
  noteArrived(name, note) {
    const conv = this.conversation(name);
    if (conv.hasNewer) arrivedAfterGap(conv, box);
    else box.newer(conv, () => conv.add(note));
  }
}

const view = page.rol === "admin" ? new AgentView() : new CustomerView();
new MessageEdits({
  box: document.getElementById("mensajes"), getJSON,
  historyUrl: (id) => page.urls.ediciones.replace("/0/", `/${id}/`),
});
let everConnected = false;

box.onNeedOlder = (conv) => delivery.loadOlder(conv);
box.onNeedNewer = (conv) => loadNewer(conv, { getJSON, page: PAGE });

form.addEventListener("submit", (event) => {
  event.preventDefault();
  // over the limit the button is disabled, but Enter in the box still submits
  if (!composer.sendable()) return;
  const adjuntos = noteMode && noteMode.on ? [] : attachments.described();
  if (view.submit(input.value, adjuntos)) {
    if (adjuntos.length) attachments.clear();
    composer.clear();
  }
  input.focus();
});

on("connect", () => {
  connection.set("connected");
  delivery.resendWaiting(view.conversations());
  view.connected(!everConnected);
  everConnected = true;
});
on("disconnect", () => connection.set("reconnecting"));
on("connect_error", () => {
  // refused by the server (bad or expired token): no automatic retry
  connection.set(isRetrying() ? "reconnecting" : "expired");
});
on("mensaje_recibido", (data) => view.received(data, "mensaje_recibido"));
on("mensaje_enviado", (data) => view.received(data, "mensaje_enviado"));
on("mensaje_editado", (data) => view.changed(data));
on("mensaje_eliminado", (data) => view.changed(data));
if (page.rol === "admin") on("cliente_borrado", (data) => view.erased(data.usuario));
// the server's queue missed messages (a gap in its Redis subscription): catch up as after a reconnect
on("resincronizar", () => view.connected(false));

if (page.rol !== "admin") {
  // the customer's notice of business hours and the rating of a resolution
  startHoursNotice({ page, getJSON });
  startRating({ page, getJSON });
}

if (page.rol === "admin") {
  // canned replies are the agents': a customer's page never loads their module
  import("./canned.js")
    .then(({ startCanned }) => startCanned({ page, input, composer, getJSON, active: () => view.active }))
    .catch((error) => console.error("canned replies not started:", error));
}

connection.set("connecting");
connect();
