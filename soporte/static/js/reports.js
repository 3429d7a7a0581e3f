// The reports page: the chosen days' figures from /api/informes as charts (Chart.js, vendored) and tables.
// Days are the browser's calendar days: its time zone goes with every request as an IANA name.
import { el } from "./dom.js";
import { formatDuration } from "./durations.js";
import { locale, t } from "./i18n.js"; // which loads the page's catalog first
import { showSatisfaction } from "./csat.js";

const root = document.getElementById("informes");
const form = document.getElementById("inf-rango");
const desde = document.getElementById("inf-desde");
const hasta = document.getElementById("inf-hasta");
const csvLink = document.getElementById("inf-csv");
const status = document.getElementById("inf-estado");
const result = document.getElementById("inf-resultado");
const zone = browserZone();
const DEFAULT_DAYS = 30;
const number = new Intl.NumberFormat(locale);
// a report's day is a calendar day, not an instant: shown from UTC midnight in UTC, it never moves
const dayLong = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const dayShort = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
const COLORS = { abiertas: "#0d6efd", resueltas: "#198754", mediana: "#6f42c1", p90: "#d63384" };
const charts = {};
window.Chart.defaults.font.size = 13;
window.Chart.defaults.color = "#495057"; // Bootstrap's secondary text: readable on white

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (error) {
    return "UTC";
  }
}

/** A Date's local calendar day as YYYY-MM-DD (what <input type="date"> holds). */
function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function asDate(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

/** The days in the address (?desde=&hasta=), else the last DEFAULT_DAYS days up to today. */
function initialRange() {
  const params = new URLSearchParams(window.location.search);
  const today = new Date();
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (DEFAULT_DAYS - 1));
  desde.value = params.get("desde") || isoDay(first);
  hasta.value = params.get("hasta") || isoDay(today);
}

function query(extra = {}) {
  return new URLSearchParams({ desde: desde.value, hasta: hasta.value, zona: zone, ...extra }).toString();
}

function count(value) {
  return number.format(value);
}

/** A table cell with a time; an empty one says so to screen readers and shows a dash. */
function timeCell(seconds) {
  const td = el("td", "text-end");
  td.dataset.segundos = seconds === null ? "" : String(seconds);
  if (seconds === null) {
    td.append(el("span", "", "—"), el("span", "visually-hidden", t("sin datos")));
    td.firstChild.setAttribute("aria-hidden", "true");
  } else {
    td.textContent = formatDuration(seconds);
  }
  return td;
}

function figureCells(f) {
  return [el("td", "text-end", count(f.abiertas)), el("td", "text-end", count(f.resueltas)),
    timeCell(f.primera_respuesta.mediana), timeCell(f.primera_respuesta.p90),
    timeCell(f.resolucion.mediana), timeCell(f.resolucion.p90)];
}

function row(header, figures) {
  const tr = el("tr");
  const th = el("th", "", header);
  th.scope = "row";
  tr.append(th, ...figureCells(figures));
  return tr;
}

function agentName(agent) {
  return agent.agente === null ? t("Sin agente") : (agent.nombre || agent.agente);
}

/** A name short enough for a chart's axis. */
function shortened(name, most = 20) {
  const chars = Array.from(name); // by character, not UTF-16 unit: no emoji cut in half
  return chars.length > most ? `${chars.slice(0, most - 1).join("")}…` : name;
}

function tables(data) {
  const agents = data.agentes.map((a) => {
    const tr = row(agentName(a), a);
    tr.dataset.agente = a.agente === null ? "" : a.agente;
    return tr;
  });
  if (!agents.length) {
    const td = el("td", "text-body-secondary", t("Ninguna conversación en estos días."));
    td.colSpan = 7;
    agents.push(el("tr"));
    agents[0].append(td);
  }
  document.getElementById("inf-agentes").replaceChildren(...agents);
  const days = data.dias.map((d) => {
    const tr = row(dayLong.format(asDate(d.dia)), d);
    tr.dataset.dia = d.dia;
    return tr;
  });
  document.getElementById("inf-dias").replaceChildren(...days);
  for (const id of ["inf-agentes-total", "inf-dias-total"]) {
    const total = row(t("Total"), data.total);
    total.className = "fw-semibold";
    document.getElementById(id).replaceChildren(total);
  }
}

function totals(f) {
  const set = (id, text) => { document.getElementById(id).textContent = text; };
  const time = (s) => (s === null ? "—" : formatDuration(s));
  set("inf-total-abiertas", count(f.abiertas));
  set("inf-total-resueltas", count(f.resueltas));
  set("inf-total-pr-mediana", time(f.primera_respuesta.mediana));
  set("inf-total-pr-p90", time(f.primera_respuesta.p90));
  set("inf-total-res-mediana", time(f.resolucion.mediana));
  set("inf-total-res-p90", time(f.resolucion.p90));
}

/** Draw one chart on its canvas (replacing the last one), with a summary as its text alternative. */
function draw(id, config, summary) {
  charts[id]?.destroy();
  const canvas = document.getElementById(id);
  canvas.setAttribute("aria-label", summary);
  const { plugins = {}, ...options } = config.options || {};
  charts[id] = new window.Chart(canvas, {
    ...config,
    options: {
      animation: false, // the figures are there at once (and a screenshot shows them)
      responsive: true,
      maintainAspectRatio: false,
      locale,
      ...options,
      plugins: { legend: { position: "bottom" }, ...plugins },
    },
  });
}

function countsChart(data) {
  const labels = data.dias.map((d) => dayShort.format(asDate(d.dia)));
  draw("inf-grafico-dias", {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: t("Nuevas"), data: data.dias.map((d) => d.abiertas), backgroundColor: COLORS.abiertas, maxBarThickness: 48 },
        { label: t("Resueltas"), data: data.dias.map((d) => d.resueltas), backgroundColor: COLORS.resueltas, maxBarThickness: 48 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, t("Conversaciones por día, del {desde} al {hasta}: {abiertas} nuevas y {resueltas} resueltas en total. Cada día está en la tabla «Por día».", {
    desde: dayLong.format(asDate(data.desde)), hasta: dayLong.format(asDate(data.hasta)),
    abiertas: count(data.total.abiertas), resueltas: count(data.total.resueltas),
  }));
}

function agentsChart(data) {
  const agents = data.agentes.filter((a) => a.resueltas > 0);
  const list = agents.map((a) => `${agentName(a)}: ${count(a.resueltas)}`).join(", ");
  draw("inf-grafico-agentes", {
    type: "bar",
    data: {
      labels: agents.map((a) => shortened(agentName(a))), // the whole name is in the table and the summary
      datasets: [{ label: t("Resueltas"), data: agents.map((a) => a.resueltas), backgroundColor: COLORS.resueltas, maxBarThickness: 32 }],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  }, agents.length ? t("Resueltas por agente: {lista}.", { lista: list }) : t("Ninguna conversación resuelta en estos días."));
}

/** A time chart per day (median and p90), in minutes or, for long times, hours; tooltips say it in words. */
function timeChart(id, data, key, title) {
  const medians = data.dias.map((d) => d[key].mediana);
  const p90s = data.dias.map((d) => d[key].p90);
  const longest = Math.max(0, ...p90s.filter((s) => s !== null));
  const [unit, unitName] = longest >= 3 * 3600 ? [3600, t("horas")] : [60, t("minutos")];
  const scaled = (values) => values.map((s) => (s === null ? null : s / unit));
  const line = (label, values, color, dash) => ({
    label, data: scaled(values), seconds: values, borderColor: color, backgroundColor: color,
    borderDash: dash, borderWidth: 2, pointRadius: 3, spanGaps: false,
  });
  const overall = data.total[key];
  draw(id, {
    type: "line",
    data: {
      labels: data.dias.map((d) => dayShort.format(asDate(d.dia))),
      datasets: [line(t("Mediana"), medians, COLORS.mediana, []), line(t("Percentil 90"), p90s, COLORS.p90, [6, 4])],
    },
    options: {
      scales: { x: { offset: true }, y: { beginAtZero: true, title: { display: true, text: unitName } } },
      plugins: {
        legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line" } }, // dashed p90 in the key too
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${formatDuration(item.dataset.seconds[item.dataIndex])}`,
          },
        },
      },
    },
  }, overall.n
    ? t("{titulo}: mediana {mediana} y percentil 90 {p90} en todo el intervalo ({n} conversaciones). Cada día está en la tabla «Por día».", {
      titulo: title, mediana: formatDuration(overall.mediana), p90: formatDuration(overall.p90), n: count(overall.n),
    })
    : t("{titulo}: sin datos en estos días.", { titulo: title }));
}

function render(data) {
  totals(data.total);
  tables(data);
  showSatisfaction(data, agentName);
  result.hidden = false; // before drawing: a chart sizes itself to its visible box
  countsChart(data);
  agentsChart(data);
  timeChart("inf-grafico-primera", data, "primera_respuesta", t("Tiempo de primera respuesta por día"));
  timeChart("inf-grafico-resolucion", data, "resolucion", t("Tiempo de resolución por día"));
}

async function load() {
  csvLink.href = `${root.dataset.url}?${query({ formato: "csv" })}`;
  status.className = "small text-body-secondary";
  status.textContent = t("Cargando el informe…");
  try {
    const response = await fetch(`${root.dataset.url}?${query()}`, { headers: { Accept: "application/json" }, cache: "no-store" });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      throw new Error(t("La sesión ha terminado; vuelve a iniciar sesión."));
    }
    if (!response.ok) throw new Error(body.error ? t(body.error) : t("No se pudo leer el informe; inténtalo de nuevo."));
    render(body);
    status.textContent = t("Días del {desde} al {hasta}, en la zona horaria {zona}.", {
      desde: dayLong.format(asDate(body.desde)), hasta: dayLong.format(asDate(body.hasta)), zona: body.zona,
    });
    status.dataset.state = "ok";
  } catch (error) {
    result.hidden = true;
    status.className = "small text-danger";
    status.textContent = error instanceof TypeError ? t("No se pudo leer el informe; inténtalo de nuevo.") : error.message;
    status.dataset.state = "error";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  // the address keeps the range: a reload or a shared link shows the same days
  window.history.replaceState(null, "", `?${new URLSearchParams({ desde: desde.value, hasta: hasta.value })}`);
  load();
});

document.getElementById("inf-zona").textContent = t("Los días son los de tu zona horaria: {zona}.", { zona: zone });
initialRange();
load();
