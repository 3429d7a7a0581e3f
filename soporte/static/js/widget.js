// The embeddable widget's page (templates/widget.html), inside the loader's iframe on another site.
//
// No login cookie here (browsers block third-party cookies): the customer's token lives in this
// frame's localStorage (per host site, as storage is partitioned), or in the host site's through the
// loader where the browser gives a third-party frame no storage, and goes as the socket's `auth`
// and the REST calls' Authorization header. Who the customer is comes, in this order, from the
// host site's verified identity (the loader's postMessage), a stored token, the pre-chat form, or a
// guest created with the first message. The conversation itself is the chat page's: the same
// modules show it, send with a cid (once, however often retried) and catch up after a reconnect.
import { PendingAttachments } from "./attachments.js";
import { ChatBox, Conversation, useAttachmentsUrl } from "./conversation.js";
import { Delivery } from "./delivery.js";
import { ConnectionBadge } from "./connection.js";
import { Composer } from "./composer.js";
import { MessageEdits } from "./message_edits.js";
import { startPresence } from "./presence.js";
import { showHoursNotice, startHoursNotice } from "./hours.js";
import { startRating } from "./rating.js";
import { t } from "./i18n.js"; // which loads the page's catalog first
import { getJSON, onSessionExpired, sendJSON, useBearer, withParams } from "./rest.js";
import { connect, isRetrying, on, useToken } from "./socket.js";

const TOKEN_KEY = "soporte.widget.token";
const IDENTITY_WAIT_MS = 1500; // how long the loader has to answer "listo" before we go on without identity

const root = document.getElementById("chat");
const page = {
  me: null, // the customer's username, once known
  rol: "user",
  inbox: root.dataset.inbox, // where a customer's messages go
  maxLength: Number(root.dataset.maxLength) || 2000,
  editWindow: Number(root.dataset.editWindow) || 0,
  maxAdjuntos: Number(root.dataset.maxAdjuntos) || 5,
  maxTamano: Number(root.dataset.maxTamano) || 10 * 1024 * 1024,
  urls: {
    config: root.dataset.urlConfig,
    invitado: root.dataset.urlInvitado,
    identidad: root.dataset.urlIdentidad,
    renovar: root.dataset.urlRenovar,
    mios: root.dataset.urlMios,
    horario: root.dataset.urlHorario,
    valoracion: root.dataset.urlValoracion,
  },
};

// ---- the embedding page: whom we talk to, and only them --------------------------------------

/** The host page's origin: the frame's ancestor (Chromium), else the referrer's; null when not framed. */
function parentOrigin() {
  if (window.parent === window) return null;
  const ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0];
  try {
    return new URL(document.referrer).origin;
  } catch (error) {
    return null;
  }
}
const PARENT = parentOrigin();

function tellParent(message) {
  if (PARENT && PARENT !== "null") window.parent.postMessage(message, PARENT);
}

let identityArrived;
// the loader's answer to "listo": the website's verified user (or null), and the guest's token
// it keeps for us when this frame may not store one
const fromLoader = new Promise((resolve) => {
  identityArrived = resolve;
});
let open = window.parent === window; // alone in a tab (not framed): always open
let unread = 0;

window.addEventListener("message", (event) => {
  // the loader is the parent window; nothing else may steer the widget
  if (event.source !== window.parent || event.origin !== PARENT) return;
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (message.soporte === "identidad") {
    const { id, hash, nombre, email } = message;
    identityArrived({
      verified: typeof id === "string" && typeof hash === "string" ? { id, hash, nombre, email } : null,
      token: typeof message.token === "string" ? message.token : null,
    });
  } else if (message.soporte === "abierto") {
    open = Boolean(message.abierto);
    if (open) {
      setUnread(0);
      input.focus();
    }
  }
});
setTimeout(() => identityArrived({ verified: null, token: null }), PARENT ? IDENTITY_WAIT_MS : 0);

function setUnread(n) {
  unread = n;
  tellParent({ soporte: "no_leidos", n });
}

document.getElementById("widget-cerrar").addEventListener("click", () => tellParent({ soporte: "cerrar" }));
document.addEventListener("keydown", (event) => {
  // not the Escape that cancels an edit in place (message_edits.js takes it first)
  if (event.key === "Escape" && !event.defaultPrevented) tellParent({ soporte: "cerrar" });
});

// ---- the token ---------------------------------------------------------------------------------

/**
 * This frame's own storage, or null where the browser refuses it to a third-party frame (Chromium
 * with third-party cookies blocked refuses localStorage too). Then the loader keeps a guest's token
 * in the website's storage instead, as Intercom or Chatwoot keep theirs: the conversation itself
 * stays out of the website's reach (no DOM across origins), and a reload is still the same guest.
 */
const frameStorage = (() => {
  try {
    localStorage.setItem(`${TOKEN_KEY}.prueba`, "1");
    localStorage.removeItem(`${TOKEN_KEY}.prueba`);
    return localStorage;
  } catch (error) {
    return null;
  }
})();
let token = frameStorage ? frameStorage.getItem(TOKEN_KEY) : null;

/** Keep a token for the next visit (null: forget it); a verified user's is asked again each visit. */
function keepToken(value, { guest = true } = {}) {
  token = value;
  if (frameStorage) {
    if (value) frameStorage.setItem(TOKEN_KEY, value);
    else frameStorage.removeItem(TOKEN_KEY);
  } else if (guest || !value) {
    tellParent({ soporte: "guardar", token: value });
  }
}

/** A token's claims (read, not verified: the server verifies it on every call); {} if unreadable. */
function claimsOf(jwt) {
  try {
    return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) || {};
  } catch (error) {
    return {};
  }
}

/** The username in a token. */
function userOf(jwt) {
  const { user } = claimsOf(jwt);
  return typeof user === "string" ? user : null;
}

/** Whether a kept token has expired (JWT_EXPIRES): the visitor starts afresh rather than see an error. */
function expired(jwt) {
  const { exp } = claimsOf(jwt);
  return typeof exp !== "number" || exp * 1000 <= Date.now();
}

/**
 * A kept guest token past half its life (GUEST_TOKEN_EXPIRES) traded for a fresh one, kept where the old
 * one was: a visitor who comes back within its life keeps their conversation for as long as they return.
 */
async function renewIfOld() {
  const { iat, exp } = claimsOf(token);
  if (typeof iat !== "number" || typeof exp !== "number") return;
  const halfLife = (iat + (exp - iat) / 2) * 1000;
  if (Date.now() < halfLife) return;
  try {
    keepToken((await sendJSON("POST", page.urls.renovar)).token);
  } catch (error) {
    // revoked, or the account erased: a new guest, as after an expiry; offline or refused: the old one still works
    if (error.status === 401) keepToken(null);
  }
}

useBearer(() => token, { lang: document.documentElement.lang }); // the server's texts in the widget's language
useToken(() => token);

// ---- look ----------------------------------------------------------------------------------

if (/^#[0-9a-fA-F]{6}$/.test(root.dataset.color)) document.documentElement.style.setProperty("--widget-color", root.dataset.color);
const greeting = document.getElementById("widget-saludo");
if (root.dataset.saludo) {
  greeting.textContent = root.dataset.saludo;
  greeting.hidden = false;
}
const errorBox = document.getElementById("widget-error");

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

/** The badge in the header: hidden while all is well, "Reconectando…" while the socket is down. */
const connection = new ConnectionBadge(document.getElementById("estado"), { quiet: true });
onSessionExpired(() => {
  keepToken(null); // a new guest or a new identity next time, not a dead token forever
  connection.set("expired");
  showError(t("La sesión del chat ha caducado. Vuelve a cargar la página para empezar de nuevo."));
});

// ---- the conversation ----------------------------------------------------------------------

const chat = document.getElementById("widget-chat");
const box = new ChatBox(document.getElementById("mensajes"), document.getElementById("nuevos"));
const form = document.getElementById("form-mensaje");
const input = document.getElementById("mensaje");
const composer = new Composer({
  input, button: form.querySelector("button[type=submit]"), counter: document.getElementById("contador"), max: page.maxLength,
});
useAttachmentsUrl(root.dataset.urlAdjuntos);
// files for the next message, as on the chat page: uploaded at once with the bearer header (rest.js)
const attachments = new PendingAttachments({
  url: root.dataset.urlAdjuntos, max: page.maxAdjuntos, maxSize: page.maxTamano,
  chips: document.getElementById("adjuntos-pendientes"), button: document.getElementById("adjuntar"),
  picker: document.getElementById("archivos"), input,
  dropZones: [document.getElementById("mensajes"), form], conversation: () => null,
  onChange: () => composer.refresh(),
});
attachments.setEnabled(false); // an upload needs the customer's token: from startChat on (no form: after the first message)
composer.attachments = () => ({ ready: attachments.ids().length > 0, busy: attachments.busy() });
const delivery = new Delivery({ box, getJSON });
// Editar/Borrar on the customer's own messages while EDIT_WINDOW lasts, as on the chat page
new MessageEdits({ box: document.getElementById("mensajes"), getJSON, historyUrl: () => null });
let conv = null;
let everConnected = false;
let started = false; // the socket and its features, once there is a token

function showConversation() {
  const me = userOf(token);
  page.me = me;
  conv = new Conversation({
    me, url: (params) => withParams(page.urls.mios, params), editWindow: page.editWindow,
    emptyText: t("Aún no hay mensajes. Escribe tu consulta y te responderemos aquí."),
  });
  conv.onNeedOlder = () => delivery.loadOlder(conv);
  conv.onRetry = (cid, text, nota, adjuntos = []) => delivery.send(conv, page.inbox, text, cid, { adjuntos });
  box.onNeedOlder = () => delivery.loadOlder(conv);
  box.show(conv);
}

/** With a token: the socket, presence, hours, rating, email; then the history on connect. */
function startChat() {
  if (started) return;
  started = true;
  if (!conv) showConversation();
  chat.hidden = false;
  attachments.setEnabled(true);
  startPresence(page);
  startHoursNotice({ page, getJSON });
  startRating({ page, getJSON });
  import("./correo.js").catch((error) => console.error("email not started:", error)); // needs the token
  connection.set("connecting");
  connect();
}

on("connect", () => {
  connection.set("connected");
  delivery.resendWaiting([conv]);
  if (!everConnected || !conv.loaded) delivery.loadLatest(conv);
  else delivery.catchUp(conv).catch(() => {}); // what arrived while the network was away
  everConnected = true;
});
on("disconnect", () => connection.set("reconnecting"));
on("connect_error", () => connection.set(isRetrying() ? "reconnecting" : "expired"));
on("resincronizar", () => delivery.catchUp(conv).catch(() => {}));

/** A reply from support (or this customer's message from another tab): shown, and counted while closed. */
function received(message) {
  const added = box.newer(conv, () => conv.add(message));
  const fromSupport = (message.de ?? message.de_usuario) !== page.me;
  if (added && fromSupport && (!open || document.hidden)) setUnread(unread + 1);
}
on("mensaje_recibido", received);
on("mensaje_enviado", received);
on("mensaje_editado", (change) => conv.changed(change));
on("mensaje_eliminado", (change) => conv.changed(change));
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && open) setUnread(0);
});

// ---- who the customer is ---------------------------------------------------------------------

/** POST to the widget's API without any credential; the answer, or throws with the server's text. */
function postPublic(url, body) {
  return sendJSON("POST", url, body);
}

/** The guest account: from the pre-chat form's fields (or none), at the first message at the latest. */
async function createGuest(fields) {
  // the website we are on (an allowed one: the server checks), where the guest's emails send them back
  const answer = await postPublic(page.urls.invitado, PARENT ? { ...fields, sitio: PARENT } : fields);
  keepToken(answer.token);
}

/** A refusal of the widget's API in the visitor's words (the server's Spanish text, translated). */
function refusal(error) {
  if (error.status === 429) return t("Demasiados chats nuevos desde tu conexión. Inténtalo más tarde.");
  if (error.status === 403) return t("El chat no está disponible ahora.");
  return t(error.message) || t("No se pudo empezar el chat; inténtalo de nuevo");
}

const prechat = document.getElementById("prechat");

/** The pre-chat form: the fields of the setting, and the email when nobody can answer now. */
function showPrechat(fields, offline) {
  const wanted = new Map(fields.map((f) => [f.campo, f.obligatorio]));
  if (offline && !wanted.has("email")) wanted.set("email", false);
  for (const row of prechat.querySelectorAll("[data-campo]")) {
    const shown = wanted.has(row.dataset.campo);
    row.hidden = !shown;
    const field = row.querySelector("input");
    field.required = Boolean(wanted.get(row.dataset.campo));
    row.querySelector(".obligatorio").hidden = !field.required;
  }
  document.getElementById("prechat-email-ayuda").hidden = !offline;
  prechat.hidden = false;
  prechat.querySelector("input:not([hidden])")?.focus();
  prechat.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("prechat-error");
    const body = {};
    for (const field of prechat.querySelectorAll("[data-campo]:not([hidden]) input")) {
      if (field.value.trim()) body[field.name] = field.value.trim();
    }
    const invalid = [...prechat.querySelectorAll("[data-campo]:not([hidden]) input")].find((f) => !f.checkValidity());
    if (invalid) {
      status.textContent = invalid.type === "email" && invalid.value ? t("Escribe un correo electrónico válido")
        : t("Rellena los campos obligatorios");
      status.hidden = false;
      invalid.focus();
      return;
    }
    try {
      await createGuest(body);
    } catch (error) {
      status.textContent = refusal(error);
      status.hidden = false;
      return;
    }
    prechat.hidden = true;
    startChat();
    input.focus();
  });
}

let creatingGuest = null; // the guest being created by the first message

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!composer.sendable()) return;
  const text = input.value;
  if (!token) {
    // the first message creates the guest; what was typed stays in the box if that is refused
    if (creatingGuest) return;
    creatingGuest = createGuest({});
    try {
      await creatingGuest;
    } catch (error) {
      showError(refusal(error));
      return;
    } finally {
      creatingGuest = null;
    }
    showConversation();
    startChat();
  }
  const adjuntos = attachments.described();
  // while the socket is down: waits, and goes once it is back
  delivery.send(conv, page.inbox, text, undefined, { adjuntos });
  if (adjuntos.length) attachments.clear();
  composer.clear();
  input.focus();
});

async function start() {
  tellParent({ soporte: "listo" });
  if (token && expired(token)) keepToken(null); // not even on the config's request
  let config;
  try {
    config = await getJSON(page.urls.config);
  } catch (error) {
    showError(t("No se pudo cargar el chat; inténtalo de nuevo más tarde."));
    return;
  }
  const offline = !(config.horario && config.horario.abierto) || !config.agentes_en_linea;
  // open or closed, and whether anyone is online, before the visitor writes (then followed live)
  if (config.horario) showHoursNotice({ ...config.horario, agentes_en_linea: config.agentes_en_linea });
  const { verified, token: kept } = await fromLoader;
  if (!token && kept && !expired(kept)) token = kept;
  else if (!token && kept) keepToken(null);
  if (token && !verified) await renewIfOld(); // a refused one is forgotten: then as a visitor without one
  if (verified) {
    try {
      const answer = await postPublic(page.urls.identidad, verified);
      keepToken(answer.token, { guest: false });
    } catch (error) {
      keepToken(null);
      showError(error.status === 403 ? t("No hemos podido verificar tu identidad. El chat no está disponible.") : refusal(error));
      return;
    }
    startChat();
  } else if (token) {
    startChat();
  } else if (!config.invitados) {
    showError(t("El chat no está disponible ahora."));
  } else if (config.prechat.length || offline) {
    showPrechat(config.prechat, offline);
  } else {
    // no form: write at once; the first message creates the guest
    showConversation();
    chat.hidden = false;
    input.focus();
  }
}

start();
