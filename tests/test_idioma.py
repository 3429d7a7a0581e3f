"""Spanish and English: the switch (POST /idioma), its cookie, the account's saved choice, safe redirects."""
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from conftest import CSRF_FIELD, OWN_PAGE, PASSWORD, account, login


def csrf(client, path="/login"):
    """A CSRF token from a page's form (the language switch has one on every page)."""
    return CSRF_FIELD.search(client.get(path).get_data(as_text=True)).group(1)


def switch(client, idioma, next_path="/login", token=None):
    return client.post("/idioma", data={"idioma": idioma, "next": next_path,
                                        "csrf_token": token or csrf(client)})


def test_spanish_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="es">' in html  # no catalog for the source language
    assert "Contraseña" in html and "<title>Entrar · Soporte</title>" in html


def test_switching_sets_the_cookie_and_renders_in_english(app, client):
    response = switch(client, "en")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("idioma=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en" data-catalogo="/static/i18n/en.json?v=' in html
    assert "<title>Log in · Support</title>" in html and ">Password</label>" in html
    assert ">Username</label>" in html and "Create an account" in html
    # the page scripts' catalog is there, at the URL the page names
    catalogo = html.split('data-catalogo="')[1].split('"')[0].replace("&amp;", "&")
    assert client.get(catalogo).get_json()["Conectado"] == "Connected"
    # and back
    switch(client, "es")
    assert "Contraseña" in client.get("/login").get_data(as_text=True)


def test_the_cookie_is_secure_over_https(client):
    token = csrf(client)
    response = client.post("/idioma", data={"idioma": "en", "next": "/login", "csrf_token": token},
                           base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"})  # CSRF over HTTPS checks it
    assert "Secure" in response.headers["Set-Cookie"]


def test_server_messages_follow_the_language(client):
    switch(client, "en")
    response = client.post("/login", data={"user": "ana", "pass": "mala", "csrf_token": csrf(client)})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    response = client.post("/registro", data={"user": "nuevo", "pass": "corta", "pass2": "corta",
                                              "csrf_token": csrf(client, "/registro")})
    assert "The password must have at least 8 characters" in response.get_data(as_text=True)


def test_a_logged_in_switch_is_saved_and_follows_the_account(app, as_user):
    """Saved in usuarios.idioma: a browser without the cookie gets it at login, and after logout/login."""
    admin = as_user("admin")
    assert switch(admin, "en", "/soporte", csrf(admin, "/soporte")).headers["Location"] == "/soporte"
    assert account(app, "admin").idioma == "en"
    assert "Support inbox" in admin.get("/soporte").get_data(as_text=True)

    other_browser = app.test_client()  # no idioma cookie: Spanish until the login says who it is
    assert "Contraseña" in other_browser.get("/login").get_data(as_text=True)
    response = login(other_browser, "admin")
    assert "idioma=en;" in " ".join(response.headers.getlist("Set-Cookie"))
    assert "Support inbox" in other_browser.get("/soporte").get_data(as_text=True)

    admin.get("/logout", headers=OWN_PAGE)
    assert "Password" in admin.get("/login").get_data(as_text=True)  # the browser's cookie stays
    login(admin, "admin")
    assert "Support inbox" in admin.get("/soporte").get_data(as_text=True)


def test_without_the_cookie_the_saved_language_is_read(app, as_user):
    """A logged-in browser that lost the cookie still gets the account's language (one query)."""
    admin = as_user("admin")
    switch(admin, "en", "/soporte", csrf(admin, "/soporte"))
    admin.delete_cookie("idioma")
    assert "Support inbox" in admin.get("/soporte").get_data(as_text=True)


def test_the_saved_language_wins_over_the_browser_at_login(app, client):
    """Another person's choice on a shared browser does not override an account's saved one."""
    with app.app_context():
        from soporte.web.i18n import save_language

        save_language("ana", "es")
    switch(client, "en")
    response = login(client, "ana")
    assert "idioma=es;" in " ".join(response.headers.getlist("Set-Cookie"))
    assert "Escribe tu mensaje" in client.get("/soporte").get_data(as_text=True)


def test_a_choice_made_before_login_becomes_the_accounts(app, client):
    switch(client, "en")
    login(client, "bob")
    assert account(app, "bob").idioma == "en"


def test_a_choice_made_before_signing_up_is_the_new_accounts(app, client):
    switch(client, "en", "/registro")
    response = client.post("/registro", data={"user": "nueva", "nombre": "Nueva", "pass": PASSWORD,
                                              "pass2": PASSWORD, "csrf_token": csrf(client, "/registro")})
    assert response.status_code == 302
    assert account(app, "nueva").idioma == "en"


@pytest.mark.parametrize("idioma", ["", "fr", "EN", "en-US", "es;", "x" * 100])
def test_a_bad_language_is_400_and_changes_nothing(client, idioma):
    response = switch(client, idioma)
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "idioma=" not in response.headers["Set-Cookie"]
    assert "Contraseña" in client.get("/login").get_data(as_text=True)


def test_a_missing_language_is_400(client):
    assert client.post("/idioma", data={"csrf_token": csrf(client)}).status_code == 400


def test_csrf_is_required(client):
    client.get("/login")  # a session, but no token in the form
    response = client.post("/idioma", data={"idioma": "en", "next": "/login"})
    assert response.status_code == 400
    assert "idioma=" not in response.headers.get("Set-Cookie", "")
    response = client.post("/idioma", data={"idioma": "en", "next": "/login", "csrf_token": "falso"})
    assert response.status_code == 400


def token_made(app, client, seconds_ago):
    """A CSRF token of this client's session as a page rendered `seconds_ago` would carry it."""
    client.get("/login")
    with client.session_transaction() as session:
        raw = session["csrf_token"]

    class Then(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=Then).dumps(raw)


def test_a_page_open_for_hours_can_still_switch(app, client):
    """Flask-WTF's tokens last an hour; an inbox open since the morning must still switch."""
    assert switch(client, "en", token=token_made(app, client, 5 * 3600)).status_code == 302
    assert client.post("/login", data={"user": "ana", "pass": "x",  # other forms keep the 1 h limit
                                       "csrf_token": token_made(app, client, 5 * 3600)}).status_code == 400
    assert switch(client, "en", token=token_made(app, client, 8 * 24 * 3600)).status_code == 400


def test_over_https_the_referrer_must_be_this_site(client):
    token = csrf(client)
    response = client.post("/idioma", data={"idioma": "en", "next": "/login", "csrf_token": token},
                           base_url="https://localhost", headers={"Referer": "https://evil.example/"})
    assert response.status_code == 400
    response = client.post("/idioma", data={"idioma": "en", "next": "/login", "csrf_token": token},
                           base_url="https://localhost")
    assert response.status_code == 400


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example",
    "evil.example", "javascript:alert(1)", "", "\\\\evil.example",
])
def test_no_open_redirect(client, target):
    response = switch(client, "en", target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/soporte", "/login?x=1", "/operaciones"])
def test_local_paths_are_kept(client, target):
    assert switch(client, "en", target).headers["Location"] == target


def test_every_page_has_the_switch(client, cookie_client):
    pages = [(client, "/login"), (client, "/registro"), (cookie_client("ana"), "/soporte"),
             (cookie_client("admin"), "/soporte"), (cookie_client("admin"), "/operaciones")]
    for who, path in pages:
        html = who.get(path).get_data(as_text=True)
        assert 'action="/idioma"' in html and f'name="next" value="{path}"' in html, path
        assert 'value="en" lang="en"' in html and 'value="es" lang="es"' in html, path
