"""Transcript export: a whole conversation as a CSV or JSON download, streamed page by page."""
import csv
import io
import itertools
import json
import re
from datetime import datetime, timezone

from flask import Response, request, stream_with_context
from sqlalchemy import select

from soporte.accounts.display_names import with_author_names
from soporte.extensions import db
from soporte.inbox.api import bp
from soporte.inbox.params import BadParameter, con_param
from soporte.models import Mensaje, iso_utc, message_json
from soporte.relay import pending
from soporte.web.auth import admin_required

CHUNK = 1000  # rows per query and per piece of the response: memory stays flat for any length
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CSV_HEADER = ("fecha", "de", "para", "mensaje", "id")
# a spreadsheet runs a cell that starts with one of these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (Mensaje.id, Mensaje.de_usuario, Mensaje.para_usuario, Mensaje.mensaje, Mensaje.fecha)


@bp.route("/mensajes/exportar")
@admin_required
def exportar():
    """Download one customer's whole conversation, oldest first, as CSV or JSON (agents only)."""
    con = con_param()
    formato = request.args.get("formato", "csv")
    if formato not in FORMATS:
        raise BadParameter("formato debe ser csv o json")
    now = datetime.now(timezone.utc)
    rows = transcript(con)
    first = next(rows, None)  # the first query runs here: a database failure is still a JSON 500
    rows = itertools.chain([first] if first else [], rows)
    body = csv_body(rows) if formato == "csv" else json_body(con, now, rows)
    response = Response(stream_with_context(body), content_type=FORMATS[formato])
    name = f"conversacion-{re.sub(r'[^A-Za-z0-9._-]', '_', con)}-{now:%Y%m%d}.{formato}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def transcript(con):
    """Every message of a conversation as protocol objects, in id order, each once.

    Stored rows come a page at a time (by id, so no offset scans); the writer's
    pending rows, taken when the export starts, are merged in where their ids fall,
    which is at the end unless the writer stores them meanwhile.
    """
    unstored = pending.unstored(con)
    for row in pending.interleave(stored_rows(con), unstored):
        yield message_json(row)


def stored_rows(con):
    """Every stored message of a conversation in id order, read a page at a time."""
    cursor = -1
    while True:
        page = db.session.execute(select(*COLUMNS).where(Mensaje.conversacion == con, Mensaje.id > cursor)
                                  .order_by(Mensaje.id).limit(CHUNK)).all()
        db.session.commit()  # no snapshot held open while a slow client downloads
        yield from page
        if len(page) < CHUNK:
            break
        cursor = page[-1].id


def spreadsheet_safe(value):
    """A text cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_body(messages):
    """The CSV file in pieces: a BOM (so spreadsheets read UTF-8), the header, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes around commas, quotes and line breaks
    buffer.write("\ufeff")
    writer.writerow(CSV_HEADER)
    for batch in batched(messages):
        for m in batch:
            writer.writerow((m["fecha"], spreadsheet_safe(m["de_usuario"]),
                             spreadsheet_safe(m["para_usuario"]), spreadsheet_safe(m["mensaje"]), m["id"]))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows at all: the BOM and the header are still to go
        yield buffer.getvalue()


def json_body(con, now, messages):
    """The JSON document in pieces: {"conversacion", "exportado", "mensajes": [...]}."""
    head = {"conversacion": con, "exportado": iso_utc(now.replace(tzinfo=None))}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "mensajes": ['
    separator = ""
    for batch in batched(messages):
        pieces = []
        for m in with_author_names(batch):  # as in REST; one lookup per batch
            pieces.append(separator + json.dumps(m, ensure_ascii=False))
            separator = ", "
        yield "".join(pieces)
    yield "]}"


def batched(items):
    """Lists of up to CHUNK items (itertools.batched arrived in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, CHUNK)):
        yield batch
