"""Login, logout, registration and the page guard, as PROTOCOL.md's "Identity" describes them."""
import time

import jwt
import pytest

from conftest import CSRF_FIELD, OWN_PAGE, PASSWORD, TEST_SECRETS, account, login, make_token
from soporte.extensions import db
from soporte.models import Usuario


def set_cookies(response):
    """The response's Set-Cookie headers by cookie name: (value, {attribute: value})."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        pair, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = pair.partition("=")
        attrs = {}
        for attribute in attributes:
            key, _, val = attribute.partition("=")
            attrs[key.lower()] = val
        cookies[name] = (value, attrs)
    return cookies


def csrf_token(client, page="/login"):
    """The CSRF token a page renders in its form."""
    return CSRF_FIELD.search(client.get(page).get_data(as_text=True)).group(1)



# --- login ------------------------------------------------------------------

@pytest.mark.parametrize("username, rol", [("ana", "user"), ("admin", "admin")])
def test_login_sets_the_token_cookie_and_redirects_to_the_chat(client, username, rol):
    """Success: 302 to /soporte and an HttpOnly, SameSite=Lax cookie holding an HS256 JWT."""
    before = int(time.time())
    response = login(client, username)
    assert response.status_code == 302
    assert response.headers["Location"] == "/soporte"

    value, attrs = set_cookies(response)["token"]
    assert "httponly" in attrs
    assert attrs.get("samesite") == "Lax"
    assert "secure" not in attrs  # COOKIE_SECURE is off by default
    assert attrs.get("path") == "/"

    assert jwt.get_unverified_header(value)["alg"] == "HS256"
    claims = jwt.decode(value, TEST_SECRETS["JWT_SECRET"], algorithms=["HS256"])
    assert {"user", "name", "rol", "exp", "iat"} <= set(claims)  # the contract's claims (more may be added)
    assert claims["user"] == username
    assert claims["name"] == username.capitalize()
    assert claims["rol"] == rol
    assert before - 1 <= claims["iat"] <= time.time() + 1
    assert claims["exp"] - claims["iat"] == 3600
    with pytest.raises(jwt.InvalidSignatureError):  # signed with JWT_SECRET, not SECRET_KEY
        jwt.decode(value, TEST_SECRETS["SECRET_KEY"], algorithms=["HS256"])

    assert client.get("/soporte").status_code == 200


def test_login_cookie_is_secure_where_configured(app, client):
    """COOKIE_SECURE adds the Secure flag."""
    app.config["COOKIE_SECURE"] = True
    _, attrs = set_cookies(login(client, "ana"))["token"]
    assert "secure" in attrs and "httponly" in attrs and attrs.get("samesite") == "Lax"


def test_token_lifetime_follows_jwt_expires(app, client):
    """JWT_EXPIRES (seconds) sets exp."""
    app.config["JWT_EXPIRES"] = 60
    value, _ = set_cookies(login(client, "ana"))["token"]
    claims = jwt.decode(value, TEST_SECRETS["JWT_SECRET"], algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize("username, password", [
    ("ana", "not-the-password"),
    ("ana", ""),
    ("nadie", PASSWORD),  # unknown user: the same answer, no hint that the name is free
    ("", ""),
])
def test_bad_credentials_get_401_and_no_cookie(client, username, password):
    """Failure: 401, the login page with a message, no token cookie; the chat stays closed."""
    response = login(client, username, password)
    assert response.status_code == 401
    assert "token" not in set_cookies(response)
    page = response.get_data(as_text=True)
    assert "Usuario o contraseña incorrectos" in page
    assert 'name="pass"' in page  # the login form again
    assert client.get("/soporte").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    """CSRF protection: a POST without the form's token is 400 and sets no cookie."""
    response = client.post("/login", data={"user": "ana", "pass": PASSWORD})
    assert response.status_code == 400
    assert "token" not in set_cookies(response)
    response = client.post("/login", data={"user": "ana", "pass": PASSWORD, "csrf_token": "forjado"})
    assert response.status_code == 400
    assert "token" not in set_cookies(response)
    assert client.get_cookie("token") is None


def test_login_page_sends_a_logged_in_user_to_the_chat(client):
    login(client, "ana")
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/soporte"


def test_login_when_the_database_is_down_is_503_without_cookie(app, client):
    """A database failure during login is a clear 503, not a crash, and logs no one in."""
    token = csrf_token(client)
    with app.app_context():
        Usuario.__table__.drop(db.engine)
    response = client.post("/login", data={"user": "ana", "pass": PASSWORD, "csrf_token": token})
    assert response.status_code == 503
    assert "token" not in set_cookies(response)
    assert "Traceback" not in response.get_data(as_text=True)


def test_logout_clears_the_cookie(client):
    """GET /logout expires the cookie and redirects to /login; the chat is closed again."""
    login(client, "ana")
    assert client.get("/soporte").status_code == 200
    response = client.get("/logout", headers=OWN_PAGE)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    value, attrs = set_cookies(response)["token"]
    assert value == ""
    assert attrs.get("max-age") == "0" or "1970" in attrs.get("expires", "")
    assert client.get_cookie("token") is None
    response = client.get("/soporte")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


# --- the page guard -----------------------------------------------------------

@pytest.mark.parametrize("cookie", [
    None,
    "basura",
    make_token(secret="otro-secreto-de-al-menos-32-bytes!!"),
    make_token(expires_in=-10),
])
def test_chat_page_redirects_to_login_without_a_valid_token(client, cookie):
    if cookie is not None:
        client.set_cookie("token", cookie)
    response = client.get("/soporte")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_chat_page_with_the_issued_token(client, token_for):
    client.set_cookie("token", token_for("ana"))
    assert client.get("/soporte").status_code == 200


def test_root_leads_to_the_chat(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/soporte"


# --- registration -------------------------------------------------------------

def register(client, **fields):
    """Post the registration form (with its CSRF token); fields default to a valid new customer."""
    data = {"user": "carla", "nombre": "Carla Pérez", "pass": "una-clave-larga", "pass2": "una-clave-larga"}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, "/registro")
    return client.post("/registro", data=data)


def test_registration_creates_a_customer_and_logs_in(app, client):
    """A new account is always a `user`, whatever the form says; the response logs it in."""
    response = register(client, rol="admin")
    assert response.status_code == 302 and response.headers["Location"] == "/soporte"
    value, attrs = set_cookies(response)["token"]
    assert "httponly" in attrs and attrs.get("samesite") == "Lax"
    claims = jwt.decode(value, TEST_SECRETS["JWT_SECRET"], algorithms=["HS256"])
    assert (claims["user"], claims["name"], claims["rol"]) == ("carla", "Carla Pérez", "user")

    usuario = account(app, "carla")
    assert (usuario.rol, usuario.nombre) == ("user", "Carla Pérez")
    assert usuario.password_hash.startswith("scrypt:")  # hashed, never stored in clear
    assert usuario.check_password("una-clave-larga")

    other = app.test_client()
    assert login(other, "carla", "una-clave-larga").status_code == 302


def test_registration_without_display_name_uses_the_username(app, client):
    assert register(client, nombre="").status_code == 302
    assert account(app, "carla").nombre == "carla"


@pytest.mark.parametrize("fields, error", [
    ({"user": "ana"}, "ya existe"),
    ({"user": "admin"}, "ya existe"),  # the support inbox, also an existing agent
    ({"pass": "corta", "pass2": "corta"}, "al menos 8"),
    ({"pass2": "otra-clave-larga"}, "no coinciden"),
    ({"user": "ab"}, "de 3 a 64"),
    ({"user": "con espacio"}, "de 3 a 64"),
    ({"user": "x" * 65}, "de 3 a 64"),
])
def test_registration_refusals(app, client, fields, error):
    """Bad registrations answer 400 with a message, create nothing and set no cookie."""
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(Usuario))
    response = register(client, **fields)
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert "token" not in set_cookies(response)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Usuario)) == before
    ana = account(app, "ana")
    assert ana.rol == "user" and ana.check_password(PASSWORD)  # the existing account is untouched


def test_registration_refuses_a_configured_inbox_name(app, client):
    """The support inbox's name is taken even when no account has it."""
    app.config["SUPPORT_INBOX"] = "soporte"
    response = register(client, user="soporte")
    assert response.status_code == 400
    assert account(app, "soporte") is None


@pytest.mark.parametrize("username", ["Ana", "ANA", "ana.", "_ana", " ana ", "Admin", "ADMIN", "admin.", "Agente2",
                                      "AGENTE2"])
def test_registration_refuses_a_look_alike_of_an_existing_name(app, client, username):
    """Usernames are unique without regard to case, and to separators at the ends."""
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(Usuario))
    response = register(client, user=username)
    assert response.status_code == 400
    assert "Ese nombre de usuario ya existe" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Usuario)) == before


def test_registration_treats_inner_separators_as_one(app, client):
    """'.', '_' and '-' inside a name are the same character: carla.perez and Carla_Perez clash."""
    assert register(client, user="carla.perez").status_code == 302
    response = register(app.test_client(), user="Carla_Perez")
    assert response.status_code == 400 and "ya existe" in response.get_data(as_text=True)
    assert account(app, "Carla_Perez") is None


@pytest.mark.parametrize("inbox, username", [("admin", "Admin."), ("ayuda", "AYUDA"), ("ayuda", "ayuda")])
def test_registration_refuses_the_inbox_name_in_any_case(app, client, inbox, username):
    """The inbox's name is reserved in any case, even when no account holds it."""
    app.config["SUPPORT_INBOX"] = inbox
    response = register(client, user=username)
    assert response.status_code == 400
    assert account(app, username) is None


@pytest.mark.parametrize("username", ["soporte", "Support", "SOPORTE."])
def test_registration_refuses_support_as_a_username(app, client, username):
    """'soporte' and 'support' are for the team, whatever the inbox is called."""
    response = register(client, user=username, nombre="Carla")
    assert response.status_code == 400
    assert "reservado para el equipo de soporte" in response.get_data(as_text=True)
    assert account(app, username) is None


@pytest.mark.parametrize("nombre", ["Soporte", "SOPORTE", "Sopórte", "S o p o r t e", "Ｓｏｐｏｒｔｅ", "Support",
                                    "support.", "Admin", "agente 2", "Agente2", "Soporte\u200b"])
def test_registration_refuses_a_display_name_posing_as_support(app, client, nombre):
    """A customer's display name may not read as support, the inbox or an agent (accents,
    case, spaces, punctuation and compatibility forms aside)."""
    response = register(client, nombre=nombre)
    assert response.status_code == 400
    assert "se parece al del equipo de soporte" in response.get_data(as_text=True)
    assert account(app, "carla") is None


def test_registration_refuses_an_agents_display_name(app, client):
    """An agent's display name (not only the username) is reserved for customers."""
    with app.app_context():
        db.session.execute(db.update(Usuario).filter_by(usuario="agente2").values(nombre="María García"))
        db.session.commit()
    response = register(client, nombre="maria garcia")
    assert response.status_code == 400 and "se parece al del equipo de soporte" in response.get_data(as_text=True)
    response = register(client, user="mariagarcia", nombre="")  # the display name defaults to the username
    assert response.status_code == 400
    assert register(client, nombre="María Pérez").status_code == 302  # only the whole name is reserved


def test_registration_refusals_in_english(app, client):
    """The new refusals have their English."""
    client.set_cookie("idioma", "en")
    assert "That username already exists" in register(client, user="ANA").get_data(as_text=True)
    assert "reserved for the support team" in register(client, user="support").get_data(as_text=True)
    assert "looks like the support team" in register(client, nombre="Soporte").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["ANA", "Ana", "ana.", " ana"])
def test_login_finds_the_account_in_any_case(client, typed):
    """The login name is compared as registration compares it; the token carries the stored name."""
    response = login(client, typed)
    assert response.status_code == 302
    claims = jwt.decode(client.get_cookie("token").value, TEST_SECRETS["JWT_SECRET"], algorithms=["HS256"])
    assert claims["user"] == "ana"


def test_registration_can_be_closed(app, client):
    """REGISTRATION_OPEN=False: the page says so (403) and a POST creates nothing."""
    app.config["REGISTRATION_OPEN"] = False
    assert client.get("/registro").status_code == 403
    response = client.post("/registro", data={
        "user": "carla", "pass": "una-clave-larga", "pass2": "una-clave-larga",
        "csrf_token": csrf_token(client)})
    assert response.status_code == 403
    assert "token" not in set_cookies(response)
    assert account(app, "carla") is None


def test_registration_needs_csrf(app, client):
    response = client.post("/registro", data={"user": "carla", "pass": "una-clave-larga",
                                              "pass2": "una-clave-larga"})
    assert response.status_code == 400
    assert account(app, "carla") is None


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Referer": "https://evil.example/page"}, {"Origin": "null"}, {}])
def test_logout_from_another_site_only_asks(client, headers):
    """A foreign page's link to /logout, or a GET that says nothing of where it comes from
    (an old browser, a script, a privacy proxy), gets a confirm page (a CSRF form) and the login stays."""
    login(client, "ana")
    response = client.get("/logout", headers=headers)
    assert response.status_code == 200 and 'name="csrf_token"' in response.get_data(as_text=True)
    assert client.get_cookie("token") is not None
    assert client.get("/soporte").status_code == 200


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "same-origin"}, {"Referer": "http://localhost/soporte"}])
def test_logout_link_of_our_own_page_still_works(client, headers):
    """The page's own Salir link (same-origin GET) logs out at once."""
    login(client, "ana")
    response = client.get("/logout", headers=headers)
    assert response.status_code == 302 and client.get_cookie("token") is None


def test_logout_confirm_form_posts_with_csrf(client):
    """The confirm page's form logs out; a POST without its token is refused and the login stays."""
    login(client, "ana")
    assert client.post("/logout").status_code == 400
    assert client.get_cookie("token") is not None
    page = client.get("/logout", headers={"Sec-Fetch-Site": "cross-site"}).get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and client.get_cookie("token") is None
