// The server's dates (fecha, ISO 8601 in UTC) read and shown in the page's language.
import { locale } from "./i18n.js";

/** The server's fecha (ISO 8601, UTC) as a Date, or null. */
export function parseFecha(fecha) {
  // microseconds: Date.parse only promises milliseconds; no zone: the protocol's UTC
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?\d*(Z|[+-]\d{2}:?\d{2})?$/.exec(fecha || "");
  const date = new Date(m ? m[1] + (m[2] || "") + (m[3] || "Z") : fecha);
  return Number.isNaN(date.getTime()) ? null : date;
}

// Spanish: DD/MM/YYYY HH:MM, as it always was; English: "25 Nov 2026, 14:05" (en-GB with the
// month's name, which no English reader can take for MM/DD). Intl gives each part in the locale.
const DATE_FORMAT = {
  "es-ES": { date: { day: "2-digit", month: "2-digit", year: "numeric" }, glue: " " },
  "en-GB": { date: { day: "numeric", month: "short", year: "numeric" }, glue: ", " },
}[locale] || { date: { day: "2-digit", month: "2-digit", year: "numeric" }, glue: " " };
const dateOnly = new Intl.DateTimeFormat(locale, DATE_FORMAT.date);
const timeOnly = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** A message's date and time in the browser's local time, in the page's language. */
export function formatFecha(fecha) {
  const d = parseFecha(fecha);
  if (!d) return "";
  return dateOnly.format(d) + DATE_FORMAT.glue + timeOnly.format(d);
}

/** A list's short date: the time for today, else the date (the full date and time in `title`). */
export function formatShort(fecha, now = new Date()) {
  const d = parseFecha(fecha);
  if (!d) return "";
  return d.toDateString() === now.toDateString() ? timeOnly.format(d) : dateOnly.format(d);
}
