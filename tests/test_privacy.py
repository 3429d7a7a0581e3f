"""The customer's data: the archive holds every holder's part, an erase leaves nothing behind, and who may do either."""
import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from soporte.audit import audit
from soporte.extensions import db
from PIL import Image

from soporte.files import attachments
from soporte.files.storage import get_storage
from soporte.mail import outbox
from soporte.models import (Adjunto, Auditoria, Ciclo, ClienteBorrado, Conversacion, ConversacionEtiqueta,
                            EdicionMensaje, Etiqueta, Lectura, Mensaje, Nota, PerfilCliente, Usuario, Valoracion)
from soporte.privacy.holders import HOLDERS
from soporte.relay.ids import first_id_at
from soporte.relay.writer import store
from soporte.search_index import FTS_TABLE
from conftest import CSRF_FIELD, password_hash

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
NAME, DISPLAY = "zoe_privada", "Zoé Confidencial"  # found by no other string of the test data
SECRET = "mi número secreto es 12345"
T0 = datetime(2026, 12, 1, 10, 0, 0)


def csrf(client):
    return CSRF_META.search(client.get("/soporte").get_data(as_text=True)).group(1)


def message(message_id, de, para, conversacion, text, minutes=0):
    return {"id": message_id, "de_usuario": de, "para_usuario": para, "conversacion": conversacion,
            "mensaje": text, "fecha": T0 + timedelta(minutes=minutes), "cid": f"c{message_id}"}


def seed(app):
    """A customer with something in every table (and bob beside them, who must keep his); the customer's id."""
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin").values(supervisor=True))
        customer = Usuario(usuario=NAME, nombre=DISPLAY, rol="user", idioma="es", email=f"{NAME}@example.com")
        customer.password_hash = password_hash()
        db.session.add(customer)
        db.session.flush()
        base = first_id_at(datetime.now(timezone.utc) - timedelta(hours=1))
        store(db.session, [message(base + 1, NAME, "soporte", NAME, SECRET),
                           message(base + 2, "admin", NAME, NAME, f"Hola {DISPLAY}, ¿qué tal?", 1),
                           message(base + 3, "bob", "soporte", "bob", "bob pregunta por su factura", 2)])
        db.session.add_all([
            Nota(id=base + 4, conversacion=NAME, autor="admin", texto="nota privada sobre el cliente", fecha=T0),
            Lectura(agente="admin", conversacion=NAME, ultimo_leido=base + 2),
            Lectura(agente="admin", conversacion="bob", ultimo_leido=base + 3),
            PerfilCliente(usuario=NAME, nota="prefiere la tarde", editado_por="admin", editado_en=T0),
            Etiqueta(id=1, nombre="VIP", nombre_canonico="vip", color="#6a1b9a", creada_por="admin"),
        ])
        db.session.flush()
        db.session.add_all([ConversacionEtiqueta(conversacion=NAME, etiqueta_id=1),
                            ConversacionEtiqueta(conversacion="bob", etiqueta_id=1)])
        audit("admin", "crear_cuenta", NAME, nombre=DISPLAY)
        audit("admin", "rol", "agente2", de="agente", a="supervisor")
        db.session.commit()
        # an image on their first message (a file in the store and its thumbnail), an edit of it, a rating
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), "red").save(picture, "PNG")
        upload = attachments.create(NAME, NAME, f"factura-{NAME}.png", picture.getvalue())
        db.session.execute(update(Adjunto).where(Adjunto.id == upload["id"]).values(mensaje_id=base + 1))
        cycle = db.session.scalar(select(Ciclo.id).where(Ciclo.conversacion == NAME))
        db.session.add_all([
            EdicionMensaje(mensaje_id=base + 1, conversacion=NAME, accion="editar", texto_anterior=f"{SECRET} (antes)",
                           por=NAME, cuando=T0, cid="e1"),
            Valoracion(ciclo_id=cycle, conversacion=NAME, agente="admin", puntuacion=5,
                       comentario=f"muy bien, firmado {DISPLAY}", fecha=T0),
        ])
        # an email still waiting in the outbox
        outbox.queue(f"respuestas:{NAME}:1", "respuestas", f"{NAME}@example.com", "es",
                     ("Respuestas", f"Hola {DISPLAY}", f"<p>Hola {DISPLAY}</p>"), usuario=NAME)
        db.session.commit()
        return customer.id


def archive(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_the_archive_holds_every_holder(app, cookie_client):
    """A supervisor's archive: the manifest, and each holder's file with what it keeps; nothing of bob."""
    customer_id = seed(app)
    zipped = archive(cookie_client("admin").get(f"/api/clientes/{NAME}/datos"))
    files = set(zipped.namelist())
    for holder in HOLDERS:
        assert any(f == holder.name or f.startswith((holder.name + "/", holder.name + ".")) for f in files), holder.name
    readme = zipped.read("LEEME.txt").decode()
    assert all(f in readme for f in files - {"LEEME.txt"}) and f"#{customer_id}" in readme
    read = lambda name: json.loads(zipped.read(name))  # noqa: E731
    account = read("cuenta.json")
    assert account["usuario"] == NAME and account["nombre"] == DISPLAY and "password_hash" not in account
    texts = [m["mensaje"] for m in read("mensajes/mensajes.json")]
    assert texts == [SECRET, f"Hola {DISPLAY}, ¿qué tal?"]  # both directions, never bob's
    transcript = zipped.read("mensajes/transcripcion.txt").decode()
    assert SECRET in transcript and "Admin (admin)" in transcript
    assert read("conversacion.json")["usuario"] == NAME
    assert len(read("ciclos.json")) == 1
    assert read("lecturas.json") == [{"agente": "admin", "conversacion": NAME, "ultimo_leido": texts and
                                      read("mensajes/mensajes.json")[1]["id"]}]
    assert [label["nombre"] for label in read("etiquetas.json")] == ["VIP"]
    assert read("notas.json")[0]["texto"] == "nota privada sobre el cliente"
    assert read("perfil.json")["nota"] == "prefiere la tarde"
    [image] = [f for f in files if f.startswith("adjuntos/") and f.endswith(".png")]
    assert zipped.read(image).startswith(b"\x89PNG")  # the file itself, not only its row
    assert read("valoraciones.json")[0]["puntuacion"] == 5
    assert read("ediciones_mensaje.json")[0]["texto_anterior"] == f"{SECRET} (antes)"
    assert f"{NAME}@example.com" in zipped.read("correo/correo.json").decode()
    assert [entry["accion"] for entry in read("auditoria.json")] == ["crear_cuenta"]
    with app.app_context():  # the download itself is in the audit log
        assert db.session.scalar(select(Auditoria.objetivo).where(Auditoria.accion == "exportar_cliente")) == NAME


def test_the_customer_downloads_their_own(app, cookie_client):
    """The customer's own archive: their account and messages, not the agents' private notes."""
    seed(app)
    zipped = archive(cookie_client(NAME).get("/api/mis-datos"))
    files = set(zipped.namelist())
    assert {"cuenta.json", "mensajes/mensajes.json", "mensajes/transcripcion.txt", "LEEME.txt"} <= files
    assert not files & {"notas.json", "perfil.json", "auditoria.json"}
    assert b"nota privada" not in b"".join(zipped.read(f) for f in files)


def everything_left(app, *needles):
    """(table, column, value) of every string cell that holds a needle, in every table, and the FTS index's matches."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
            for row in db.session.execute(select(table)).mappings():
                for column in columns:
                    value = row[column.name]
                    if isinstance(value, str) and any(n.lower() in value.lower() for n in needles):
                        found.append((table.name, column.name, value))
        if db.engine.dialect.name == "sqlite":
            for word in ("secreto", "Confidencial", "zoe_privada"):
                hits = db.session.execute(sa.text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :w"),
                                          {"w": f'"{word}"'}).all()
                found += [(FTS_TABLE, word, hit.rowid) for hit in hits]
        else:
            found += [("mensajes FULLTEXT", "secreto", row.id) for row in db.session.execute(
                sa.text("SELECT id FROM mensajes WHERE MATCH(mensaje) AGAINST ('secreto' IN BOOLEAN MODE)"))]
    return found


def ids_left(ids):
    """(table, column, value) of every integer cell, in every table, that holds one of these ids."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.Integer):  # BigInteger too
                found += [(table.name, column.name, value) for value in
                          db.session.scalars(select(column).where(column.in_(sorted(ids))))]
    return found


def test_an_erase_leaves_nothing_behind(app, cookie_client):
    """Every table of the schema, every text column and the id, the FTS index; bob keeps all of his; one clean audit entry."""
    customer_id = seed(app)
    admin = cookie_client("admin")
    assert everything_left(app, NAME, DISPLAY)  # the check finds what is there
    with app.app_context():  # their messages' and note's ids (generated, unique across tables), their cycle's
        theirs = {*db.session.scalars(select(Mensaje.id).where(Mensaje.conversacion == NAME)),
                  *db.session.scalars(select(Nota.id))}
        cycles = set(db.session.scalars(select(Ciclo.id).where(Ciclo.conversacion == NAME)))
        assert ids_left(theirs) and cycles  # found before the erase
        files = [key for upload in db.session.scalars(select(Adjunto.id))
                 for key in (upload, upload + attachments.THUMBNAIL_SUFFIX)]
        assert files and all(get_storage().exists(key) for key in files)
    answer = admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME}, headers={"X-CSRFToken": csrf(admin)})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"ok": True, "cliente": customer_id}

    assert everything_left(app, NAME, DISPLAY, "secreto", "nota privada", "prefiere la tarde") == []
    with app.app_context():
        assert db.session.get(Usuario, customer_id) is None
        assert ids_left(theirs) == []  # no integer column of any table holds one of their ids
        assert db.session.scalars(select(Ciclo.id).where(Ciclo.id.in_(cycles))).all() == []
        assert db.session.scalars(select(Conversacion.ciclo_id).where(Conversacion.ciclo_id.in_(cycles))).all() == []
        assert db.session.scalar(select(sa.func.count()).select_from(Mensaje).where(Mensaje.conversacion == "bob")) == 1
        assert db.session.scalar(select(ConversacionEtiqueta.conversacion)) == "bob"
        assert db.session.scalar(select(Lectura.conversacion)) == "bob"
        entries = {e.accion: e for e in db.session.scalars(select(Auditoria))}
        erased = entries["borrar_cliente"]
        assert (erased.actor, erased.objetivo, json.loads(erased.detalle)) == ("admin", None, {"cliente": customer_id})
        created = entries["crear_cuenta"]  # anonymised: the number only
        assert created.objetivo is None and json.loads(created.detalle) == {"cliente": customer_id,
                                                                            "nombre": f"cliente #{customer_id}"}
        assert entries["rol"].objetivo == "agente2"  # nobody else's entry changes
        assert db.session.scalar(select(sa.func.count()).select_from(ClienteBorrado)) == 1
        assert not any(get_storage().exists(key) for key in files)  # the attachment store holds none of their files
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            hits = db.session.execute(sa.text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH 'factura'")).all()
            assert len(hits) == 1  # bob's message is still found


def test_a_late_row_of_an_erased_customer_is_dropped(app, cookie_client):
    """What a spool stores after the erase is dropped; a new account with the same name later keeps its own."""
    seed(app)
    admin = cookie_client("admin")
    assert admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME},
                        headers={"X-CSRFToken": csrf(admin)}).status_code == 200
    with app.app_context():
        late = first_id_at(datetime.now(timezone.utc) - timedelta(seconds=5))
        opened = store(db.session, [message(late, NAME, "soporte", NAME, "escrito antes del borrado"),
                                    message(late + 1, "bob", "soporte", "bob", "bob sigue")])
        db.session.commit()
        assert opened == []  # bob's conversation existed; the erased one does not start again
        assert db.session.scalars(select(Mensaje.mensaje).where(Mensaje.conversacion == NAME)).all() == []
        assert "bob sigue" in db.session.scalars(select(Mensaje.mensaje)).all()
        newer = first_id_at(datetime.now(timezone.utc) + timedelta(minutes=5))  # a new account, past the margin
        store(db.session, [message(newer, NAME, "soporte", NAME, "soy otra persona")])
        db.session.commit()
        assert db.session.scalars(select(Mensaje.mensaje).where(Mensaje.conversacion == NAME)).all() == [
            "soy otra persona"]
    assert everything_left(app, "escrito antes") == []


@pytest.mark.parametrize("who, url, status", [
    ("agente2", f"/api/clientes/{NAME}/datos", 403),  # an agent, not a supervisor
    (NAME, f"/api/clientes/{NAME}/datos", 403),  # a customer, even for themselves
    ("bob", f"/api/clientes/{NAME}/datos", 403),  # another customer
    (None, f"/api/clientes/{NAME}/datos", 401),
    (None, "/api/mis-datos", 401),
    ("admin", "/api/mis-datos", 403),  # an agent's own data is not a customer's archive
    ("admin", "/api/clientes/agente2/datos", 400),  # only customers
    ("admin", "/api/clientes/nadie/datos", 404),
])
def test_who_may_download(app, cookie_client, who, url, status):
    seed(app)
    client = cookie_client(who) if who else app.test_client()
    answer = client.get(url)
    assert answer.status_code == status and "error" in answer.get_json()


def test_who_may_erase(app, cookie_client):
    """Agents, customers and strangers are refused; an agent is never erased; the confirmation and CSRF count."""
    seed(app)
    for who, status in (("agente2", 403), (NAME, 403), ("bob", 403)):
        client = cookie_client(who)
        assert client.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME},
                             headers={"X-CSRFToken": csrf(client)}).status_code == status
    stranger = app.test_client()
    token = CSRF_FIELD.search(stranger.get("/login").get_data(as_text=True)).group(1)
    assert stranger.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME},
                           headers={"X-CSRFToken": token}).status_code == 401
    admin = cookie_client("admin")
    token = csrf(admin)
    assert admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME}).status_code == 400  # no CSRF token
    assert admin.delete(f"/api/clientes/{NAME}", json={"confirmar": "otro"},
                        headers={"X-CSRFToken": token}).get_json()["error"].startswith("Para borrar")
    agent = admin.delete("/api/clientes/agente2", json={"confirmar": "agente2"}, headers={"X-CSRFToken": token})
    assert agent.status_code == 400 and "agentes" in agent.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(select(Usuario.activo).where(Usuario.usuario == NAME)) is True
        assert db.session.scalar(select(Usuario.activo).where(Usuario.usuario == "agente2")) is True


def test_downloads_are_rate_limited(app, cookie_client):
    """Past DATA_EXPORT_RATE_LIMIT a customer gets 429 JSON."""
    seed(app)
    app.config["DATA_EXPORT_RATE_LIMIT"] = "2 per hour"
    client = cookie_client(NAME)
    assert [client.get("/api/mis-datos").status_code for _ in range(3)] == [200, 200, 429]


def test_erasing_ends_the_logins_and_memory(app, cookie_client, connect, monkeypatch):
    """The customer's socket closes (borrada), their token is refused, and this process forgets them."""
    seed(app)
    monkeypatch.setattr("soporte.privacy.erase.FLUSH_TIMEOUT", 0.1)  # this test's writer never runs: no waiting
    socket = connect(NAME)
    client = cookie_client(NAME)
    chat = app.extensions["soporte"]
    chat.remember_ack(NAME, "c1", {"ok": True, "id": 1})
    unstored = message(first_id_at(datetime.now(timezone.utc)), NAME, "admin", NAME, SECRET + " sin guardar")
    chat.writer.unstored[unstored["id"]] = unstored  # delivered, not stored yet (as the writer keeps it)
    chat.conversations.latest[NAME] = unstored["id"]
    chat.conversations.order.insert(0, NAME)
    app.extensions["soporte.typing"].allow(NAME, NAME)
    with app.test_request_context():
        from soporte.relay.freshness import get_freshness
        get_freshness().admit(NAME, {"de": NAME, "id": 10, "para": "soporte", "mensaje": SECRET, "fecha": "x"})
    agent = connect("agente2")  # another agent's page, which must drop the customer
    agent.get_received()
    admin = cookie_client("admin")
    assert admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME},
                        headers={"X-CSRFToken": csrf(admin)}).status_code == 200
    assert not socket.is_connected()
    assert [(e["name"], e["args"]) for e in agent.get_received()] == [("cliente_borrado", [{"usuario": NAME}])]
    assert client.get("/api/mis-datos").status_code == 401
    assert chat.ack_for(NAME, "c1") is None
    freshness = app.extensions["soporte.freshness"]
    assert NAME not in freshness._newest and NAME not in freshness._recent
    assert chat.writer.pending_rows(NAME) == [] and NAME not in chat.conversations.order
    assert app.extensions["soporte.typing"].allow(NAME, NAME)  # forgotten: allowed again at once


def test_an_appended_holder_exports_and_erases_after_the_account(app, cookie_client, tmp_path):
    """A holder appended to HOLDERS (as attachments will be): its files are in the archive, its erase runs
    before the account's row goes, and what it returns runs after the commit."""
    seed(app)
    stored_file = tmp_path / "adjunto.bin"
    stored_file.write_bytes(b"\x89PNG datos del cliente")
    seen = []

    def export(customer):
        yield "1-foto.png", stored_file.read_bytes()

    def erase(customer):
        seen.append(db.session.scalar(select(Usuario.usuario).where(Usuario.id == customer.id)))
        return [stored_file.unlink]

    from soporte.privacy.holders import Holder
    HOLDERS.append(Holder("adjuntos", export, erase))
    try:
        admin = cookie_client("admin")
        zipped = archive(admin.get(f"/api/clientes/{NAME}/datos"))
        assert zipped.read("adjuntos/1-foto.png") == b"\x89PNG datos del cliente"
        assert admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME},
                            headers={"X-CSRFToken": csrf(admin)}).status_code == 200
    finally:
        HOLDERS.pop()
    assert seen == [NAME]  # the account was still there
    assert not stored_file.exists()
