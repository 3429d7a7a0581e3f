// Who owns the open conversation, in its header: "Tomar" (take it), a menu to give it to
// another agent or back to the pool, and the assignee's name; changes by anyone follow live.
import { t } from "./i18n.js";
import { nameOf } from "./names.js";
import { request } from "./socket.js";

export class AssignmentControl {
  /** triage: the list's rows (who is assigned where); agents: {username: display name}; me: this agent. */
  constructor({ triage, agents, me }) {
    this.triage = triage;
    this.me = me;
    this.box = document.getElementById("asignacion");
    this.owner = document.getElementById("asignado-a");
    this.take = document.getElementById("tomar");
    this.menu = document.getElementById("asignar-a");
    this.error = document.getElementById("asignar-error");
    this.active = null;
    this.menu.append(new Option(t("Sin asignar"), ""));
    for (const [user, nombre] of Object.entries(agents).sort((a, b) => a[1].localeCompare(b[1]))) {
      this.menu.append(new Option(user === me ? t("{name} (tú)", { name: nombre }) : nombre, user));
    }
    this.take.addEventListener("click", () => this.assign(this.me));
    this.menu.addEventListener("change", () => this.assign(this.menu.value || null));
    triage.listeners.push((name) => {
      if (name === this.active) this.show();
    });
  }

  /** The conversation on screen changed. */
  opened(name) {
    this.active = name;
    this.error.hidden = true;
    this.show();
  }

  show() {
    const asignado = this.triage.row(this.active).asignado;
    this.box.hidden = !this.active;
    this.owner.textContent = !asignado ? t("Sin asignar")
      : asignado === this.me ? t("Asignada a ti") : t("Asignada a {name}", { name: nameOf(asignado) });
    this.take.hidden = asignado === this.me;
    this.take.disabled = false;
    this.menu.disabled = false;
    this.menu.value = asignado || "";
  }

  /** Give the open conversation to an agent (null: back to the pool), from the assignee this page shows. */
  assign(agente) {
    const name = this.active;
    const antes = this.triage.row(name).asignado;
    if (!name || agente === antes) return;
    this.take.disabled = this.menu.disabled = true;
    this.error.hidden = true;
    request("asignar_conversacion", { con: name, agente, antes }, (err, ack) => {
      if (!err && ack && ack.ok) this.triage.update(name, { asignado: ack.asignado });
      else {
        if (ack && "asignado" in ack) this.triage.update(name, { asignado: ack.asignado }); // someone was quicker
        this.error.textContent = (ack && ack.error && t(ack.error)) || t("No se pudo asignar; inténtalo de nuevo");
        this.error.hidden = false;
      }
      if (name === this.active) this.show();
    });
  }
}
