// How an agent hears of new messages: a beep and a desktop notification, each switchable
// and remembered per agent (GET/PUT /api/preferencias). The title's count is reading.js's.
import { t } from "./i18n.js";
import { nameOf } from "./names.js";
import { previewText } from "./attachments.js";

const BEEP_HZ = 880;
const BEEP_SECONDS = 0.18;
const PREVIEW = 140; // characters of the message in a desktop notification

export class Notifier {
  /** sound, desktop: the header's switches; url: /api/preferencias; csrf: the page's token. */
  constructor({ sound, desktop, url, csrf, getJSON }) {
    Object.assign(this, { sound, desktop, url, csrf, getJSON });
    this.audio = null; // created in a user gesture only (browsers' autoplay rules)
    sound.addEventListener("change", () => this.soundChanged());
    desktop.addEventListener("change", () => this.desktopChanged());
    // any click or key on the page may wake the audio, so a later beep can play
    const wake = () => this.sound.checked && this.wakeAudio();
    document.addEventListener("pointerdown", wake, { capture: true });
    document.addEventListener("keydown", wake, { capture: true });
    if (!("Notification" in window)) {
      desktop.title = t("Este navegador no tiene avisos de escritorio");
    }
  }

  async load() {
    const prefs = await this.getJSON(this.url);
    this.sound.checked = prefs.sonido;
    this.desktop.checked = prefs.escritorio && "Notification" in window;
    this.sound.disabled = false;
    this.desktop.disabled = !("Notification" in window);
  }

  /** PUT some switches; on failure the switch goes back to what is stored. */
  async save(changes, input) {
    input.disabled = true;
    try {
      const response = await fetch(this.url, {
        method: "PUT",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
        body: JSON.stringify(changes),
      });
      if (!response.ok) throw new Error(String(response.status));
    } catch (error) {
      input.checked = !input.checked;
      input.title = t("No se pudo guardar la preferencia");
    } finally {
      input.disabled = false;
    }
  }

  soundChanged() {
    if (this.sound.checked) {
      this.wakeAudio(); // the click on the switch is the gesture that allows audio
      this.beep();
    }
    this.save({ sonido: this.sound.checked }, this.sound);
  }

  async desktopChanged() {
    if (this.desktop.checked && Notification.permission !== "granted") {
      // asked on the agent's own click, as browsers require
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        this.desktop.checked = false;
        this.desktop.title = t("El navegador no permite avisos de escritorio en esta página");
        return;
      }
    }
    this.save({ escritorio: this.desktop.checked }, this.desktop);
  }

  wakeAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!this.audio) this.audio = new Context();
    if (this.audio.state === "suspended") this.audio.resume().catch(() => {});
  }

  beep() {
    if (!this.audio || this.audio.state !== "running") return; // no gesture yet: silence
    const now = this.audio.currentTime;
    const oscillator = this.audio.createOscillator();
    const gain = this.audio.createGain();
    oscillator.frequency.value = BEEP_HZ;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + BEEP_SECONDS);
    oscillator.connect(gain).connect(this.audio.destination);
    oscillator.start(now);
    oscillator.stop(now + BEEP_SECONDS);
  }

  /** A new unread message from a customer: beep, and a desktop notification if the tab is hidden. */
  notify(name, message) {
    if (this.sound.checked) this.beep();
    if (this.desktop.checked && document.hidden && "Notification" in window
        && Notification.permission === "granted") {
      const text = previewText(message.mensaje);
      const notification = new Notification(t("Mensaje de {name}", { name: nameOf(name) }), {
        body: text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text,
        tag: `soporte-${name}`, // the agent's tabs show one notification per conversation, not one each
      });
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    }
  }
}
