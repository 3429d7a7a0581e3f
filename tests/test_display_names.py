"""Display names where a person reads them: on messages (live and history) and in the page's header.

Usernames stay the ids (de, para, de_usuario, con); the display names are added beside them.
"""
import pytest

from conftest import stored_messages


def send(sio, payload):
    """Emit mensaje_privado and return its acknowledgement."""
    return sio.emit("mensaje_privado", payload, callback=True)


def received(sio):
    """The mensaje_recibido / mensaje_enviado payloads this socket received, by event."""
    return [(e["name"], e["args"][0]) for e in sio.get_received() if e["name"].startswith("mensaje_")]


def test_live_messages_carry_the_senders_display_name(connect):
    admin, agente2, ana = connect("admin"), connect("agente2"), connect("ana")
    ack = send(ana, {"para": "admin", "mensaje": "hola"})
    assert ack["ok"] is True
    [(event, payload)] = received(admin)
    assert (event, payload["de"], payload["nombre"]) == ("mensaje_recibido", "ana", "Ana")
    received(agente2)
    ack = send(admin, {"para": "ana", "mensaje": "¿en qué te ayudo?"})
    [(event, payload)] = received(ana)
    assert payload == {"de": "admin", "nombre": "Admin", "para": "ana", "mensaje": "¿en qué te ayudo?",
                       "id": ack["id"], "fecha": ack["fecha"]}
    assert received(agente2) == [("mensaje_enviado", payload)]


@pytest.mark.parametrize("stored", [False, True], ids=["pending", "stored"])
def test_history_carries_the_authors_display_names(app, connect, cookie_client, stored):
    """Both message routes, for rows still in the writer's hands and for stored ones."""
    ana, admin = connect("ana"), connect("admin")
    send(ana, {"para": "admin", "mensaje": "hola"})
    send(admin, {"para": "ana", "mensaje": "buenas"})
    if stored:
        stored_messages(app)
    for client, url in ((cookie_client("admin"), "/api/mensajes?con=ana"),
                        (cookie_client("ana"), "/api/mensajes/mios")):
        rows = client.get(url).get_json()
        assert [(m["de_usuario"], m["de_nombre"]) for m in rows] == [("ana", "Ana"), ("admin", "Admin")], url


def test_a_gone_account_reads_as_its_username(app, connect, cookie_client):
    from soporte.extensions import db
    from soporte.models import Usuario

    send(connect("bob"), {"para": "admin", "mensaje": "adiós"})
    stored_messages(app)
    with app.app_context():
        db.session.execute(db.delete(Usuario).filter_by(usuario="bob"))
        db.session.commit()
    [row] = cookie_client("admin").get("/api/mensajes?con=bob").get_json()
    assert (row["de_usuario"], row["de_nombre"]) == ("bob", "bob")


def test_search_results_carry_the_authors_display_names(app, connect, cookie_client):
    send(connect("ana"), {"para": "admin", "mensaje": "necesito una factura"})
    stored_messages(app)
    [found] = cookie_client("admin").get("/api/buscar?q=factura").get_json()["mensajes"]
    assert (found["de_usuario"], found["de_nombre"], found["conversacion"]) == ("ana", "Ana", "ana")


@pytest.mark.parametrize("username, idioma, role", [
    ("ana", "es", "cliente"), ("ana", "en", "customer"), ("admin", "es", "agente"), ("admin", "en", "agent"),
])
def test_the_header_shows_the_display_name_and_the_role_in_the_pages_language(cookie_client, username, idioma, role):
    client = cookie_client(username)
    client.set_cookie("idioma", idioma)
    html = client.get("/soporte").get_data(as_text=True)
    header = html.split('class="navbar-text py-0 quien">')[1].split("</span>")[0]
    assert f"<strong>{username.capitalize()}</strong> ({role})" in header
    assert "(user)" not in html and "(admin)" not in html
