// The customer's notice of when support normally answers (#horario-aviso): open with an agent
// online, "Solemos responder en unos minutos"; outside business hours, when support opens again
// (in the page's language and the business time zone) and that the answer also comes by email.
// GET /api/horario/estado on each connect and again at the next change it names.
import { t, locale } from "./i18n.js";
import { on } from "./socket.js";

const LONGEST_WAIT = 6 * 3600 * 1000; // ask again at least this often (a new schedule, a sleeping laptop)
const DAY = 24 * 3600 * 1000;

/** The local date (YYYY-MM-DD) of an instant in a time zone. */
function dayIn(instant, zone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(instant);
}

/** "hoy a las 9:00", "mañana a las 9:00", "el lunes a las 9:00", "el 24 de diciembre a las 9:00". */
export function whenOpens(opening, zone, now = new Date()) {
  const hora = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: "numeric", minute: "2-digit" }).format(opening);
  const day = dayIn(opening, zone);
  if (day === dayIn(now, zone)) return t("hoy a las {hora}", { hora });
  if (day === dayIn(new Date(now.getTime() + DAY), zone)) return t("mañana a las {hora}", { hora });
  if (opening - now < 6 * DAY) {
    const dia = new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: "long" }).format(opening);
    return t("el {dia} a las {hora}", { dia, hora });
  }
  const fecha = new Intl.DateTimeFormat(locale, { timeZone: zone, day: "numeric", month: "long" }).format(opening);
  return t("el {fecha} a las {hora}", { fecha, hora });
}

class HoursNotice {
  constructor(box, url, getJSON) {
    Object.assign(this, { box, url, getJSON });
    this.state = null;
    this.timer = null;
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      this.state = await this.getJSON(this.url);
    } catch (error) {
      this.box.hidden = true;
      return;
    }
    this.show();
    const next = this.state.abierto ? this.state.proximo_cierre : this.state.proxima_apertura;
    const wait = next ? Math.max(1000, Date.parse(next) - Date.now() + 1000) : LONGEST_WAIT;
    this.timer = setTimeout(() => this.refresh(), Math.min(wait, LONGEST_WAIT));
  }

  /** Support came online or went (soporte_en_linea): the notice follows without a request. */
  online(enLinea) {
    if (!this.state) return;
    this.state.agentes_en_linea = enLinea;
    this.show();
  }

  show() {
    const s = this.state;
    this.box.dataset.abierto = String(s.abierto);
    this.box.classList.toggle("text-bg-light", s.abierto);
    this.box.classList.toggle("text-bg-warning", !s.abierto);
    if (s.abierto && s.agentes_en_linea) {
      this.box.textContent = t("Solemos responder en unos minutos");
    } else if (s.abierto) {
      this.box.textContent = t("Ahora no hay nadie conectado: te responderemos en cuanto podamos, también por email.");
    } else if (s.proxima_apertura) {
      const cuando = whenOpens(new Date(s.proxima_apertura), s.zona);
      this.box.textContent = `${t("Volvemos {cuando}.", { cuando })} ${t("Te enviaremos la respuesta por email.")}`;
    } else {
      this.box.textContent = t("Ahora estamos cerrados. Te enviaremos la respuesta por email.");
    }
    this.box.hidden = false;
  }
}

/** Show the notice once from a state already known (the widget's config, before the visitor has a login). */
export function showHoursNotice(state) {
  const box = document.getElementById("horario-aviso");
  if (!box || !state) return;
  const notice = new HoursNotice(box, null, null);
  notice.state = state;
  notice.show();
}

/** Start the notice on a customer's page. */
export function startHoursNotice({ page, getJSON }) {
  const box = document.getElementById("horario-aviso");
  if (!box || !page.urls.horario) return null;
  const notice = new HoursNotice(box, page.urls.horario, getJSON);
  on("connect", () => notice.refresh());
  on("soporte_en_linea", (data) => notice.online(Boolean(data.en_linea)));
  return notice;
}
