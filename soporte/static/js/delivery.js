// A conversation's history over REST and its own messages over the socket, for any page that
// shows one (the chat page, the embeddable widget): the latest page, older pages, the catch-up
// after a reconnect, and sending with a cid that the server stores once, however often it is retried.
import { normalize } from "./conversation.js";
import { t } from "./i18n.js";
import { newCid } from "./ids.js";
import { isStale, seenUpTo, showStale } from "./stale.js";
import { SessionExpired } from "./rest.js";
import { isConnected, request } from "./socket.js";

export const PAGE = 100; // messages per history page
const CATCH_UP_PAGE = 500; // the server's largest page

export class Delivery {
  /**
   * box: the ChatBox; getJSON(url): the page's GET (throws SessionExpired on a 401);
   * agent: whether replies carry visto_hasta; onSent(para, text, ack): after each acknowledged message.
   */
  constructor({ box, getJSON, agent = false, onSent = () => {} }) {
    Object.assign(this, { box, getJSON, agent, onSent });
  }

  /** Fetch and show the latest page of a conversation. */
  async loadLatest(conv) {
    conv.setHistoryStatus("loading");
    try {
      const messages = await this.getJSON(conv.url({ limite: PAGE }));
      conv.loaded = true;
      conv.complete = messages.length < PAGE;
      this.box.newer(conv, () => conv.addMany(messages), { own: true });
      conv.setHistoryStatus(conv.complete ? "start" : "more");
      this.box.fillUp();
    } catch (error) {
      if (!(error instanceof SessionExpired)) conv.setHistoryStatus("error", () => this.loadLatest(conv));
    }
  }

  /** Fetch the page before the oldest message shown, keeping the view still. */
  async loadOlder(conv) {
    if (!conv.loaded || conv.complete || conv.loadingOlder || conv.oldestId === null) return;
    conv.loadingOlder = true;
    conv.setHistoryStatus("loading");
    let messages;
    try {
      messages = await this.getJSON(conv.url({ antes: conv.oldestId, limite: PAGE }));
    } catch (error) {
      if (!(error instanceof SessionExpired)) conv.setHistoryStatus("error", () => this.loadOlder(conv));
      return;
    } finally {
      conv.loadingOlder = false;
    }
    conv.complete = messages.length < PAGE;
    this.box.older(conv, () => conv.addMany(messages));
    conv.setHistoryStatus(conv.complete ? "start" : "more");
    this.box.fillUp();
  }

  /** After a reconnect: everything after the newest message shown; returns what was new. */
  async catchUp(conv) {
    const fresh = [];
    let after = conv.newestId;
    for (;;) {
      // nothing shown yet: the latest page is what there is to catch up with
      const params = after === null ? { limite: PAGE } : { despues: after, limite: CATCH_UP_PAGE };
      const messages = await this.getJSON(conv.url(params));
      for (const m of messages) if (this.box.newer(conv, () => conv.add(m))) fresh.push(normalize(m));
      if (after === null || messages.length < CATCH_UP_PAGE) break;
      after = messages[messages.length - 1].id;
    }
    return fresh;
  }

  /**
   * Send (or send again, with the same cid) an own message, and follow its delivery.
   * An agent's reply carries visto_hasta unless it is sent anyway after a stale-reply refusal.
   */
  send(conv, para, text, cid = newCid(), { anyway = false, adjuntos = [] } = {}) {
    const { box } = this;
    box.newer(conv, () => conv.sending(cid, text, { adjuntos }), { own: true });
    if (!isConnected()) {
      conv.waiting(cid, t("Sin conexión: se enviará al volver la conexión"));
      return;
    }
    const payload = { para, mensaje: text, cid };
    if (adjuntos.length) payload.adjuntos = adjuntos.map((a) => a.id);
    if (this.agent && !anyway) payload.visto_hasta = seenUpTo(conv);
    request("mensaje_privado", payload, (err, ack) => {
      if (err && isConnected()) conv.failed(cid, t("El servidor no respondió a tiempo"));
      else if (err) conv.waiting(cid, t("Se cortó la conexión: se enviará al volver la conexión"));
      else if (isStale(ack)) {
        showStale(box, conv, cid, ack, () => this.send(conv, para, text, cid, { anyway: true, adjuntos }));
        this.catchUp(conv).catch(() => {}); // what the server could not list (written on another process)
      }
      // the server's reasons are Spanish (the protocol's); the catalog translates the known ones
      else if (!ack || !ack.ok) conv.failed(cid, (ack && ack.error && t(ack.error)) || t("Mensaje rechazado"));
      else {
        box.newer(conv, () => conv.sent(cid, ack.id, ack.fecha));
        this.onSent(para, text, ack);
      }
    });
  }

  /**
   * The socket is back: send again, with their own cids, the messages that could not go out
   * for want of it (the server stores a cid once, so none is sent twice). Refused ones wait for a click.
   */
  resendWaiting(conversations) {
    for (const conv of conversations) {
      for (const [cid, text, nota, adjuntos] of conv.waitingForConnection()) conv.onRetry(cid, text, nota, adjuntos);
    }
  }
}
