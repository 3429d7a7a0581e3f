"""Transcript export: a whole conversation as a CSV or JSON download, streamed page by page.

A transcript is what may be handed to the customer: the agents' private notes are in it
only when asked for (notas=1), each marked as a note (the CSV's `nota` column, JSON's
`"nota": true`).
"""
import csv
import heapq
import io
import itertools
import json
import re
from datetime import datetime, timezone

from flask import Response, request, stream_with_context
from sqlalchemy import select

from soporte.accounts.display_names import with_author_names
from soporte.extensions import db
from soporte.files.attachments import add_to_messages
from soporte.inbox.api import bp
from soporte.inbox.note_history import NOTE_COLUMNS, note_json
from soporte.inbox.params import BadParameter, con_param, flag_param
from soporte.models import Mensaje, Nota, iso_utc, message_json
from soporte.relay import pending
from soporte.web.auth import admin_required

CHUNK = 1000  # rows per query and per piece of the response: memory stays flat for any length
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CSV_HEADER = ("fecha", "de", "para", "mensaje", "id")
NOTES_HEADER = CSV_HEADER + ("nota",)  # with notas=1: 1 for an agents' note, 0 for a message
# a spreadsheet runs a cell that starts with one of these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (Mensaje.id, Mensaje.de_usuario, Mensaje.para_usuario, Mensaje.mensaje, Mensaje.fecha, Mensaje.editado_en,
           Mensaje.eliminado_en)


@bp.route("/mensajes/exportar")
@admin_required
def exportar():
    """Download one customer's whole conversation, oldest first, as CSV or JSON; notas=1 adds the notes (agents only)."""
    con = con_param()
    formato = request.args.get("formato", "csv")
    if formato not in FORMATS:
        raise BadParameter("formato debe ser csv o json")
    notes = flag_param("notas")
    now = datetime.now(timezone.utc)
    rows = transcript(con, notes)
    first = next(rows, None)  # the first query runs here: a database failure is still a JSON 500
    rows = itertools.chain([first] if first else [], rows)
    body = csv_body(rows, notes) if formato == "csv" else json_body(con, now, rows)
    response = Response(stream_with_context(body), content_type=FORMATS[formato])
    name = f"conversacion-{re.sub(r'[^A-Za-z0-9._-]', '_', con)}-{now:%Y%m%d}.{formato}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def transcript(con, notes=False):
    """Every message of a conversation as protocol objects, in id order, each once; with notes, the notes too.

    Stored rows come a page at a time (by id, so no offset scans); the writer's
    pending rows, taken when the export starts, are merged in where their ids fall,
    which is at the end unless the writer stores them meanwhile. Notes (their own
    table, ids from the same generator) are merged in by id the same way.
    """
    unstored = pending.unstored(con)
    stored = in_chunks(COLUMNS, Mensaje.id, Mensaje.conversacion == con)
    messages = (message_json(row) for row in pending.interleave(stored, unstored))
    if not notes:
        yield from messages
        return
    stored_notes = (note_json(row) for row in in_chunks(NOTE_COLUMNS, Nota.id, Nota.conversacion == con))
    yield from heapq.merge(messages, stored_notes, key=lambda m: m["id"])


def in_chunks(columns, id_column, where):
    """Every row of a conversation (messages or notes) in id order, read a page at a time."""
    cursor = -1
    while True:
        page = db.session.execute(select(*columns).where(where, id_column > cursor)
                                  .order_by(id_column).limit(CHUNK)).all()
        db.session.commit()  # no snapshot held open while a slow client downloads
        yield from page
        if len(page) < CHUNK:
            break
        cursor = page[-1].id


def spreadsheet_safe(value):
    """A text cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_body(messages, notes=False):
    """The CSV file in pieces: a BOM (so spreadsheets read UTF-8), the header, then the rows.

    notes: the notes are rows too, with no recipient and 1 in a last column, `nota`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF, quotes around commas, quotes and line breaks
    buffer.write("\ufeff")
    writer.writerow(NOTES_HEADER if notes else CSV_HEADER)
    for batch in batched(messages):
        for m in batch:
            row = (m["fecha"], spreadsheet_safe(m["de_usuario"]), spreadsheet_safe(m.get("para_usuario") or ""),
                   spreadsheet_safe(m["mensaje"]), m["id"])
            writer.writerow(row + (int(m.get("nota", False)),) if notes else row)
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
        for m in with_author_names(add_to_messages(batch)):  # as in REST; a lookup or two per batch
            pieces.append(separator + json.dumps(m, ensure_ascii=False))
            separator = ", "
        yield "".join(pieces)
    yield "]}"


def batched(items):
    """Lists of up to CHUNK items (itertools.batched arrived in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, CHUNK)):
        yield batch
