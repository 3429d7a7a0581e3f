"""The widget's JSON routes: guests, verified identity and what the widget offers; guests as customers everywhere."""
import hashlib
import hmac
import io
import re
import time
import zipfile

import jwt
import pytest
from sqlalchemy import select, update

from conftest import TEST_LIMITS, TEST_SECRETS, account, make_token, stored_messages
from test_correo import html_of, mail_app, set_email, smtp, text_of  # noqa: F401  (fixtures)
from soporte import create_app
from soporte.accounts.directory import get_directory
from soporte.accounts.lookup import customer_username_error
from soporte.accounts.revocation import get_revocations
from soporte.accounts.tokens import read_token
from soporte.extensions import db, socketio
from soporte.models import Usuario

SECRET = "el-secreto-del-sitio-web-0123456789"
GUEST_NAME = re.compile(r"invitado-[0-9a-f]{8}")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_guest(client, body=None, **kwargs):
    return client.post("/api/widget/invitado", json=body if body is not None else {}, **kwargs)


def sign(external_id, secret=SECRET):
    """What a website computes on its server (the README's Python line)."""
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def identify(client, external_id, digest=None, **details):
    return client.post("/api/widget/identidad",
                       json={"id": external_id, "hash": digest or sign(external_id), **details})


# --- GET /api/widget/config -----------------------------------------------------------------

def test_config_says_what_the_widget_offers(app, client):
    body = client.get("/api/widget/config").get_json()
    assert body["invitados"] is True and body["identidad"] is False
    assert body["prechat"] == [{"campo": "nombre", "obligatorio": False}]
    assert body["horario"]["abierto"] is True and body["agentes_en_linea"] is False
    app.config.update(GUESTS_ENABLED=False, IDENTITY_SECRET=SECRET,
                      PRECHAT_FIELDS=[("nombre", True), ("email", False)])
    body = client.get("/api/widget/config").get_json()
    assert (body["invitados"], body["identidad"]) == (False, True)
    assert body["prechat"] == [{"campo": "nombre", "obligatorio": True}, {"campo": "email", "obligatorio": False}]


def test_config_knows_when_an_agent_is_online(client, connect):
    connect("admin")
    assert client.get("/api/widget/config").get_json()["agentes_en_linea"] is True


# --- POST /api/widget/invitado ----------------------------------------------------------------

def test_a_guest_is_a_customer_with_a_generated_name_and_a_token_no_cookie(app, client):
    answer = new_guest(client)
    assert answer.status_code == 201
    body = answer.get_json()
    assert GUEST_NAME.fullmatch(body["usuario"])
    assert body["nombre"] == f"Visitante {body['usuario'][9:13]}"
    assert "token=" not in answer.headers.get("Set-Cookie", "")
    stored = account(app, body["usuario"])
    assert (stored.rol, stored.invitado, stored.externo_id, stored.email) == ("user", True, None, None)
    assert not stored.check_password("") and not stored.check_password("!")
    # the token is an ordinary customer's: the history answers it
    assert client.get("/api/mensajes/mios", headers=bearer(body["token"])).get_json() == []
    assert new_guest(client).get_json()["usuario"] != body["usuario"]


def test_the_name_and_email_of_the_prechat_form_are_kept(app, client):
    body = new_guest(client, {"nombre": "  Lucía   Pérez ", "email": "Lucia@Example.COM"}).get_json()
    assert body["nombre"] == "Lucía Pérez"
    stored = account(app, body["usuario"])
    # as an account's address is stored (soporte/mail/addresses.py): the email of #11 writes to it, in her language
    assert (stored.nombre, stored.email, stored.idioma) == ("Lucía Pérez", "Lucia@example.com", "es")


def test_the_widgets_language_names_the_visitor(app, client):
    body = new_guest(client, query_string={"lang": "en"}).get_json()
    assert body["nombre"] == f"Visitor {body['usuario'][9:13]}"


@pytest.mark.parametrize("body, error", [
    ({"email": "no es un correo"}, "La dirección de correo no es válida"),
    ({"nombre": "Soporte"}, "Ese nombre se parece al del equipo de soporte; elige otro"),
    ({"nombre": "x" * 129}, "El nombre es demasiado largo"),
    ({"nombre": 5}, "El nombre y el correo deben ser texto"),
    (["nombre"], "El cuerpo debe ser un objeto JSON"),
])
def test_bad_prechat_answers_are_refused(app, client, body, error):
    answer = new_guest(client, body)
    assert answer.status_code == 400 and answer.get_json() == {"error": error}
    with app.app_context():
        assert db.session.scalar(select(Usuario.id).filter_by(invitado=True)) is None


def test_required_prechat_fields_must_be_given(app, client):
    app.config["PRECHAT_FIELDS"] = [("nombre", False), ("email", True)]
    answer = new_guest(client, {"nombre": "Lucía"})
    assert answer.status_code == 400 and answer.get_json() == {"error": "Escribe tu dirección de correo"}
    assert new_guest(client, {"email": "lucia@example.com"}).status_code == 201
    app.config["PRECHAT_FIELDS"] = [("nombre", True)]
    assert new_guest(client, {"nombre": "   "}).get_json() == {"error": "Escribe tu nombre"}


def test_guests_switched_off_get_403(app, client):
    app.config["GUESTS_ENABLED"] = False
    answer = new_guest(client)
    assert answer.status_code == 403 and "error" in answer.get_json()


def test_a_non_json_body_is_a_400_not_a_crash(client):
    answer = client.post("/api/widget/invitado", data="nombre=Ana", content_type="text/plain")
    assert answer.status_code == 400
    assert client.post("/api/widget/invitado").status_code == 201  # no body at all: a guest with no details


def test_generated_names_cannot_be_registered(app):
    with app.test_request_context():
        for name in ("invitado-12345678", "Invitado_abc", "verificado-00000000", "_invitado.x"):
            assert customer_username_error(name) == "Ese nombre de usuario está reservado", name
        assert customer_username_error("invitados") is None


def limited_app(app, tmp_path, **settings):
    """Another app on the test database with these settings (the limiter and proxy handling are set at startup)."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "SPOOL_DIR": str(tmp_path / "spool-limited"), **TEST_SECRETS, **TEST_LIMITS, **settings},
                      instance_path=str(tmp_path / "instance-limited"))


def test_guest_creation_is_rate_limited_per_client_address(app, tmp_path):
    limited = limited_app(app, tmp_path, GUEST_RATE_LIMIT="2 per hour")
    try:
        client = limited.test_client()
        here, there = {"REMOTE_ADDR": "198.51.100.7"}, {"REMOTE_ADDR": "198.51.100.8"}
        assert new_guest(client, {"email": "mal"}, environ_base=here).status_code == 400  # refusals do not count
        assert [new_guest(client, environ_base=here).status_code for _ in range(3)] == [201, 201, 429]
        refused = new_guest(client, environ_base=here)
        assert refused.status_code == 429 and refused.headers["Retry-After"]
        assert "error" in refused.get_json()
        assert new_guest(client, environ_base=there).status_code == 201  # another address has its own
    finally:
        limited.extensions["soporte"].writer.close(timeout=1)


def test_behind_a_proxy_the_limit_counts_the_forwarded_address(app, tmp_path):
    """TRUSTED_PROXIES=1 (deploy/nginx.conf): the client's address is the proxy's X-Forwarded-For."""
    limited = limited_app(app, tmp_path, GUEST_RATE_LIMIT="1 per hour", TRUSTED_PROXIES=1)
    try:
        client = limited.test_client()
        proxy = {"REMOTE_ADDR": "10.0.0.1"}
        first = {"X-Forwarded-For": "203.0.113.1"}
        assert new_guest(client, environ_base=proxy, headers=first).status_code == 201
        assert new_guest(client, environ_base=proxy, headers=first).status_code == 429
        assert new_guest(client, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 201
    finally:
        limited.extensions["soporte"].writer.close(timeout=1)


# --- guests are customers in every inbox feature ------------------------------------------------

def test_a_guests_conversation_reaches_the_agents_and_is_exported_and_erased(app, client, cookie_client, connect):
    body = new_guest(client, {"nombre": "Lucía", "email": "lucia@example.com"}).get_json()
    guest = socketio.test_client(app, auth={"token": body["token"]})
    assert guest.is_connected()
    assert guest.emit("mensaje_privado", {"para": "admin", "mensaje": "hola desde la web", "cid": "w1"},
                      callback=True)["ok"] is True
    stored_messages(app)
    admin = cookie_client("admin")
    rows = {row["usuario"]: row for row in admin.get("/api/conversaciones").get_json()}
    assert rows[body["usuario"]]["nombre"] == "Lucía"  # in the agents' list, by the name she gave
    panel = admin.get(f"/api/clientes/{body['usuario']}").get_json()
    assert (panel["nombre"], panel["invitado"], panel["verificado"]) == ("Lucía", True, False)
    agent = connect("admin")
    assert agent.emit("asignar_conversacion", {"con": body["usuario"], "agente": "admin"}, callback=True)["ok"] is True
    assert agent.emit("mensaje_privado", {"para": body["usuario"], "mensaje": "¿En qué te ayudo?", "cid": "a1"},
                      callback=True)["ok"] is True
    stored_messages(app)
    history = client.get("/api/mensajes/mios", headers=bearer(body["token"])).get_json()
    assert [m["mensaje"] for m in history] == ["hola desde la web", "¿En qué te ayudo?"]
    assert history[0]["de_nombre"] == "Lucía"
    guest.disconnect()

    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin").values(supervisor=True))
        db.session.commit()
    csrf = CSRF_META.search(admin.get("/soporte").get_data(as_text=True)).group(1)
    archive = admin.get(f"/api/clientes/{body['usuario']}/datos")
    assert archive.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(archive.get_data()))
    assert '"invitado": true' in files.read("cuenta.json").decode()
    assert "hola desde la web" in files.read("mensajes/transcripcion.txt").decode()
    # the guest downloads their own with the header alone
    assert client.get("/api/mis-datos", headers=bearer(body["token"])).status_code == 200
    erased = admin.delete(f"/api/clientes/{body['usuario']}", json={"confirmar": body["usuario"]},
                          headers={"X-CSRFToken": csrf})
    assert erased.status_code == 200, erased.get_json()
    assert account(app, body["usuario"]) is None
    assert client.get("/api/mensajes/mios", headers=bearer(body["token"])).status_code == 401
    assert client.post("/api/widget/renovar", headers=bearer(body["token"])).status_code == 401  # nor renewed


# --- POST /api/widget/identidad -----------------------------------------------------------------

@pytest.fixture
def identity_on(app):
    app.config["IDENTITY_SECRET"] = SECRET
    return app


def test_identity_off_is_refused(client):
    answer = identify(client, "cliente-42")
    assert answer.status_code == 403 and "error" in answer.get_json()


def test_a_verified_id_is_one_customer_on_every_call(identity_on, client):
    first = identify(client, "u-42", nombre="Marta Gil", email="marta@example.com")
    assert first.status_code == 200
    body = first.get_json()
    assert body["usuario"].startswith("verificado-") and body["nombre"] == "Marta Gil"
    assert "token=" not in first.headers.get("Set-Cookie", "")
    again = identify(identity_on.test_client(), "u-42", digest=sign("u-42").upper()).get_json()  # another device
    assert again["usuario"] == body["usuario"] and again["token"] != body["token"]
    stored = account(identity_on, body["usuario"])
    assert (stored.externo_id, stored.invitado, stored.email) == ("u-42", False, "marta@example.com")
    assert client.get("/api/mensajes/mios", headers=bearer(again["token"])).status_code == 200
    assert identify(client, "u-43").get_json()["usuario"] != body["usuario"]


def test_a_verified_call_updates_the_name_and_email(identity_on, client):
    usuario = identify(client, "u-7", nombre="Marta").get_json()["usuario"]
    answer = identify(client, "u-7", nombre="Marta Gil", email="marta.gil@example.com").get_json()
    assert answer["nombre"] == "Marta Gil"
    stored = account(identity_on, usuario)
    assert (stored.nombre, stored.email) == ("Marta Gil", "marta.gil@example.com")
    identify(client, "u-7")  # nothing given: nothing changes
    assert account(identity_on, usuario).nombre == "Marta Gil"


@pytest.mark.parametrize("digest", [sign("u-1", "otro-secreto-de-otro-sitio-web-9876"), sign("u-2"), "0" * 64,
                                    "zz" * 32, "", 42, None])
def test_a_wrong_hash_is_refused(identity_on, client, digest):
    answer = client.post("/api/widget/identidad", json={"id": "u-1", "hash": digest})
    assert answer.status_code == 403, digest
    assert answer.get_json() == {"error": "La firma de la identidad no es válida"}
    with identity_on.app_context():
        assert db.session.scalar(select(Usuario.id).where(Usuario.externo_id.is_not(None))) is None


@pytest.mark.parametrize("external_id", ["", "x" * 129, "con espacio", "ñandú", "a/b", 42, None, ["u-1"]])
def test_a_malformed_id_is_refused(identity_on, client, external_id):
    answer = client.post("/api/widget/identidad", json={"id": external_id, "hash": "0" * 64})
    assert answer.status_code == 400 and "error" in answer.get_json()


def test_a_verified_call_with_a_bad_email_is_a_400(identity_on, client):
    answer = identify(client, "u-9", email="nada")
    assert answer.status_code == 400 and answer.get_json() == {"error": "La dirección de correo no es válida"}


def test_a_deactivated_verified_customer_gets_no_token(identity_on, client):
    usuario = identify(client, "u-5").get_json()["usuario"]
    with identity_on.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == usuario).values(activo=False))
        db.session.commit()
    assert identify(client, "u-5").status_code == 403


# --- the README's one-liners ---------------------------------------------------------------------

README_LINE = re.compile(r"```(python|js)\n(.*?)\n```", re.S)


def readme_one_liners():
    from conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Chat from your website", 1)[1].split("\n## ", 1)[0]
    return dict(README_LINE.findall(section))


def test_the_readmes_python_and_node_lines_compute_the_hash_soporte_accepts(identity_on, client):
    """What a website copies from the README makes a hash that POST /api/widget/identidad takes."""
    import hashlib as hashlib_module
    import hmac as hmac_module
    import shutil
    import subprocess

    lines = readme_one_liners()
    python_hash = eval(lines["python"].split("  #")[0], {"hmac": hmac_module, "hashlib": hashlib_module,
                                                        "IDENTITY_SECRET": SECRET, "user_id": 42})
    assert identify(client, "42", digest=python_hash).status_code == 200
    if shutil.which("node") is None:
        pytest.skip("no node to run the README's Node line")
    script = f"const IDENTITY_SECRET = {SECRET!r}; const userId = 42; console.log({lines['js']});"
    node_hash = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30,
                               check=True).stdout.strip()
    assert node_hash == python_hash


def test_a_valid_token_is_renewed_and_a_bad_one_is_not(app, client):
    body = new_guest(client).get_json()
    renewed = client.post("/api/widget/renovar", headers=bearer(body["token"]))
    assert renewed.status_code == 200
    fresh = renewed.get_json()
    assert (fresh["usuario"], fresh["nombre"]) == (body["usuario"], body["nombre"]) and fresh["token"] != body["token"]
    assert client.get("/api/mensajes/mios", headers=bearer(fresh["token"])).status_code == 200
    assert client.post("/api/widget/renovar", headers=bearer("no.es.token")).status_code == 401
    assert client.post("/api/widget/renovar").status_code == 401


def lifetime_of(token):
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["exp"] - claims["iat"]


def test_a_guests_token_lasts_guest_token_expires_and_a_verified_users_jwt_expires(identity_on, client):
    """A guest comes back days later with their token; a verified user is verified again on each visit."""
    assert lifetime_of(new_guest(client).get_json()["token"]) == 30 * 86400
    assert lifetime_of(identify(client, "u-3").get_json()["token"]) == 3600
    identity_on.config["GUEST_TOKEN_EXPIRES"] = 600
    guest = new_guest(client).get_json()
    assert lifetime_of(guest["token"]) == 600
    assert lifetime_of(client.post("/api/widget/renovar", headers=bearer(guest["token"])).get_json()["token"]) == 600


def test_a_guests_token_near_its_end_gets_a_full_life_and_an_expired_one_is_refused(client):
    usuario = new_guest(client).get_json()["usuario"]
    ending = make_token(user=usuario, name="Visitante", expires_in=5)
    renewed = client.post("/api/widget/renovar", headers=bearer(ending))
    assert renewed.status_code == 200 and renewed.get_json()["usuario"] == usuario
    assert lifetime_of(renewed.get_json()["token"]) == 30 * 86400
    expired = make_token(user=usuario, name="Visitante", iat=int(time.time()) - 100, expires_in=-10)
    answer = client.post("/api/widget/renovar", headers=bearer(expired))
    assert answer.status_code == 401 and "error" in answer.get_json()


def test_a_revoked_or_deactivated_guests_token_is_not_renewed(app, client):
    """A long-lived token must still end when its login is revoked or its account deactivated."""
    guest = new_guest(client).get_json()
    with app.app_context():
        claims = read_token(guest["token"])
        get_revocations().revoke(claims["jti"], claims["exp"])
    assert client.post("/api/widget/renovar", headers=bearer(guest["token"])).status_code == 401
    assert client.get("/api/mensajes/mios", headers=bearer(guest["token"])).status_code == 401

    other = new_guest(client).get_json()
    assert client.post("/api/widget/renovar", headers=bearer(other["token"])).status_code == 200
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == other["usuario"])
                           .values(activo=False, generacion=Usuario.generacion + 1))
        db.session.commit()
        get_directory().forget(other["usuario"])
    assert client.post("/api/widget/renovar", headers=bearer(other["token"])).status_code == 401


def test_renewal_takes_the_header_only_never_the_cookie(client, cookie_client):
    """The widget's blueprint checks no CSRF token, so its one logged-in route ignores the ambient cookie."""
    assert cookie_client("ana").post("/api/widget/renovar").status_code == 401


def test_only_guests_renew_their_tokens(identity_on, client, token_for):
    """A registered customer or an agent logs in again, a verified user is signed in again by the website."""
    assert client.post("/api/widget/renovar", headers=bearer(token_for("ana"))).status_code == 403
    assert client.post("/api/widget/renovar", headers=bearer(token_for("admin"))).status_code == 403
    verified = identify(client, "u-8").get_json()
    assert client.post("/api/widget/renovar", headers=bearer(verified["token"])).status_code == 403


def test_a_guest_who_left_an_address_gets_offline_replies_by_email(mail_app, smtp, client):
    """The email of #11: a guest is an address and a language like any customer's."""
    from test_correo import add_messages, run_round

    guest = new_guest(client, {"email": "lucia@example.com"}, query_string={"lang": "en"}).get_json()["usuario"]
    add_messages(mail_app, (guest, "admin", "¿hay alguien?"), ("admin", guest, "Sí, dime"))
    run_round(mail_app)
    assert [m["To"] for m in smtp.messages] == ["lucia@example.com"]
    assert smtp.messages[0]["Subject"] == "You have new replies from support"
    # no password: soporte's login page is no way back for a guest; the website is
    text, html = text_of(smtp.messages[0]), html_of(smtp.messages[0])
    assert "Sí, dime" in text and "/soporte" not in text and "/soporte" not in html
    assert "To reply, open the chat again on the website where you wrote to us, from the same browser." in text
    assert "open the chat again on the website where you wrote to us" in html


SITE = "https://tienda.example"


@pytest.fixture
def on_a_site(mail_app):
    """The widget allowed on one website."""
    mail_app.config["WIDGET_ORIGINS"] = [SITE]
    return mail_app


def test_a_guests_reply_email_sends_them_back_to_the_website_they_wrote_from(on_a_site, smtp, client):
    from test_correo import add_messages, run_round

    guest = new_guest(client, {"email": "lucia@example.com", "sitio": SITE}).get_json()["usuario"]
    assert account(on_a_site, guest).sitio == SITE
    add_messages(on_a_site, (guest, "admin", "¿hay alguien?"), ("admin", guest, "Sí, dime"))
    run_round(on_a_site)
    (message,) = smtp.messages
    assert message["Subject"] == "Tienes respuestas nuevas de soporte"
    text, html = text_of(message), html_of(message)
    assert "/soporte" not in text and "/soporte" not in html
    assert ("Para responder, vuelve a abrir el chat en la web donde nos escribiste, desde el mismo navegador: "
            f"{SITE}") in text
    assert f'<a href="{SITE}">{SITE}</a>' in html


@pytest.mark.parametrize("sitio", ["https://otra.example", "javascript:alert(1)", 42, ["https://tienda.example"]])
def test_a_site_not_allowed_is_not_kept_nor_mailed(on_a_site, client, sitio):
    """The email must never carry a link a visitor chose: only an origin of WIDGET_ORIGINS is kept."""
    answer = new_guest(client, {"email": "lucia@example.com", "sitio": sitio})
    assert answer.status_code == 201
    assert account(on_a_site, answer.get_json()["usuario"]).sitio is None


def test_a_guests_transcript_has_no_login_link_and_a_registered_customers_keeps_it(on_a_site, smtp, client,
                                                                                   cookie_client):
    from test_correo import PUBLIC_URL, add_messages, run_round

    guest = new_guest(client, {"email": "lucia@example.com", "sitio": SITE}).get_json()
    add_messages(on_a_site, (guest["usuario"], "admin", "Mi pedido"), ("admin", guest["usuario"], "Lo miro"))
    assert client.post("/api/correo/transcripcion", headers=bearer(guest["token"])).status_code == 202
    set_email(on_a_site, "ana", "ana@example.com")
    add_messages(on_a_site, ("ana", "admin", "Hola"))
    ana = cookie_client("ana")
    csrf = CSRF_META.search(ana.get("/soporte").get_data(as_text=True)).group(1)
    assert ana.post("/api/correo/transcripcion", headers={"X-CSRFToken": csrf}).status_code == 202
    on_a_site.config["REPLY_EMAIL_DELAY"] = 3600  # the transcripts only
    run_round(on_a_site)
    sent = {m["To"]: m for m in smtp.messages}
    guests, anas = sent["lucia@example.com"], sent["ana@example.com"]
    assert "/soporte" not in text_of(guests) and f"desde el mismo navegador: {SITE}" in text_of(guests)
    assert f"Volver a la conversación: {PUBLIC_URL}/soporte" in text_of(anas)  # unchanged for a registered customer
    assert f'href="{PUBLIC_URL}/soporte"' in html_of(anas) and "mismo navegador" not in text_of(anas)
