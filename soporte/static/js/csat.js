// The reports page's satisfaction table (#inf-valoraciones): per agent and overall, the number
// of ratings, their mean and how many of each score 1 to 5, from GET /api/informes's `valoracion`.
import { el } from "./dom.js";
import { t, locale } from "./i18n.js";

const number = new Intl.NumberFormat(locale);
const mean = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The mean score as people read it ("4,50" / "4.50"), or a dash when there are no ratings. */
export function formatMean(valoracion) {
  return valoracion.media === null ? "—" : mean.format(valoracion.media);
}

function ratingRow(header, valoracion) {
  const tr = el("tr");
  const th = el("th", "", header);
  th.scope = "row";
  tr.append(th, el("td", "text-end", number.format(valoracion.n)), el("td", "text-end", formatMean(valoracion)),
    ...valoracion.distribucion.map((n) => el("td", "text-end", number.format(n))));
  return tr;
}

/** Fill the satisfaction table: agents with at least one rating, then the total. */
export function showSatisfaction(data, agentName) {
  const rows = data.agentes.filter((a) => a.valoracion.n > 0).map((a) => {
    const tr = ratingRow(agentName(a), a.valoracion);
    tr.dataset.agente = a.agente === null ? "" : a.agente;
    return tr;
  });
  if (!rows.length) {
    const td = el("td", "text-body-secondary", t("Ninguna valoración en estos días."));
    td.colSpan = 8;
    rows.push(el("tr"));
    rows[0].append(td);
  }
  document.getElementById("inf-valoraciones").replaceChildren(...rows);
  const total = ratingRow(t("Total"), data.total.valoracion);
  total.className = "fw-semibold";
  document.getElementById("inf-valoraciones-total").replaceChildren(total);
  document.getElementById("inf-total-valoracion").textContent = formatMean(data.total.valoracion);
}
