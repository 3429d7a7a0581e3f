"""Transcript export (docs/protocol.md "Búsqueda y exportación"): exact CSV and JSON, streaming, guards."""
import csv
import io
import json
from datetime import datetime, timezone

import pytest

from soporte.inbox import export
from soporte.extensions import db
from soporte.relay.writer import store
from test_api import add_messages as add
from test_api import rows_for

TRICKY = [
    ("ana", "admin", "Hola, ¿qué tal? Ñandú, canción"),  # comma and accents
    ("admin", "ana", 'Dijo "sí"\nen dos líneas'),  # quotes and a line break
    ("ana", "admin", "=HYPERLINK(\"http://x\",\"y\")"),
    ("ana", "admin", "+34 600"),
    ("admin", "ana", "-1"),
    ("ana", "admin", "@SUM(A1)"),
    ("ana", "admin", "\tcon tabulador"),
    ("ana", "admin", "\rcon retorno"),
    ("admin", "ana", "normal 😀 = no al principio"),
]


def today():
    return datetime.now(timezone.utc).strftime("%Y%m%d")


def download(client, status=200, **params):
    response = client.get("/api/mensajes/exportar", query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


@pytest.fixture
def admin(cookie_client):
    return cookie_client("admin")


@pytest.fixture
def pending(app):
    """Put rows in the writer's memory as accepted but not yet stored (cleared afterwards)."""
    writer = app.extensions["soporte"].writer
    yield lambda row: writer.unstored.__setitem__(row["id"], row)
    writer.unstored.clear()


def test_csv_is_exact(app, admin, pending):
    """BOM, header, RFC 4180 quoting, formula cells neutralised, oldest first, pending rows last."""
    ids = add(app, *TRICKY)
    add(app, ("bob", "admin", "otra conversación"))
    late = rows_for(app, ("ana", "admin", "=aún en memoria"))[0]
    pending(late)
    response = download(admin, con="ana", formato="csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="conversacion-ana-{today()}.csv"'
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbffecha,de,para,mensaje,id\r\n")
    body = raw.decode("utf-8-sig")
    got = list(csv.reader(io.StringIO(body, newline="")))
    history = admin.get("/api/mensajes?con=ana").get_json()
    assert [m["id"] for m in history] == [*ids, late["id"]]
    expected = [["fecha", "de", "para", "mensaje", "id"]]
    for m in history:
        expected.append([m["fecha"], m["de_usuario"], m["para_usuario"], m["mensaje"], str(m["id"])])
    neutralised = {"=HYPERLINK(\"http://x\",\"y\")", "+34 600", "-1", "@SUM(A1)", "\tcon tabulador",
                   "\rcon retorno", "=aún en memoria"}
    for row in expected[1:]:
        if row[3] in neutralised:
            row[3] = "'" + row[3]
    assert got == expected
    # the quoting itself, byte for byte
    assert f'"Hola, ¿qué tal? Ñandú, canción",{ids[0]}\r\n' in body
    assert f'"Dijo ""sí""\nen dos líneas",{ids[1]}\r\n' in body
    assert "'\rcon retorno" in body and "normal 😀 = no al principio," in body


def test_json_is_exact(app, admin, pending):
    ids = add(app, *TRICKY)
    late = rows_for(app, ("ana", "admin", "aún en memoria"))[0]
    pending(late)
    response = download(admin, con="ana", formato="json")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="conversacion-ana-{today()}.json"'
    document = json.loads(response.get_data(as_text=True))
    assert set(document) == {"conversacion", "exportado", "mensajes"}
    assert document["conversacion"] == "ana"
    exported = datetime.strptime(document["exportado"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - exported).total_seconds()) < 60
    assert document["mensajes"] == admin.get("/api/mensajes?con=ana").get_json()
    assert [m["id"] for m in document["mensajes"]] == [*ids, late["id"]]
    assert [m["mensaje"] for m in document["mensajes"]][:2] == [TRICKY[0][2], TRICKY[1][2]]  # verbatim


def test_long_conversation_comes_in_pages_each_message_once_in_order(app, admin, pending, monkeypatch):
    """Pages of CHUNK rows by id; a pending row that gets stored meanwhile is not repeated."""
    monkeypatch.setattr(export, "CHUNK", 7)
    ids = add(app, *[("ana", "admin", f"m{i}") for i in range(30)])
    already_stored = rows_for(app, ("ana", "admin", "guardado y aún en memoria"))[0]
    pending(already_stored)  # the writer has stored it but not yet forgotten it
    with app.app_context():
        store(db.session, [already_stored])
        db.session.commit()
    late = rows_for(app, ("ana", "admin", "solo en memoria"))[0]
    pending(late)
    document = json.loads(download(admin, con="ana", formato="json").get_data(as_text=True))
    assert [m["id"] for m in document["mensajes"]] == [*ids, already_stored["id"], late["id"]]
    lines = download(admin, con="ana", formato="csv").get_data(as_text=True).splitlines()
    assert len(lines) == 1 + 32 and lines[1].endswith(f",{ids[0]}") and lines[-1].endswith(f",{late['id']}")


def test_the_response_is_streamed(app, admin, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 5)
    add(app, *[("ana", "admin", f"m{i}") for i in range(12)])
    response = download(admin, con="ana", formato="csv")
    assert response.is_streamed
    pieces = list(response.response)
    assert len(pieces) >= 3  # header, then one piece per page of rows


def test_empty_conversation(admin):
    assert download(admin, con="nadie").get_data() == b"\xef\xbb\xbffecha,de,para,mensaje,id\r\n"
    document = json.loads(download(admin, con="nadie", formato="json").get_data(as_text=True))
    assert document["mensajes"] == [] and document["conversacion"] == "nadie"


def test_csv_is_the_default_format_and_odd_names_make_safe_filenames(app, admin):
    response = download(admin, con="a b/../ñ\"x")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="conversacion-a_b_.._{"_"}_x-{today()}.csv"')


@pytest.mark.parametrize("query", [{}, {"con": ""}, {"con": "  "}, {"con": "ana", "formato": "xlsx"},
                                   {"con": "ana", "formato": "CSV"}, {"con": "ana", "formato": ""}])
def test_bad_parameters_are_400(admin, query):
    response = admin.get("/api/mensajes/exportar", query_string=query)
    assert response.status_code == 400
    assert set(response.get_json()) == {"error"}


def test_only_agents_export(app, cookie_client, client):
    add(app, ("ana", "admin", "lo mío"))
    response = cookie_client("ana").get("/api/mensajes/exportar?con=ana")
    assert response.status_code == 403 and set(response.get_json()) == {"error"}
    response = client.get("/api/mensajes/exportar?con=ana")
    assert response.status_code == 401 and set(response.get_json()) == {"error"}


@pytest.mark.parametrize("route", ["/api/mensajes/exportar?con=ana", "/api/mensajes/exportar?con=ana&formato=json",
                                   "/api/buscar?q=hola", "/api/mensajes?con=ana&alrededor=5"])
def test_database_failure_is_a_json_500(app, admin, route):
    """No table to read: a JSON 500 without a trace, not half a download (the next test's fixture rebuilds it)."""
    from soporte.models import Mensaje

    with app.app_context():
        Mensaje.__table__.drop(db.engine)
    response = admin.get(route)
    assert response.status_code == 500
    assert response.get_json() == {"error": "Error de base de datos: inténtalo de nuevo"}
