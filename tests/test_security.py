"""Security with the test clients: tokens, roles checked against the database, logout and expiry,
CSRF, rate limits, headers, bad input, and one customer reaching for another's conversation.

What needs a real server (Origin, frames, raw packets, real websockets) is in test_security_live.py.
"""
import base64
import hashlib
import hmac
import json
import logging
import re
import time
import warnings

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy.exc import OperationalError

from conftest import CSRF_FIELD, OWN_PAGE, PASSWORD, TEST_SECRETS, free_port, login, redis_url, stored_messages
from soporte.config import split_origins
from soporte.accounts.directory import Directory
from soporte.extensions import db, socketio
from soporte.models import Usuario
from soporte.accounts.revocation import Revocations
from soporte.web.security import CONTENT_SECURITY_POLICY
from soporte.protocol import ENDED, TOO_MANY, TOO_MANY_REFUSED
from soporte.protocol import NO_LONGER_AGENT as NOT_AN_AGENT
from soporte.realtime.sessions import get_sessions
from soporte.realtime.throttle import TokenBucket

SECRET = TEST_SECRETS["JWT_SECRET"]
AGENT_ROUTES = ["/api/usuarios-conversaciones", "/api/mensajes?con=ana"]


def send(sio, payload, *more):
    """Emit mensaje_privado and return its acknowledgement."""
    return sio.emit("mensaje_privado", payload, *more, callback=True)


def received(sio):
    """The (event, payload) pairs a test socket got since the last call."""
    return [(e["name"], e["args"][0] if e["args"] else None) for e in sio.get_received()]


def set_role(app, username, rol):
    """Change an account's role in the database; rol None deletes the account."""
    with app.app_context():
        usuario = db.session.execute(db.select(Usuario).filter_by(usuario=username)).scalar_one()
        if rol is None:
            db.session.delete(usuario)
        else:
            usuario.rol = rol
        db.session.commit()
        db.session.remove()


# --- the JWT: every way a token can be wrong ---------------------------------------------------

def b64(data):
    """base64url without padding, as JWTs use."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hmac_token(header, payload, key=SECRET):
    """A JWT with any header, signed HMAC-SHA256 by hand (pyjwt refuses some of these keys)."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    key = key if isinstance(key, bytes) else key.encode()
    return f"{signing_input}.{b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


DAY = 24 * 3600


def claims(**changes):
    """Valid claims for the agent `admin`, with changes (a value of ... removes the claim)."""
    now = int(time.time())
    # exp a day on: the tokens are made at collection, and must be wrong only in what they say, however long the suite runs
    base = {"user": "admin", "name": "Admin", "rol": "admin", "iat": now, "exp": now + DAY,
            "jti": "j" * 22}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def hs256(**changes):
    """A token signed like soporte's, with changed claims."""
    return jwt.encode(claims(**changes), SECRET, algorithm="HS256")


def quietly(function, *args, **kwargs):
    """Call without warnings (pyjwt finds the 40-byte test secret short for HS384/HS512)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def bad_tokens():
    """Tokens that must never authenticate, by what is wrong with them."""
    now = int(time.time())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    valid = hs256()
    header, payload, signature = valid.split(".")
    return {
        "alg none": jwt.encode(claims(), None, algorithm="none"),
        "alg none, HS256 body": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg NONE": f"{b64({'alg': 'NONE', 'typ': 'JWT'})}.{payload}.",
        "HS512 with the secret": quietly(jwt.encode, claims(), SECRET, algorithm="HS512"),
        "HS384 with the secret": quietly(jwt.encode, claims(), SECRET, algorithm="HS384"),
        "RS256 with an attacker's key": jwt.encode(claims(), rsa_key, algorithm="RS256"),
        "ES256 with an attacker's key": jwt.encode(claims(), ec.generate_private_key(ec.SECP256R1()),
                                                   algorithm="ES256"),
        "RS256 header, HMAC with the secret": hmac_token({"alg": "RS256", "typ": "JWT"}, claims()),
        "HS256 keyed with a public key (confusion)": hmac_token({"alg": "HS256", "typ": "JWT"}, claims(),
                                                                key=public_pem),
        "unknown crit extension": hmac_token({"alg": "HS256", "crit": ["x-soporte"], "x-soporte": 1}, claims()),
        "bad signature": f"{header}.{payload}.{b64(b'x' * 32)}",
        "no signature": f"{header}.{payload}.",
        "tampered payload": f"{header}.{b64(claims(user='agente2'))}.{signature}",
        "signed with another secret": jwt.encode(claims(), "otro-secreto-de-al-menos-32-bytes!!"),
        "signed with SECRET_KEY": jwt.encode(claims(), TEST_SECRETS["SECRET_KEY"]),
        "expired": hs256(iat=now - 7200, exp=now - 10),
        "iat in the future": hs256(iat=now + DAY, exp=now + 2 * DAY),
        "no exp": hs256(exp=...),
        "no iat": hs256(iat=...),
        "no jti": hs256(jti=...),
        "no user": hs256(user=...),
        "no rol": hs256(rol=...),
        "exp as text": hs256(exp=str(now + DAY)),
        "iat as text": hs256(iat=str(now)),
        "exp as a list": hmac_token({"alg": "HS256", "typ": "JWT"}, claims(exp=[now + DAY])),
        "exp true": hmac_token({"alg": "HS256", "typ": "JWT"}, claims(exp=True)),
        "user as a number": hs256(user=7),
        "user as a list": hs256(user=["admin"]),
        "user null": hs256(user=None),
        "rol unknown": hs256(rol="root"),
        "rol as a list": hs256(rol=["admin"]),
        "jti as a number": hs256(jti=5),
        "jti as an object": hs256(jti={"a": 1}),
        "garbage": "esto-no-es-un-jwt",
        "three dots": "a.b.c",
        "two parts": f"{header}.{payload}",
        "four parts": f"{valid}.{signature}",
        "payload not JSON": f"{header}.{b64(b'hola')}.{signature}",
        "payload a JSON list": hmac_token({"alg": "HS256", "typ": "JWT"}, [1, 2]),
        "header not JSON": f"{b64(b'{alg')}.{payload}.{signature}",
        "not base64": "!!!.???.***",
        "long garbage": "A" * 3000,
    }


BAD_TOKENS = bad_tokens()


def test_the_control_token_is_accepted(client):
    """The baseline that every bad token changes is itself good (so each case tests one thing)."""
    client.set_cookie("token", hs256())
    assert client.get("/api/usuarios-conversaciones").status_code == 200


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_tokens_get_401_on_rest_and_no_socket(app, client, token):
    """Every bad token: 401 JSON on agent and customer routes, the login page for pages, no socket."""
    client.set_cookie("token", token)
    for route in AGENT_ROUTES + ["/api/mensajes/mios"]:
        response = client.get(route)
        assert response.status_code == 401, route
        assert response.get_json() == {"error": "No autenticado"}
    assert client.get("/soporte").headers["Location"].endswith("/login")
    assert not socketio.test_client(app, flask_test_client=client).is_connected()
    assert not socketio.test_client(app, auth={"token": token}).is_connected()


def test_issued_tokens_carry_a_random_jti(client, token_for):
    """Every login names its token with a fresh random jti (what logout revokes)."""
    first, second = (jwt.decode(token_for("ana"), SECRET, algorithms=["HS256"]) for _ in range(2))
    assert isinstance(first["jti"], str) and len(first["jti"]) >= 16
    assert first["jti"] != second["jti"]
    assert {"user", "name", "rol", "iat", "exp", "jti"} <= set(first)


# --- roles come from the database, not from the token --------------------------------------------

@pytest.fixture
def no_role_cache(app):
    """Check roles against the database on every request (ROLE_CACHE_TTL 0)."""
    app.config["ROLE_CACHE_TTL"] = 0


@pytest.mark.parametrize("route", AGENT_ROUTES)
def test_demoted_agent_loses_agent_routes(app, cookie_client, no_role_cache, route):
    """An agent's token stops opening agent routes once the database says customer."""
    agente2 = cookie_client("agente2")
    assert agente2.get(route).status_code == 200
    set_role(app, "agente2", "user")
    response = agente2.get(route)
    assert response.status_code == 403
    assert response.get_json() == {"error": "Solo para agentes de soporte"}


def test_deleted_account_is_logged_out_everywhere(app, cookie_client, token_for, no_role_cache):
    """A deleted account's token: 401 on every API route, the login page (no loop), no socket."""
    token = token_for("agente2")
    agente2 = cookie_client("agente2")
    set_role(app, "agente2", None)
    for route in AGENT_ROUTES + ["/api/mensajes/mios"]:
        assert agente2.get(route).status_code == 401, route
    assert agente2.get("/soporte").headers["Location"].endswith("/login")
    page = agente2.get("/login")
    assert page.status_code == 200 and CSRF_FIELD.search(page.get_data(as_text=True))
    assert not socketio.test_client(app, flask_test_client=agente2).is_connected()
    assert not socketio.test_client(app, auth={"token": token}).is_connected()


def test_role_cache_ttl_is_what_it_says(app, cookie_client):
    """Within ROLE_CACHE_TTL the cached role holds; at 0 every request asks the database."""
    app.config["ROLE_CACHE_TTL"] = 3600
    agente2 = cookie_client("agente2")
    assert agente2.get("/api/usuarios-conversaciones").status_code == 200
    set_role(app, "agente2", "user")
    assert agente2.get("/api/usuarios-conversaciones").status_code == 200  # cached
    app.config["ROLE_CACHE_TTL"] = 0
    assert agente2.get("/api/usuarios-conversaciones").status_code == 403


def test_demoted_agent_cannot_send_and_is_disconnected(app, connect, no_role_cache):
    """An agent demoted while connected: messages refused, nothing delivered; the sweep closes the socket;
    the same token reconnects as the customer the account now is."""
    agente2, ana, admin = connect("agente2"), connect("ana"), connect("admin")
    set_role(app, "agente2", "user")
    assert send(agente2, {"para": "ana", "mensaje": "hola"}) == {"ok": False, "error": NOT_AN_AGENT}
    assert received(ana) == [] and received(admin) == []
    with app.app_context():
        get_sessions().sweep()
    assert not agente2.is_connected()
    assert stored_messages(app) == []

    again = connect("agente2")  # the old token, the new role: not in the agents' room
    assert send(ana, {"para": "admin", "mensaje": "¿hola?"})["ok"] is True
    assert [e for e, _ in received(admin)] == ["mensaje_recibido"]
    assert received(again) == []


def test_deleted_agent_cannot_send_and_is_disconnected(app, connect, no_role_cache):
    """A deleted agent's live socket: refused at once, closed by the sweep."""
    agente2, ana = connect("agente2"), connect("ana")
    set_role(app, "agente2", None)
    assert send(agente2, {"para": "ana", "mensaje": "hola"}) == {"ok": False, "error": NOT_AN_AGENT}
    with app.app_context():
        get_sessions().sweep()
    assert not agente2.is_connected() and ana.is_connected()
    assert received(ana) == []


def test_directory_keeps_the_last_role_while_the_database_fails(app, monkeypatch):
    """A failing database: the last known role is used (and the database left alone for a moment);
    an account never looked up raises, so an agent-only check fails closed."""
    with app.app_context():
        directory = Directory()
        assert directory.role_of("ana", max_age=0) == "user"
        calls = []

        def broken(*args, **kwargs):
            calls.append(1)
            raise OperationalError("SELECT", {}, Exception("database down"))

        monkeypatch.setattr(db.session, "execute", broken)
        assert directory.role_of("ana", max_age=0) == "user"
        assert directory.role_of("ana", max_age=0) == "user"
        assert len(calls) == 1  # the second answer came from the cache, without waiting on the database
        with pytest.raises(OperationalError):
            directory.role_of("bob", max_age=0)


def test_agent_route_fails_closed_when_the_database_cannot_say(app, cookie_client, no_role_cache, monkeypatch):
    """No cached role and no database: an agent route is a 500 (never a free pass)."""
    admin = cookie_client("admin")

    def broken(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("database down"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = admin.get("/api/usuarios-conversaciones")
    assert response.status_code == 500 and "error" in response.get_json()


# --- logout and expiry ---------------------------------------------------------------------------

def test_logout_closes_this_browsers_sockets_only(app, as_user, sock, token_for):
    """GET /logout revokes that login's token and closes its sockets; another login of the same
    user (another browser) keeps its socket, and the revoked token no longer opens anything."""
    browser1, browser2 = as_user("ana"), as_user("ana")
    token1 = browser1.get_cookie("token").value
    tab1, tab2 = sock("ana", client=browser1), sock("ana", client=browser1)
    other = sock("ana", client=browser2)
    admin = sock("admin")
    response = browser1.get("/logout", headers=OWN_PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not tab1.is_connected() and not tab2.is_connected()
    assert other.is_connected() and admin.is_connected()
    assert send(other, {"para": "admin", "mensaje": "sigo aquí"})["ok"] is True
    assert [e for e, _ in received(admin)] == ["mensaje_recibido"]

    browser1.set_cookie("token", token1)  # the old token, kept by someone
    assert browser1.get("/api/mensajes/mios").status_code == 401
    assert not socketio.test_client(app, flask_test_client=browser1).is_connected()
    assert not socketio.test_client(app, auth={"token": token1}).is_connected()
    assert browser2.get("/api/mensajes/mios").status_code == 200


def test_logout_without_a_token_just_redirects(client):
    """The page's Salir link with no login (an expired cookie) goes to the login page."""
    response = client.get("/logout", headers=OWN_PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_revocations_are_forgotten_when_their_tokens_expire():
    """The revoked set holds each jti until its token's exp, no longer."""
    revocations = Revocations()
    revocations.revoke("viejo", time.time() - 1)
    revocations.revoke("nuevo", time.time() + 60)
    assert revocations._local.keys() == {"nuevo"}
    assert revocations.is_revoked("nuevo") and not revocations.is_revoked("otro")


def test_revocations_are_shared_through_redis():
    """With Redis, a logout on one process is seen by another, and kept until the token's exp."""
    import redis

    url = redis_url(15)
    jti = f"test-{time.time_ns()}"
    one, two = Revocations(url), Revocations(url)
    assert not two.is_revoked(jti)
    one.revoke(jti, time.time() + 30)
    assert two.is_revoked(jti) and two.revoked_among({jti, "otro"}) == {jti}
    assert 0 < redis.Redis.from_url(url).ttl(f"soporte:revoked:{jti}") <= 31


def test_expired_token_refused_on_send_and_socket_closed(app, client, token_for):
    """A socket outlives its token: its messages are refused, and the sweep disconnects it."""
    app.config["JWT_EXPIRES"] = 1
    token = token_for("ana")
    sio = socketio.test_client(app, auth={"token": token})
    assert sio.is_connected()
    time.sleep(1.1)
    assert send(sio, {"para": "admin", "mensaje": "¿sigo?"}) == {"ok": False, "error": ENDED}
    with app.app_context():
        get_sessions().sweep()
    assert not sio.is_connected()
    client.set_cookie("token", token)
    assert client.get("/api/mensajes/mios").status_code == 401
    assert stored_messages(app) == []


def test_sweep_leaves_valid_sockets_alone(app, connect):
    sockets = [connect(name) for name in ("admin", "agente2", "ana", "bob")]
    with app.app_context():
        get_sessions().sweep()
    assert all(sio.is_connected() for sio in sockets)


# --- CSRF and cookies ----------------------------------------------------------------------------

def csrf_token(client, page="/login"):
    """The CSRF token of a form page, for this client's session."""
    return CSRF_FIELD.search(client.get(page).get_data(as_text=True)).group(1)


@pytest.mark.parametrize("csrf", [None, "", "falso", "from another session"])
def test_login_without_a_good_csrf_token_is_400_and_no_cookie(app, client, csrf):
    """POST /login needs the form's own CSRF token: else 400 and no login."""
    if csrf == "from another session":
        csrf = csrf_token(app.test_client())
    client.get("/login")
    data = {"user": "ana", "pass": PASSWORD, **({} if csrf is None else {"csrf_token": csrf})}
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "token" not in response.headers.get("Set-Cookie", "")
    assert client.get_cookie("token") is None


@pytest.mark.parametrize("csrf", [None, "falso"])
def test_registration_without_a_good_csrf_token_is_400_and_no_account(app, client, csrf):
    client.get("/registro")
    data = {"user": "carla", "nombre": "Carla", "pass": PASSWORD, "pass2": PASSWORD,
            **({} if csrf is None else {"csrf_token": csrf})}
    response = client.post("/registro", data=data)
    assert response.status_code == 400 and client.get_cookie("token") is None
    with app.app_context():
        assert db.session.execute(db.select(Usuario).filter_by(usuario="carla")).first() is None


@pytest.mark.parametrize("secure", [False, True])
def test_registration_cookie_flags(app, client, secure):
    """The cookie of a registration: HttpOnly, SameSite=Lax, Path=/, Secure only when configured."""
    app.config["COOKIE_SECURE"] = secure
    response = client.post("/registro", data={"user": "carla", "nombre": "Carla", "pass": PASSWORD,
                                               "pass2": PASSWORD, "csrf_token": csrf_token(client, "/registro")})
    assert response.status_code == 302
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("token=")][0]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path"} <= attributes and "samesite=lax" in cookie.lower()
    assert ("secure" in attributes) is secure


# --- rate limits ---------------------------------------------------------------------------------

def test_failed_logins_are_limited_per_address(app):
    """LOGIN_RATE_LIMIT failed logins from one address; then 429 with the page, even with the right
    password, and no cookie. Another address is not affected."""
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    for _ in range(3):
        assert login(client, "ana", "mala-contraseña").status_code == 401
    response = login(client, "ana")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Demasiados intentos" in page and CSRF_FIELD.search(page)
    assert response.headers.get("Retry-After")
    assert client.get_cookie("token") is None
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert login(other, "ana").status_code == 302


@pytest.mark.parametrize("proxies", [0, 1])
def test_login_limit_counts_the_client_behind_a_trusted_proxy(app, proxies):
    """Behind TRUSTED_PROXIES proxies the limit counts each X-Forwarded-For client; without, the header
    is ignored (a client cannot dodge the limit by sending one)."""
    from soporte import create_app

    proxied = create_app({**{k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SPOOL_DIR",
                                                         "SECRET_KEY", "JWT_SECRET")},
                          "LOGIN_RATE_LIMIT": "2 per minute", "TRUSTED_PROXIES": proxies},
                         instance_path=app.instance_path)
    try:
        outcomes = []
        for client_address in ("203.0.113.1", "203.0.113.1", "203.0.113.2"):
            client = proxied.test_client()
            client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
            outcomes.append(login(client, "ana", "mala").status_code)
        client = proxied.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.1"
        outcomes.append(login(client, "ana", "mala").status_code)
        assert outcomes == ([401, 401, 401, 429] if proxies else [401, 401, 429, 429])
    finally:
        proxied.extensions["soporte"].writer.close()
        with proxied.app_context():
            db.engine.dispose()


def test_successful_logins_do_not_count(app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(5):  # each a new browser, all from 127.0.0.1
        assert login(app.test_client(), "ana").status_code == 302
    assert login(app.test_client(), "ana", "mala").status_code == 401


def test_registrations_are_limited_per_address(app, client):
    """REGISTRATION_RATE_LIMIT registrations from one address; then 429 and no account."""
    app.config["REGISTRATION_RATE_LIMIT"] = "2 per minute"
    for name in ("carla", "dario"):
        data = {"user": name, "nombre": name, "pass": PASSWORD, "pass2": PASSWORD,
                "csrf_token": csrf_token(client, "/registro")}
        assert client.post("/registro", data=data).status_code == 302
        client.get("/logout", headers=OWN_PAGE)
    data = {"user": "elena", "nombre": "Elena", "pass": PASSWORD, "pass2": PASSWORD,
            "csrf_token": csrf_token(client, "/registro")}
    response = client.post("/registro", data=data)
    assert response.status_code == 429 and "Demasiados intentos" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(db.select(Usuario).filter_by(usuario="elena")).first() is None


def test_logins_and_registrations_go_on_while_the_limit_storage_is_unreachable(app, caplog):
    """Redis (the shared rate-limit storage) refusing connections: no 500; the limits count in
    this process's memory meanwhile, and the log says so."""
    from soporte import create_app

    dead_redis = create_app({**{k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SPOOL_DIR",
                                                            "SECRET_KEY", "JWT_SECRET")},
                             "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0",
                             "LOGIN_RATE_LIMIT": "2 per minute", "REGISTRATION_RATE_LIMIT": "1 per minute"},
                            instance_path=app.instance_path)
    try:
        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            assert login(dead_redis.test_client(), "ana").status_code == 302
            failed = [login(dead_redis.test_client(), "ana", "mala").status_code for _ in range(3)]
            assert failed == [401, 401, 429]  # still limited, in memory
            client = dead_redis.test_client()
            data = {"user": "carla", "nombre": "Carla", "pass": PASSWORD, "pass2": PASSWORD,
                    "csrf_token": csrf_token(client, "/registro")}
            assert client.post("/registro", data=data).status_code == 302
            data = {**data, "user": "dario", "csrf_token": csrf_token(client, "/registro")}
            assert client.post("/registro", data=data).status_code == 429
        assert "falling back to in-memory storage" in caplog.text
    finally:
        dead_redis.extensions["soporte"].writer.close()
        with dead_redis.app_context():
            db.engine.dispose()


def test_message_rate_per_socket(app, connect):
    """MESSAGE_BURST messages at once, then MESSAGE_RATE per second; over it the ack says so and
    nothing is delivered or stored. Refused payloads cost nothing; each socket has its own bucket."""
    app.config.update(MESSAGE_RATE=2.0, MESSAGE_BURST=3)
    ana, admin = connect("ana"), connect("admin")
    for _ in range(5):
        assert send(ana, {"para": "admin", "mensaje": "  "})["ok"] is False  # invalid: free
    acks = [send(ana, {"para": "admin", "mensaje": f"m{i}"}) for i in range(5)]
    assert [a["ok"] for a in acks] == [True, True, True, False, False]
    assert acks[3] == {"ok": False, "error": TOO_MANY} == {"ok": False, "error": "Demasiados mensajes; espera un momento"}
    assert [p["mensaje"] for e, p in received(admin)] == ["m0", "m1", "m2"]
    assert send(connect("ana"), {"para": "admin", "mensaje": "otra pestaña"})["ok"] is True
    time.sleep(0.55)  # one token back at 2 per second
    assert send(ana, {"para": "admin", "mensaje": "m5"})["ok"] is True
    assert sorted(r["mensaje"] for r in stored_messages(app)) == ["m0", "m1", "m2", "m5", "otra pestaña"]


def test_refused_payloads_do_not_use_the_message_allowance(app, connect):
    """Payloads refused for their recipient, and stale replies, cost no message: after many of
    them the burst is still whole."""
    app.config.update(MESSAGE_RATE=0.001, MESSAGE_BURST=3)
    ana, admin = connect("ana"), connect("admin")
    for para in ("bob", "agente2", "ana"):  # a customer writes only to the inbox
        assert send(ana, {"para": para, "mensaje": "hola"}) == {"ok": False, "error": "Solo puedes escribir a soporte"}
    for para in ("nadie", "agente2", "x" * 300):
        assert send(admin, {"para": para, "mensaje": "hola"})["error"] == f"No existe el usuario {para}"
    first = send(ana, {"para": "admin", "mensaje": "primera"})
    for _ in range(3):  # admin has seen nothing of ana's: stale
        assert send(admin, {"para": "ana", "mensaje": "tarde", "visto_hasta": first["id"] - 1})["ok"] is False
    assert [send(ana, {"para": "admin", "mensaje": f"m{i}"})["ok"] for i in range(3)] == [True, True, False]
    assert [send(admin, {"para": "ana", "mensaje": f"r{i}"})["ok"] for i in range(4)] == [True] * 3 + [False]


def test_refusals_are_bounded_by_their_own_allowance(app, connect, monkeypatch):
    """Past REFUSAL_BURST refused payloads a socket's messages and typing are answered at once, with
    no lookup, until the allowance refills; other sockets are not affected."""
    app.config.update(REFUSAL_RATE=0.001, REFUSAL_BURST=5)
    directory = app.extensions["soporte.directory"]
    lookups = []
    real_lookup = directory._lookup
    monkeypatch.setattr(directory, "_lookup", lambda name: lookups.append(name) or real_lookup(name))
    admin, other_tab = connect("admin"), connect("admin")
    acks = [send(admin, {"para": f"nadie{i}", "mensaje": "hola"}) for i in range(8)]
    assert [a["error"] for a in acks] == [f"No existe el usuario nadie{i}" for i in range(5)] + [TOO_MANY_REFUSED] * 3
    assert send(admin, {"para": "ana", "mensaje": "hola"}) == {"ok": False, "error": TOO_MANY_REFUSED}
    assert admin.emit("escribiendo", {"para": "nadie9"}, callback=True) == {"ok": False, "error": TOO_MANY_REFUSED}
    assert [name for name in lookups if name != "admin"] == [f"nadie{i}" for i in range(5)]  # none for the muted
    assert TOO_MANY_REFUSED == "Demasiados mensajes rechazados; espera un momento"
    assert send(other_tab, {"para": "ana", "mensaje": "desde otra pestaña"})["ok"] is True
    assert admin.is_connected()


def test_token_bucket():
    now = [0.0]
    bucket = TokenBucket(rate=5, burst=20, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(30)) == 20
    now[0] += 1.0
    assert sum(bucket.take() for _ in range(30)) == 5
    now[0] += 3600  # idle for long: still only a burst
    assert sum(bucket.take() for _ in range(100)) == 20
    now[0] += 0.25  # one token back (1.25)
    assert bucket.ready() and bucket.ready()  # looking spends nothing
    assert bucket.take() and not bucket.ready()
    bucket.give_back()  # a refused event's token returns
    assert bucket.take() and not bucket.take()
    for _ in range(50):
        bucket.give_back()
    assert sum(bucket.take() for _ in range(100)) == 20  # never more than a burst


# --- headers --------------------------------------------------------------------------------------

EXPECTED_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize("method, route, logged_in", [
    ("GET", "/login", False), ("GET", "/registro", False), ("GET", "/soporte", True),
    ("GET", "/soporte", False), ("GET", "/api/mensajes/mios", True), ("GET", "/api/mensajes/mios", False),
    ("GET", "/api/usuarios-conversaciones", True), ("GET", "/api/no-existe", True), ("GET", "/no-existe", False),
    ("GET", "/static/soporte.css", False), ("GET", "/healthz", False), ("POST", "/login", False),
    ("GET", "/logout", True),
])
def test_security_headers_on_every_response(cookie_client, client, method, route, logged_in):
    response = (cookie_client("admin") if logged_in else client).open(route, method=method)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, (route, name)
    assert CONTENT_SECURITY_POLICY == EXPECTED_HEADERS["Content-Security-Policy"]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("route, username", [("/login", None), ("/registro", None),
                                             ("/soporte", "admin"), ("/soporte", "ana")])
def test_pages_need_nothing_the_csp_forbids(cookie_client, client, route, username):
    """The pages work under the CSP: no inline scripts, styles or handlers (they would be blocked)."""
    page = (cookie_client(username) if username else client).get(route).get_data(as_text=True)
    for pattern, what in INLINE:
        assert not pattern.search(page), f"{route} has {what}: {pattern.search(page).group(0)}"


# --- what people type: stored and returned verbatim; never markup ----------------------------------

HOSTILE = [
    "'; DROP TABLE mensajes; --",
    "\" OR 1=1 --",
    "Robert'); DROP TABLE usuarios;--",
    "1; SELECT * FROM usuarios WHERE '1'='1",
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }} {% raw %}",
    "%s %(x)s %d \\x00 \\",
    "línea 1\nlínea 2\r\n\ttabulada",
    "emoji 😀 y RTL \u202e y cero \u200b",
    "   espacios alrededor   ",
    "\x00 nulo",
]


def test_hostile_text_is_stored_and_returned_verbatim(app, connect, cookie_client):
    """SQL and markup are just text: the ack'd message comes back over REST byte for byte."""
    ana, admin = connect("ana"), connect("admin")
    for text in HOSTILE:
        assert send(ana, {"para": "admin", "mensaje": text})["ok"] is True, text
    delivered = [p["mensaje"] for e, p in received(admin)]
    assert delivered == HOSTILE
    stored_messages(app)
    mine = cookie_client("ana").get("/api/mensajes/mios?limite=500").get_json()
    theirs = cookie_client("admin").get("/api/mensajes?con=ana&limite=500").get_json()
    assert [m["mensaje"] for m in mine] == HOSTILE == [m["mensaje"] for m in theirs]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Usuario)).scalar() == 4


def test_markup_in_a_display_name_is_escaped_on_the_page(app, client):
    """A display name with markup is kept as typed and shown as text, never as HTML."""
    name = "<script>alert('x')</script><b onmouseover=alert(1)>Eva</b>"
    data = {"user": "eva", "nombre": name, "pass": PASSWORD, "pass2": PASSWORD,
            "csrf_token": csrf_token(client, "/registro")}
    assert client.post("/registro", data=data).status_code == 302
    page = client.get("/soporte").get_data(as_text=True)
    assert "<script>alert" not in page and "<b onmouseover" not in page
    with app.app_context():
        assert db.session.execute(db.select(Usuario.nombre).filter_by(usuario="eva")).scalar() == name


# --- one customer reaching for another's conversation -----------------------------------------------

def test_customer_cannot_read_another_conversation_over_rest(app, connect, cookie_client):
    ana, bob, admin = connect("ana"), connect("bob"), connect("admin")
    assert send(bob, {"para": "admin", "mensaje": "secreto de bob"})["ok"] is True
    assert send(admin, {"para": "bob", "mensaje": "respuesta para bob"})["ok"] is True
    assert send(ana, {"para": "admin", "mensaje": "hola, soy ana"})["ok"] is True
    stored_messages(app)
    client = cookie_client("ana")
    for route in ("/api/mensajes?con=bob", "/api/mensajes?con=ana", "/api/usuarios-conversaciones"):
        assert client.get(route).status_code == 403, route
    for query in ("", "?con=bob", "?despues=0", "?antes=999999999999999&limite=500", "?user=bob"):
        mine = client.get("/api/mensajes/mios" + query).get_json()
        assert {m["mensaje"] for m in mine} == {"hola, soy ana"}, query


def test_customer_cannot_write_to_or_listen_in_on_another(app, connect):
    """A customer can only write to the inbox; spoofed sender fields are ignored; asking to join a
    room is an unknown event; and another customer's conversation never reaches them."""
    ana, bob, admin, agente2 = connect("ana"), connect("bob"), connect("admin"), connect("agente2")
    for para in ("bob", "agente2", "Admin", "admin ", "user:bob", "admins"):
        ack = send(ana, {"para": para, "mensaje": "psst"})
        assert ack == {"ok": False, "error": "Solo puedes escribir a soporte"}, para
    ack = send(ana, {"para": "admin", "mensaje": "soy bob", "de": "bob", "de_usuario": "bob", "user": "bob"})
    assert ack["ok"] is True
    assert [(e, p["de"]) for e, p in received(admin)] == [("mensaje_recibido", "ana")]
    ana.emit("join", {"room": "admins"})
    ana.emit("join_room", "user:bob")
    ana.emit("subscribe", {"con": "bob"})
    assert send(bob, {"para": "admin", "mensaje": "solo para soporte"})["ok"] is True
    assert send(agente2, {"para": "bob", "mensaje": "solo para bob"})["ok"] is True
    assert received(ana) == []
    assert [p["mensaje"] for e, p in received(bob)] == ["solo para bob"]
    rows = stored_messages(app)
    assert [(r["de_usuario"], r["conversacion"]) for r in rows] == [
        ("ana", "ana"), ("bob", "bob"), ("agente2", "bob")]


# --- wrong types and shapes in every field -------------------------------------------------------------

SHAPES = [
    (None, "El mensaje debe ser un objeto {para, mensaje}"),
    ("admin: hola", "El mensaje debe ser un objeto {para, mensaje}"),
    (["admin", "hola"], "El mensaje debe ser un objeto {para, mensaje}"),
    (42, "El mensaje debe ser un objeto {para, mensaje}"),
    (True, "El mensaje debe ser un objeto {para, mensaje}"),
    ({}, "Falta el destinatario (para)"),
    ({"mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": None, "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": "", "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": "   ", "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": 7, "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": True, "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": ["admin"], "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": {"usuario": "admin"}, "mensaje": "hola"}, "Falta el destinatario (para)"),
    ({"para": "admin"}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": None}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": 12}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": 1.5}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": False}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": ["hola"]}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": {"texto": "hola"}}, "El mensaje debe ser texto"),
    ({"para": "admin", "mensaje": ""}, "El mensaje está vacío"),
    ({"para": "admin", "mensaje": " \n\t "}, "El mensaje está vacío"),
    ({"para": "admin", "mensaje": "x" * 2001}, "El mensaje supera los 2000 caracteres"),
    ({"para": "admin", "mensaje": "hola", "cid": ""}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"para": "admin", "mensaje": "hola", "cid": "c" * 65}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"para": "admin", "mensaje": "hola", "cid": 5}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"para": "admin", "mensaje": "hola", "cid": ["a"]}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"para": "admin", "mensaje": "hola", "cid": {"a": 1}}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"para": "admin", "mensaje": "hola", "cid": False}, "cid debe ser texto de 1 a 64 caracteres"),
    # a lone surrogate ("\ud800" in JSON) cannot be stored in UTF-8: it must not reach the writer
    ({"para": "admin", "mensaje": "hola \ud800"}, "El mensaje contiene caracteres no válidos"),
    ({"para": "admin", "mensaje": "hola", "cid": "\udfff"}, "El mensaje contiene caracteres no válidos"),
    ({"para": "admin\ud800", "mensaje": "hola"}, "El mensaje contiene caracteres no válidos"),
]


@pytest.mark.parametrize("payload, error", SHAPES, ids=[repr(p)[:50] for p, _ in SHAPES])
def test_wrong_shapes_are_refused_with_the_protocol_message(app, connect, payload, error):
    ana, admin = connect("ana"), connect("admin")
    assert send(ana, payload) == {"ok": False, "error": error}
    assert received(admin) == []
    assert send(ana, {"para": "admin", "mensaje": "sigo funcionando"})["ok"] is True
    assert [r["mensaje"] for r in stored_messages(app)] == ["sigo funcionando"]


@pytest.mark.parametrize("payload, error", [
    ({"para": "nadie", "mensaje": "hola"}, "No existe el usuario nadie"),
    ({"para": "agente2", "mensaje": "hola"}, "No existe el usuario agente2"),
    ({"para": "ana\ud800", "mensaje": "hola"}, "El mensaje contiene caracteres no válidos"),
    ({"para": "x" * 10_000, "mensaje": "hola"}, "No existe el usuario " + "x" * 10_000),
], ids=["unknown", "another agent", "surrogate", "very long"])
def test_agent_recipient_shapes(app, connect, payload, error):
    admin = connect("admin")
    assert send(admin, payload) == {"ok": False, "error": error}
    assert stored_messages(app) == []


def test_wrong_argument_counts_get_an_error_ack_and_the_socket_goes_on(app, connect):
    ana = connect("ana")
    for args in ([], [{"para": "admin", "mensaje": "a"}, "extra"], [1, 2, 3]):
        ack = ana.emit("mensaje_privado", *args, callback=True)
        assert isinstance(ack, dict) and ack["ok"] is False and ack["error"], args
    assert send(ana, {"para": "admin", "mensaje": "bien"})["ok"] is True


def test_empty_cors_setting_keeps_the_origin_check():
    """An empty CORS_ALLOWED_ORIGINS means same origin (python-engineio would take [] as: no check)."""
    assert split_origins(None) is None
    assert split_origins("") is None and split_origins(" , ") is None
    assert split_origins("*") == "*"
    assert split_origins("https://a.example, https://b.example") == ["https://a.example", "https://b.example"]
