// The operations page: this process's figures from /api/operaciones, refreshed every few seconds.
import { formatFecha } from "./dates.js";
import { el } from "./dom.js";
import { locale, t } from "./i18n.js"; // which loads the page's catalog first

const root = document.getElementById("operaciones");
const url = root.dataset.url;
const every = Number(root.dataset.refreshMs) || 5000;
const timeOnly = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const number = new Intl.NumberFormat(locale);

function show(id, value) {
  document.getElementById(id).textContent = typeof value === "number" ? number.format(value) : String(value);
}

function nodeName(nodo) {
  // null while the process holds no node lease (Redis away)
  return nodo === null || nodo === undefined ? t("sin nodo") : String(nodo);
}

function rooms(salas) {
  const rows = salas.map((sala) => {
    const tr = el("tr");
    tr.dataset.sala = sala.sala;
    const [salas, sockets] = [el("td", "", number.format(sala.salas)), el("td", "", number.format(sala.sockets))];
    salas.className = sockets.className = "text-end";
    tr.append(el("td", "", sala.sala), salas, sockets);
    return tr;
  });
  if (!rows.length) {
    const td = el("td", "", t("Ninguna sala: no hay nadie conectado a este proceso."));
    td.colSpan = 3;
    td.className = "text-body-secondary";
    rows.push(el("tr"));
    rows[0].append(td);
  }
  document.getElementById("ops-salas").replaceChildren(...rows);
}

function minutes(counts) {
  const top = Math.max(1, ...counts);
  // newest first: what is happening now is what an operator looks for
  const rows = counts.map((count, i) => {
    const ago = counts.length - 1 - i;
    const tr = el("tr");
    tr.dataset.minuto = String(ago);
    const bar = el("progress");
    bar.max = top;
    bar.value = count;
    bar.className = "ops-barra";
    bar.setAttribute("aria-hidden", "true");
    const cell = el("td");
    cell.className = "ops-barra-celda";
    cell.append(bar);
    const figure = el("td", "", number.format(count));
    figure.className = "text-end";
    tr.append(el("td", "", ago === 0 ? t("este minuto") : t("hace {n} min", { n: ago })), figure, cell);
    return tr;
  });
  document.getElementById("ops-minutos").replaceChildren(...rows.reverse());
}

/** Every process sharing Redis, one line each (only with Redis: the section stays hidden otherwise). */
function processes(list) {
  const section = document.getElementById("ops-procesos-seccion");
  section.hidden = !Array.isArray(list);
  if (!Array.isArray(list)) return;
  const rows = list.map((p) => {
    const tr = el("tr");
    tr.dataset.proceso = `${p.proceso.host}:${p.proceso.pid}`;
    const cells = [p.sockets, p.usuarios_conectados, p.agentes_conectados, p.escritor.pendientes,
      p.escritor.spool_segmentos, p.mensajes_por_minuto[p.mensajes_por_minuto.length - 1]].map((n) => {
      const td = el("td", "", number.format(n));
      td.className = "text-end";
      return td;
    });
    const seen = new Date(p.publicado);
    tr.append(el("td", "", nodeName(p.nodo)), el("td", "", `${p.proceso.host} (pid ${p.proceso.pid})`), ...cells,
      el("td", "", Number.isNaN(seen.getTime()) ? "" : timeOnly.format(seen)));
    return tr;
  });
  document.getElementById("ops-procesos").replaceChildren(...rows);
}

function render(data) {
  show("ops-nodo", nodeName(data.nodo));
  show("ops-host", `${data.proceso.host} (pid ${data.proceso.pid})${data.cola_redis ? " · Redis" : ""}`);
  show("ops-sockets", data.sockets);
  show("ops-usuarios", data.usuarios_conectados);
  show("ops-agentes", data.agentes_conectados);
  show("ops-pendientes", data.escritor.pendientes);
  show("ops-spool", data.escritor.spool_segmentos);
  show("ops-almacenados", data.escritor.almacenados);
  show("ops-fallos", data.escritor.fallos);
  if (data.correo) {
    show("ops-correo-pendientes", data.correo.pendientes);
    show("ops-correo-fallidos", data.correo.fallidos);
    show("ops-correo-error", data.correo.ultimo_error || "—");
  }
  const arranque = document.getElementById("ops-arranque");
  arranque.dateTime = data.arranque;
  arranque.textContent = formatFecha(data.arranque); // the browser's time zone, like the chat's dates
  rooms(data.salas);
  minutes(data.mensajes_por_minuto);
  processes(data.procesos);
}

async function refresh() {
  const status = document.getElementById("ops-actualizado");
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      status.textContent = t("La sesión ha terminado; vuelve a iniciar sesión.");
      return; // no point in asking again
    }
    if (!response.ok) throw new Error(String(response.status));
    render(await response.json());
    status.textContent = t("Actualizado a las {hora}.", { hora: timeOnly.format(new Date()) });
    status.dataset.state = "ok";
  } catch (error) {
    status.textContent = t("No se pudieron leer las cifras; se reintentará.");
    status.dataset.state = "error";
  }
  setTimeout(refresh, every);
}

refresh();
