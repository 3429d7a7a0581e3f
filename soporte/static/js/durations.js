// Lengths of time as people say them: "45 s", "4 min", "1 h 20 min", "2 d 3 h", in the page's language.
import { t } from "./i18n.js";

/** A duration in seconds, rounded to its two largest units; "" for null. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t("{n} s", { n: s });
  const minutes = Math.round(s / 60);
  if (minutes < 60) return t("{n} min", { n: minutes });
  if (minutes < 1440) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m ? t("{h} h {m} min", { h, m }) : t("{h} h", { h });
  }
  const hours = Math.round(s / 3600);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? t("{d} d {h} h", { d, h }) : t("{d} d", { d });
}
