"""GET /api/informes: the supervisors' report (soporte/ops/reports.py) as JSON or as a CSV download."""
import csv
import io

from flask import Response, jsonify, request

from soporte.inbox.api import bp
from soporte.inbox.export import spreadsheet_safe
from soporte.inbox.params import BadParameter
from soporte.ops import reports
from soporte.web.auth import supervisor_required

CSV_HEADER = ("fila", "dia", "agente", "nombre", "abiertas", "resueltas",
              "primera_respuesta_n", "primera_respuesta_mediana_s", "primera_respuesta_p90_s",
              "resolucion_n", "resolucion_mediana_s", "resolucion_p90_s",
              "valoracion_n", "valoracion_media", "valoracion_1", "valoracion_2", "valoracion_3", "valoracion_4",
              "valoracion_5")


@bp.route("/informes")
@supervisor_required
def informes():
    """The report over a range of days in a time zone (supervisors only): JSON, or CSV with formato=csv."""
    formato = request.args.get("formato", "json")
    if formato not in ("json", "csv"):
        raise BadParameter("formato debe ser csv o json")
    try:
        rango = reports.parse_range(request.args.get("desde"), request.args.get("hasta"), request.args.get("zona"))
    except reports.BadRange as error:
        raise BadParameter(str(error)) from None
    body = reports.figures(rango)
    if formato == "json":
        response = jsonify(body)
    else:
        response = Response(csv_text(body), content_type="text/csv; charset=utf-8")
        name = f"informe-{rango.desde:%Y%m%d}-{rango.hasta:%Y%m%d}.csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"  # figures of the team: not for shared caches
    return response


def csv_row(fila, dia, agente, nombre, figures):
    """One CSV line: what it is, then the figures as plain numbers (seconds; empty when there are none)."""
    fr, res, val = figures["primera_respuesta"], figures["resolucion"], figures["valoracion"]
    return (fila, dia, spreadsheet_safe(agente or ""), spreadsheet_safe(nombre or ""),
            figures["abiertas"], figures["resueltas"],
            fr["n"], blank(fr["mediana"]), blank(fr["p90"]), res["n"], blank(res["mediana"]), blank(res["p90"]),
            val["n"], blank(val["media"]), *val["distribucion"])


def blank(value):
    """None as an empty cell, numbers as they are (never localized: 1234, not 1.234)."""
    return "" if value is None else value


def csv_text(body):
    """The report as CSV: a BOM (spreadsheets then read UTF-8), the header, one line per day, per agent, the total.

    Day lines have no agent (every agent); agent lines have no day (the whole range); a
    `fila=agente` line with an empty agente counts the cycles that had none.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for day in body["dias"]:
        writer.writerow(csv_row("dia", day["dia"], "", "", day))
    for agent in body["agentes"]:
        writer.writerow(csv_row("agente", "", agent["agente"], agent["nombre"], agent))
    writer.writerow(csv_row("total", "", "", "", body["total"]))
    return buffer.getvalue()
