"""`Authorization: Bearer <token>`: the widget's credential, accepted wherever the cookie is, and without CSRF."""
import io

import pytest

from conftest import stored_messages
from test_attachments import PDF
from test_security import BAD_TOKENS


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_bearer_header_reads_the_customers_history(app, client, token_for, connect):
    """GET /api/mensajes/mios with the header alone: the customer's own messages."""
    assert connect("ana").emit("mensaje_privado", {"para": "admin", "mensaje": "hola", "cid": "b1"},
                               callback=True)["ok"] is True
    stored_messages(app)
    answer = client.get("/api/mensajes/mios", headers=bearer(token_for("ana")))
    assert answer.status_code == 200
    assert [m["mensaje"] for m in answer.get_json()] == ["hola"]
    assert client.get("/api/mensajes/mios").status_code == 401


def test_bearer_header_uploads_without_a_csrf_token(client, token_for):
    """A state change authenticated by the header alone needs no CSRF token (no ambient credential)."""
    answer = client.post("/api/adjuntos", headers=bearer(token_for("ana")), content_type="multipart/form-data",
                         data={"archivo": (io.BytesIO(PDF), "factura.pdf")})
    assert answer.status_code == 201, answer.get_json()
    assert client.get("/api/mios/valoracion", headers=bearer(token_for("ana"))).get_json() == {
        "ciclo": None, "resuelta_en": None}


def test_a_request_carrying_the_cookie_still_needs_csrf(cookie_client, token_for):
    """The cookie is an ambient credential: with it, the CSRF check stays, header or not."""
    ana = cookie_client("ana")
    upload = {"archivo": (io.BytesIO(PDF), "factura.pdf")}
    assert ana.post("/api/adjuntos", content_type="multipart/form-data", data=upload).status_code == 400
    upload = {"archivo": (io.BytesIO(PDF), "factura.pdf")}
    answer = ana.post("/api/adjuntos", headers=bearer(token_for("ana")), content_type="multipart/form-data",
                      data=upload)
    assert answer.status_code == 400
    assert "CSRF" in answer.get_json()["error"]


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())  # forged, expired, alg none...
def test_bad_bearer_tokens_are_refused(client, token):
    """A forged, expired or unsigned bearer token: 401, for reads and writes alike."""
    assert client.get("/api/mensajes/mios", headers=bearer(token)).status_code == 401
    answer = client.post("/api/adjuntos", headers=bearer(token), content_type="multipart/form-data",
                         data={"archivo": (io.BytesIO(PDF), "factura.pdf")})
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "No autenticado"}


def test_other_schemes_and_an_empty_bearer_are_no_login(client, token_for):
    """Only the Bearer scheme carries a token; `Bearer ` with nothing is no login at all."""
    token = token_for("ana")
    for header in (f"Basic {token}", "Bearer ", "Bearer", token):
        assert client.get("/api/mensajes/mios", headers={"Authorization": header}).status_code == 401, header


def test_a_logged_out_bearer_token_is_refused(client, token_for):
    """Revocation holds for the header as for the cookie: POST /logout with the header ends that token."""
    token = token_for("ana")
    assert client.post("/logout", headers=bearer(token)).status_code == 302
    assert client.get("/api/mensajes/mios", headers=bearer(token)).status_code == 401



def test_the_widgets_socket_speaks_for_its_token_not_the_cookie(app, cookie_client, token_for):
    """auth {token, widget: true}: the widget's page connects as its visitor, whatever cookie rides along."""
    from soporte.extensions import socketio

    agent_browser = cookie_client("admin")
    sio = socketio.test_client(app, flask_test_client=agent_browser, auth={"token": token_for("ana"), "widget": True})
    assert sio.is_connected()
    ack = sio.emit("mensaje_privado", {"para": "admin", "mensaje": "soy Ana", "cid": "w1"}, callback=True)
    assert ack["ok"] is True
    stored = stored_messages(app)
    assert [(m["de_usuario"], m["mensaje"]) for m in stored] == [("ana", "soy Ana")]
    sio.disconnect()
    # without the flag the cookie still wins, as before; with it, no token is no login
    assert not socketio.test_client(app, flask_test_client=agent_browser, auth={"widget": True}).is_connected()


@pytest.mark.parametrize("query, idioma", [("?lang=en", "en"), ("", "es"), ("?lang=fr", "es")])
def test_a_bearer_request_chooses_its_language_with_lang(app, client, token_for, query, idioma):
    """The widget has no language cookie of ours: its ?lang= (static/js/rest.js) is the language of
    what the server writes for it, here the emails of an address it saves (usuarios.idioma)."""
    from soporte.extensions import db
    from soporte.models import Usuario

    answer = client.put(f"/api/correo{query}", headers=bearer(token_for("ana")), json={"email": "ana@example.com"})
    assert answer.status_code == 200, answer.get_json()
    with app.app_context():
        assert db.session.execute(db.select(Usuario.idioma).filter_by(usuario="ana")).scalar_one() == idioma


def test_lang_does_not_choose_for_a_cookie_request(app, cookie_client):
    """On the cookie pages the language stays the cookie's or the account's: ?lang= is the widget's."""
    ana = cookie_client("ana")
    html = ana.get("/soporte?lang=en").get_data(as_text=True)
    assert '<html lang="es"' in html
