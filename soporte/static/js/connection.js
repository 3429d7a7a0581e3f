// The header's badge that says whether the socket is up: the chat page's and the widget's.
import { t } from "./i18n.js";

const STATES = {
  connecting: [t("Conectando…"), "text-bg-secondary"],
  connected: [t("Conectado"), "text-bg-success"],
  reconnecting: [t("Reconectando…"), "text-bg-warning"],
  expired: [t("Sesión caducada"), "text-bg-danger"],
};

export class ConnectionBadge {
  /** badge: the element; quiet: hidden while connected (the widget); onState(state): after each change. */
  constructor(badge, { quiet = false, onState = () => {} } = {}) {
    Object.assign(this, { badge, quiet, onState });
  }

  /** Show a state; "expired" stays, as nothing but a new login (or a new visit) helps. */
  set(state) {
    if (this.badge.dataset.state === "expired") return;
    const [text, color] = STATES[state];
    this.badge.dataset.state = state;
    this.badge.textContent = text;
    this.badge.className = `badge ${color}`;
    this.badge.hidden = this.quiet && state === "connected";
    this.onState(state);
  }
}
