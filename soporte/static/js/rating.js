// The customer rates a resolution (#valoracion): asked by `pedir_valoracion`, or after a
// reload by GET /api/mios/valoracion; sent as `valorar_conversacion` {ciclo, puntuacion,
// comentario}; `valoracion` (this customer's other tab rated) closes the prompt.
import { t } from "./i18n.js";
import { on, request } from "./socket.js";

class RatingPrompt {
  constructor(form, thanks, url, getJSON) {
    Object.assign(this, { form, thanks, url, getJSON });
    this.ciclo = null;
    this.comment = form.querySelector("#valoracion-comentario");
    this.error = form.querySelector("#valoracion-error");
    this.button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
  }

  async check() {
    try {
      const pending = await this.getJSON(this.url);
      if (pending.ciclo) this.ask(pending.ciclo);
      else if (this.ciclo !== null) this.close(false);
    } catch (error) {
      /* the next connect asks again */
    }
  }

  ask(ciclo) {
    if (this.ciclo === ciclo) return;
    this.ciclo = ciclo;
    this.form.reset();
    this.error.hidden = true;
    this.button.disabled = false;
    this.thanks.hidden = true;
    this.form.hidden = false;
  }

  close(thank) {
    this.ciclo = null;
    this.form.hidden = true;
    this.thanks.hidden = !thank;
  }

  send() {
    const chosen = this.form.querySelector("input[name=puntuacion]:checked");
    if (!chosen || this.ciclo === null) {
      this.fail(t("Elige una puntuación del 1 al 5"));
      return;
    }
    const payload = { ciclo: this.ciclo, puntuacion: Number(chosen.value) };
    if (this.comment.value.trim()) payload.comentario = this.comment.value;
    this.button.disabled = true;
    request("valorar_conversacion", payload, (err, ack) => {
      this.button.disabled = false;
      if (err) this.fail(t("No se pudo guardar la valoración; inténtalo de nuevo"));
      else if (ack && ack.ok) this.close(true);
      else if (ack && ack.error === "Ya has valorado esta conversación") this.close(true);
      else this.fail(t((ack && ack.error) || "Error interno del servidor"));
    });
  }

  fail(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}

/** Start the prompt on a customer's page. */
export function startRating({ page, getJSON }) {
  const form = document.getElementById("valoracion");
  if (!form || !page.urls.valoracion) return null;
  const prompt = new RatingPrompt(form, document.getElementById("valoracion-gracias"), page.urls.valoracion, getJSON);
  on("connect", () => prompt.check());
  on("pedir_valoracion", (data) => prompt.ask(data.ciclo));
  on("valoracion", (data) => {
    if (data.ciclo === prompt.ciclo) prompt.close(true);
  });
  return prompt;
}
