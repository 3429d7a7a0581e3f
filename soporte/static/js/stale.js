// Stale replies: an agent's reply says how far the agent has seen the conversation
// (visto_hasta); when someone wrote after that, the server refuses it, the page shows
// what is new and offers to send the same reply anyway.
import { el } from "./dom.js";
import { t } from "./i18n.js";

/** The newest message id this conversation shows (notes aside), for visto_hasta (undefined: none yet). */
export function seenUpTo(conv) {
  return conv.newestMessageId === null ? undefined : Number(conv.newestMessageId);
}

/** Whether an acknowledgement is the server's stale-reply refusal. */
export function isStale(ack) {
  return Boolean(ack && ack.ok === false && Array.isArray(ack.nuevos));
}

/**
 * Show a stale-reply refusal: the new messages in the conversation (marked), and on the
 * refused reply a notice with "Enviar de todos modos", which calls sendAnyway().
 */
export function showStale(box, conv, cid, ack, sendAnyway) {
  box.newer(conv, () => conv.addMany(ack.nuevos));
  for (const m of ack.nuevos) conv.byId.get(String(m.id))?.classList.add("msg-nuevo");
  conv.failed(cid, t("Hay mensajes nuevos: revísalos antes de responder"));
  const pending = conv.pending.get(cid);
  if (!pending) return;
  const { li } = pending;
  li.dataset.state = "stale";
  li.querySelector(".msg-retry")?.remove(); // the choice is below: send it as it is, or not
  const notice = li.querySelector(".msg-error");
  notice.setAttribute("role", "alert");
  const button = el("button", "btn btn-warning btn-sm d-block mt-1 msg-send-anyway", t("Enviar de todos modos"));
  button.type = "button";
  button.addEventListener("click", () => {
    for (const m of conv.list.querySelectorAll(".msg-nuevo")) m.classList.remove("msg-nuevo");
    sendAnyway();
  });
  notice.append(button);
}
