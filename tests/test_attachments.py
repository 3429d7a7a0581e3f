"""Attachments (/api/adjuntos and `adjuntos` in mensaje_privado), on SQLite and MariaDB.

Uploads through the Flask test client (multipart, with the page's CSRF token), messages
through Socket.IO test clients, and one real server process killed with SIGKILL while a
message with an attachment waits in its spool.
"""
import io
import os
import re
import signal
import time
from datetime import timedelta

import pytest
import requests
from PIL import Image
from sqlalchemy import select, update

from conftest import LiveServer, live_socket, stored_messages
from soporte.extensions import db
from soporte.files import attachments
from soporte.files.storage import get_storage
from soporte.models import Adjunto, utc_now

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def image_bytes(fmt="PNG", size=(800, 600), mode="RGB"):
    """A real image made with Pillow."""
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(out, fmt)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


class Uploader:
    """A logged-in test client with its page's CSRF token, uploading to /api/adjuntos."""

    def __init__(self, http):
        self.http = http
        self.csrf = CSRF_META.search(http.get("/soporte").get_data(as_text=True)).group(1)

    def upload(self, data, name, **form):
        return self.http.post("/api/adjuntos", data={"archivo": (io.BytesIO(data), name), **form},
                              headers={"X-CSRFToken": self.csrf}, content_type="multipart/form-data")

    def ok(self, data, name, **form):
        response = self.upload(data, name, **form)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def ana(cookie_client):
    return Uploader(cookie_client("ana"))


@pytest.fixture
def agent(cookie_client):
    return Uploader(cookie_client("admin"))


def send(sio, **payload):
    return sio.emit("mensaje_privado", payload, callback=True)


# --- uploads: types, limits ---------------------------------------------------------------

def test_an_image_is_stored_with_a_thumbnail(app, ana):
    made = ana.ok(image_bytes(size=(1600, 900)), "foto de la playa.png")
    assert made["tipo"] == "image/png" and made["miniatura"] is True and made["nombre"] == "foto de la playa.png"
    assert len(made["id"]) >= 40 and made["tamano"] > 0
    thumb = ana.http.get(f"/api/adjuntos/{made['id']}/miniatura")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) == app.config["THUMBNAIL_SIZE"] and image.size == (320, 180)
        assert image.format == "JPEG"


def test_a_transparent_image_gets_a_png_thumbnail_and_small_images_stay_small(ana):
    made = ana.ok(image_bytes(size=(100, 50), mode="RGBA"), "logo.png")
    thumb = ana.http.get(f"/api/adjuntos/{made['id']}/miniatura")
    assert thumb.mimetype == "image/png"
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert image.size == (100, 50)


@pytest.mark.parametrize("fmt, tipo", [("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_other_image_types(ana, fmt, tipo):
    made = ana.ok(image_bytes(fmt, size=(64, 64)), "x.bin")
    assert made["tipo"] == tipo and made["miniatura"] is True


def test_the_type_comes_from_the_content_not_the_name(ana):
    png_as_pdf = ana.ok(image_bytes(size=(10, 10)), "informe.pdf")
    assert png_as_pdf["tipo"] == "image/png" and png_as_pdf["nombre"] == "informe.pdf"
    pdf = ana.ok(PDF, "factura.png")
    assert pdf["tipo"] == "application/pdf" and pdf["miniatura"] is False
    text = ana.ok("línea uno\nlínea dos\n".encode(), "notas.exe")
    assert text["tipo"] == "text/plain"


@pytest.mark.parametrize("data, name", [(HTML, "foto.png"), (SVG, "dibujo.svg"), (SVG, "dibujo.png"),
                                        (b"  \n<html><body>hola</body></html>", "a.txt"),
                                        (b"\x7fELF\x02\x01\x01" + bytes(200), "programa.png"),
                                        (b"\x89PNG\r\n\x1a\n" + b"no es una imagen" * 20, "rota.png")])
def test_types_not_allowed_are_refused(app, ana, data, name):
    response = ana.upload(data, name)
    assert response.status_code == 415, response.get_json()
    assert response.get_json()["error"] in ("Ese tipo de archivo no está permitido", "La imagen no es válida")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Adjunto)) == 0


def test_too_big_is_413_and_nothing_is_kept(app, ana):
    app.config["ATTACHMENT_MAX_SIZE"] = 2000
    response = ana.upload(b"a" * 2001, "grande.txt")
    assert response.status_code == 413
    assert response.get_json()["error"].startswith("El archivo supera el tamaño máximo")
    assert ana.upload(b"a" * 2000, "justo.txt").status_code == 201
    # a body far over the request bound is refused before anything reads it
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    huge = ana.upload(b"a" * 50_000, "enorme.txt")
    assert huge.status_code == 413 and "error" in huge.get_json()


def test_a_decompression_bomb_is_refused(app, ana):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    response = ana.upload(out.getvalue(), "bomba.png")
    assert response.status_code == 415 and response.get_json()["error"] == "La imagen no es válida"


def test_upload_needs_csrf_login_a_file_and_an_agent_names_the_conversation(app, client, ana, agent):
    assert ana.http.post("/api/adjuntos", data={"archivo": (io.BytesIO(PDF), "a.pdf")},
                         content_type="multipart/form-data").status_code == 400
    assert client.post("/api/adjuntos", data={"archivo": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data").status_code in (400, 401)
    assert ana.http.post("/api/adjuntos", data={}, headers={"X-CSRFToken": ana.csrf}).status_code == 400
    assert agent.upload(PDF, "a.pdf").get_json()["error"] == "Falta la conversación (con)"
    assert agent.upload(PDF, "a.pdf", con="agente2").status_code == 400
    made = agent.ok(PDF, "a.pdf", con="ana")
    with app.app_context():
        row = db.session.get(Adjunto, made["id"])
        assert (row.conversacion, row.autor) == ("ana", "admin")


def test_a_customer_cannot_upload_into_another_conversation(app, ana):
    made = ana.ok(PDF, "a.pdf", con="bob")  # con is an agent's field: a customer's upload is theirs
    with app.app_context():
        assert db.session.get(Adjunto, made["id"]).conversacion == "ana"


def test_uploads_are_rate_limited(app, ana):
    app.config["ATTACHMENT_UPLOAD_RATE_LIMIT"] = "3 per minute"
    codes = [ana.upload(PDF, "a.pdf").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]


def test_names_are_cleaned():
    assert attachments.clean_name("../../etc/passwd") == "passwd"
    assert attachments.clean_name("C:\\Users\\ana\\foto.jpg") == "foto.jpg"
    assert attachments.clean_name("a\u202egnp.exe") == "agnp.exe"  # no right-to-left override
    assert attachments.clean_name("línea\nnueva.txt") == "líneanueva.txt"
    assert attachments.clean_name("") == "archivo" and attachments.clean_name("..") == "archivo"
    assert len(attachments.clean_name("x" * 400 + ".pdf")) == 255


# --- access and headers -----------------------------------------------------------------

def test_only_the_conversation_and_agents_fetch_a_file(app, ana, agent, cookie_client, client):
    made = ana.ok(PDF, "factura ñ.pdf")
    url = f"/api/adjuntos/{made['id']}"
    assert ana.http.get(url).status_code == 200
    assert agent.http.get(url).status_code == 200
    assert cookie_client("agente2").get(url).status_code == 200
    foreign = cookie_client("bob").get(url)
    assert foreign.status_code == 404 and foreign.get_json() == {"error": "No existe ese adjunto"}
    assert client.get(url).status_code == 401  # logged out
    guessed = made["id"][:-4] + ("AAAA" if not made["id"].endswith("AAAA") else "BBBB")
    assert ana.http.get(f"/api/adjuntos/{guessed}").status_code == 404
    assert ana.http.get("/api/adjuntos/" + "a" * 300).status_code == 404
    assert cookie_client("bob").get(url + "/miniatura").status_code == 404


def test_file_headers(ana):
    made = ana.ok(PDF, "factura ñ;%x.pdf")
    pdf = ana.http.get(f"/api/adjuntos/{made['id']}")
    assert pdf.data == PDF and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        "attachment; filename=\"factura ___x.pdf\"; filename*=UTF-8''factura%20%C3%B1%3B%25x.pdf")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.headers["Content-Security-Policy"].startswith("sandbox")
    image = ana.http.get(f"/api/adjuntos/{ana.ok(image_bytes(size=(20, 20)), 'foto.png')['id']}")
    assert image.mimetype == "image/png"
    assert image.headers["Content-Disposition"].startswith("inline; filename=\"foto.png\"")
    assert image.headers["Content-Security-Policy"].startswith("sandbox")
    text = ana.http.get(f"/api/adjuntos/{ana.ok(b'hola', 'a.html')['id']}")
    assert text.mimetype == "text/plain" and text.headers["Content-Disposition"].startswith("attachment")


def test_an_allowed_svg_is_still_never_inline(app, ana):
    app.config["ATTACHMENT_TYPES"] = "image/svg+xml text/html"
    svg = ana.ok(SVG, "dibujo.svg")
    assert svg["tipo"] == "image/svg+xml" and svg["miniatura"] is False
    response = ana.http.get(f"/api/adjuntos/{svg['id']}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    html = ana.http.get(f"/api/adjuntos/{ana.ok(HTML, 'p.html')['id']}")
    assert html.headers["Content-Disposition"].startswith("attachment")


# --- messages with attachments --------------------------------------------------------------

def test_a_message_carries_its_attachments_live_in_history_and_stored(app, ana, connect):
    admin, customer = connect("admin"), connect("ana")
    pdf = ana.ok(PDF, "factura.pdf")
    photo = ana.ok(image_bytes(size=(50, 50)), "foto.png")
    ack = send(customer, para="admin", mensaje="", adjuntos=[pdf["id"], photo["id"]], cid="c1")
    assert ack["ok"], ack
    received = [e["args"][0] for e in admin.get_received() if e["name"] == "mensaje_recibido"]
    assert len(received) == 1
    message = received[0]
    assert message["adjuntos"] == [pdf, photo]
    assert message["mensaje"] == (f"📎 factura.pdf: /api/adjuntos/{pdf['id']}\n"
                                  f"📎 foto.png: /api/adjuntos/{photo['id']}")
    history = ana.http.get("/api/mensajes/mios").get_json()  # unstored yet, or stored: the same
    assert history[-1]["adjuntos"] == [pdf, photo]
    stored = stored_messages(app)
    assert stored[-1]["mensaje"] == message["mensaje"]
    with app.app_context():
        assert {a.mensaje_id for a in db.session.scalars(select(Adjunto))} == {ack["id"]}
    for url in ("/api/mensajes/mios", "/api/mensajes?con=ana"):
        client = ana.http if url.endswith("mios") else connect_http(app)
        assert client.get(url).get_json()[-1]["adjuntos"] == [pdf, photo]
    export = connect_http(app).get("/api/mensajes/exportar?con=ana&formato=json").get_json()
    assert export["mensajes"][-1]["adjuntos"] == [pdf, photo]
    # a retry of the cid gets the first ack, though its attachments are linked now
    assert send(customer, para="admin", mensaje="", adjuntos=[pdf["id"], photo["id"]], cid="c1") == ack


def connect_http(app):
    """An agent's test client (cookie only)."""
    from soporte.accounts.tokens import issue_token
    from soporte.models import Usuario

    with app.app_context():
        token = issue_token(db.session.execute(select(Usuario).filter_by(usuario="admin")).scalar_one())
    client = app.test_client()
    client.set_cookie("token", token)
    return client


def test_text_and_attachment_and_an_agents_reply(app, ana, agent, connect):
    admin, customer = connect("admin"), connect("ana")
    made = agent.ok(PDF, "guia.pdf", con="ana")
    ack = send(admin, para="ana", mensaje="Aquí tienes la guía", adjuntos=[made["id"]])
    assert ack["ok"], ack
    got = [e["args"][0] for e in customer.get_received() if e["name"] == "mensaje_recibido"][-1]
    assert got["mensaje"] == f"Aquí tienes la guía\n📎 guia.pdf: /api/adjuntos/{made['id']}"
    assert ana.http.get(f"/api/adjuntos/{made['id']}").status_code == 200


def test_attachments_a_message_may_not_carry(app, ana, agent, cookie_client, connect):
    customer, admin = connect("ana"), connect("admin")
    bobs = Uploader(cookie_client("bob")).ok(PDF, "b.pdf")
    for_bob = agent.ok(PDF, "a.pdf", con="bob")
    app.config["ATTACHMENTS_PER_MESSAGE"] = 2
    mine = [ana.ok(PDF, f"{i}.pdf")["id"] for i in range(3)]
    refused = {
        "someone else's": send(customer, para="admin", mensaje="x", adjuntos=[bobs["id"]]),
        "an agent's upload": send(customer, para="admin", mensaje="x", adjuntos=[for_bob["id"]]),
        "made up": send(customer, para="admin", mensaje="x", adjuntos=["no-existe"]),
        "not a list": send(customer, para="admin", mensaje="x", adjuntos=mine[0]),
        "twice": send(customer, para="admin", mensaje="x", adjuntos=[mine[0], mine[0]]),
        "too many": send(customer, para="admin", mensaje="x", adjuntos=mine),
        "wrong conversation": send(admin, para="ana", mensaje="x", adjuntos=[for_bob["id"]]),
    }
    assert {k: v.get("error") for k, v in refused.items()} == {
        "someone else's": "Los adjuntos no son válidos", "an agent's upload": "Los adjuntos no son válidos",
        "made up": "Los adjuntos no son válidos", "not a list": "Los adjuntos no son válidos",
        "twice": "Los adjuntos no son válidos", "too many": "Demasiados adjuntos en un mensaje (máximo 2)",
        "wrong conversation": "Los adjuntos no son válidos"}
    assert send(customer, para="admin", mensaje="", adjuntos=[])["error"] == "El mensaje está vacío"
    assert send(customer, para="admin", mensaje="x", adjuntos=mine[:2])["ok"]
    stored_messages(app)
    used = send(customer, para="admin", mensaje="otra vez", adjuntos=[mine[0]])
    assert used == {"ok": False, "error": "Los adjuntos no son válidos"}


def test_messages_without_attachments_are_unchanged(app, ana, connect):
    admin, customer = connect("admin"), connect("ana")
    assert send(customer, para="admin", mensaje="hola")["ok"]
    got = [e["args"][0] for e in admin.get_received() if e["name"] == "mensaje_recibido"][-1]
    assert "adjuntos" not in got and got["mensaje"] == "hola"
    assert "adjuntos" not in ana.http.get("/api/mensajes/mios").get_json()[-1]


# --- the sweep, and the customer's data ---------------------------------------------------

def test_the_sweep_deletes_old_uploads_never_sent(app, ana, connect):
    customer = connect("ana")
    old_unsent = ana.ok(PDF, "viejo.pdf")
    old_sent = ana.ok(image_bytes(size=(30, 30)), "enviado.png")
    new_unsent = ana.ok(PDF, "nuevo.pdf")
    assert send(customer, para="admin", mensaje="x", adjuntos=[old_sent["id"]])["ok"]
    stored_messages(app)
    with app.app_context():
        db.session.execute(update(Adjunto).where(Adjunto.id.in_([old_unsent["id"], old_sent["id"]]))
                           .values(creado_en=utc_now() - timedelta(days=2)))
        db.session.commit()
        storage = get_storage()
        assert storage.exists(old_unsent["id"])
        assert attachments.sweep() == 1
        left = set(db.session.scalars(select(Adjunto.id)))
        assert left == {old_sent["id"], new_unsent["id"]}
        assert not storage.exists(old_unsent["id"]) and storage.exists(old_sent["id"])
        assert storage.exists(old_sent["id"] + attachments.THUMBNAIL_SUFFIX)
        assert attachments.sweep() == 0
    assert ana.http.get(f"/api/adjuntos/{old_unsent['id']}").status_code == 404


# --- durable across kill -9 of a real server ------------------------------------------------

def kill_hard(server):
    """SIGKILL the gunicorn master and its workers at once: no hook, no flush."""
    master = server.process.pid
    with open(f"/proc/{master}/task/{master}/children") as f:
        workers = [int(pid) for pid in f.read().split()]
    for pid in [master, *workers]:
        os.kill(pid, signal.SIGKILL)
    server.process.wait()
    time.sleep(0.5)


@pytest.mark.slow
def test_a_message_with_an_attachment_survives_kill_9(app, tmp_path):
    """The storer waits 30 s between stores, so the acknowledged message is only in the spool when
    the server dies; the next process replays it and links the attachment."""
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], {"SOPORTE_WRITER_INTERVAL": "30"})
    server.start().wait_ready()
    try:
        ana = live_socket(server, "ana")
        csrf = CSRF_META.search(ana.http.get(server.url + "/soporte").text).group(1)
        upload = ana.http.post(server.url + "/api/adjuntos", headers={"X-CSRFToken": csrf},
                               files={"archivo": ("captura.png", image_bytes(size=(64, 48)), "image/png")})
        assert upload.status_code == 201, upload.text
        made = upload.json()
        ack = ana.call("mensaje_privado", {"para": "admin", "mensaje": "mira", "adjuntos": [made["id"]], "cid": "k9"})
        assert ack["ok"], ack
        ana.disconnect()
        with app.app_context():
            assert db.session.get(Adjunto, made["id"]).mensaje_id is None  # only the spool has the message
            db.session.remove()
        kill_hard(server)
        server.start().wait_ready()  # ready: the dead process's spool is replayed
        http = server.login("ana")
        history = http.get(server.url + "/api/mensajes/mios").json()
        assert [(m["id"], m.get("adjuntos")) for m in history] == [(ack["id"], [made])]
        with app.app_context():
            assert db.session.get(Adjunto, made["id"]).mensaje_id == ack["id"]
            db.session.remove()
        image = http.get(server.url + f"/api/adjuntos/{made['id']}")
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
        assert requests.get(server.url + f"/api/adjuntos/{made['id']}").status_code == 401
        assert server.login("bob").get(server.url + f"/api/adjuntos/{made['id']}").status_code == 404
    finally:
        server.stop()


# --- the customer's data: export and erase (soporte/files/privacy.py) ----------------------

def test_export_and_erase_a_customers_attachments(app, ana, agent, cookie_client, connect):
    from soporte.files.privacy import erase_customer, export_customer
    from soporte.models import Usuario

    customer = connect("ana")
    photo = ana.ok(image_bytes(size=(40, 40)), "foto.png")
    reply = agent.ok(PDF, "guia.pdf", con="ana")
    unsent = ana.ok(b"borrador", "nota.txt")
    bobs = Uploader(cookie_client("bob")).ok(PDF, "bob.pdf")
    assert send(customer, para="admin", mensaje="", adjuntos=[photo["id"]])["ok"]
    stored_messages(app)
    with app.app_context():
        usuario = db.session.execute(select(Usuario).filter_by(usuario="ana")).scalar_one()
        archive = dict(export_customer(usuario))
        details = {d["id"]: d for d in __import__("json").loads(archive["adjuntos/adjuntos.json"])}
        assert set(details) == {photo["id"], reply["id"], unsent["id"]}
        assert details[reply["id"]]["autor"] == "admin" and details[unsent["id"]]["mensaje_id"] is None
        assert archive[f"adjuntos/{details[unsent['id']]['archivo']}"] == b"borrador"
        assert archive[f"adjuntos/{details[reply['id']]['archivo']}"] == PDF
        assert len(archive) == 4
        after_commit = erase_customer(usuario)
        db.session.commit()
        for step in after_commit:
            step()
        assert set(db.session.scalars(select(Adjunto.id))) == {bobs["id"]}
        storage = get_storage()
        for made in (photo, reply, unsent):
            assert not storage.exists(made["id"])
        assert not storage.exists(photo["id"] + attachments.THUMBNAIL_SUFFIX)
        assert storage.exists(bobs["id"])
        left = sorted(p.name for p in storage_files(storage))
        assert left == [bobs["id"]]
        assert erase_customer(usuario) == []


def storage_files(storage):
    """Every file in a LocalStorage's folder."""
    from pathlib import Path

    return [p for p in Path(storage.directory).rglob("*") if p.is_file()]
