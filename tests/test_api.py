"""The REST history (PROTOCOL.md "REST"): shapes, order, paging, guards and errors."""
import logging
import re
import warnings

import pytest
from sqlalchemy import event, func, select

from conftest import TEST_SECRETS, make_token
from soporte.extensions import db
from soporte.models import Conversacion, Mensaje
from soporte.relay.writer import store

FECHA = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
MESSAGE_KEYS = {"id", "de_usuario", "de_nombre", "para_usuario", "mensaje", "fecha"}  # de_nombre: the author's display name
AGENTS = {"admin", "agente2"}
ROUTES = ["/api/mensajes?con=ana", "/api/mensajes/mios", "/api/usuarios-conversaciones"]
MESSAGE_ROUTES = ["/api/mensajes?con=ana", "/api/mensajes/mios"]


def rows_for(app, *messages):
    """Writer rows for (de, para, texto) messages, with server ids."""
    chat = app.extensions["soporte"]
    rows = []
    for de, para, texto in messages:
        message_id, fecha = chat.ids.next()
        rows.append({"id": message_id, "de_usuario": de, "para_usuario": para, "cid": None,
                     "conversacion": para if de in AGENTS else de, "mensaje": texto, "fecha": fecha})
    return rows


def add_messages(app, *messages):
    """Store (de, para, texto) messages the way the writer does, with server ids; return the ids."""
    rows = rows_for(app, *messages)
    with app.app_context():
        store(db.session, rows)
        db.session.commit()
    return [row["id"] for row in rows]


def conversation(app, customer, n):
    """n alternating messages between a customer and support; their ids."""
    return add_messages(app, *[(customer, "admin", f"{customer} {i}") if i % 2 == 0
                               else ("admin", customer, f"respuesta {i}") for i in range(n)])


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def message_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Mensaje))


@pytest.fixture
def admin(cookie_client):
    return cookie_client("admin")


@pytest.fixture
def ana(cookie_client):
    return cookie_client("ana")


# --- 200: shapes and order ---------------------------------------------------------

def test_agent_reads_a_conversation_oldest_first(app, admin):
    """Every message of ana's conversation, whoever wrote it, and no one else's."""
    ids = add_messages(app, ("ana", "admin", "hola"), ("bob", "admin", "soy bob"),
                       ("admin", "ana", "¿en qué te ayudo?"), ("agente2", "ana", "otro agente"),
                       ("ana", "admin", "gracias 😀"))
    found = get_json(admin, "/api/mensajes?con=ana")
    assert [m["id"] for m in found] == [ids[0], ids[2], ids[3], ids[4]]
    for m in found:
        assert set(m) == MESSAGE_KEYS
        assert isinstance(m["id"], int)
        assert all(isinstance(m[k], str) for k in MESSAGE_KEYS - {"id"})
        assert FECHA.match(m["fecha"]), m["fecha"]
    assert [(m["de_usuario"], m["para_usuario"], m["mensaje"]) for m in found] == [
        ("ana", "admin", "hola"), ("admin", "ana", "¿en qué te ayudo?"),
        ("agente2", "ana", "otro agente"), ("ana", "admin", "gracias 😀")]
    assert [m["fecha"] for m in found] == sorted(m["fecha"] for m in found)
    assert [m["id"] for m in get_json(admin, "/api/mensajes?con=bob")] == [ids[1]]


def test_fecha_is_the_stored_utc_time(app, admin):
    """fecha is the stored UTC timestamp with microseconds (they survive MariaDB too)."""
    [message_id] = add_messages(app, ("ana", "admin", "hola"))
    with app.app_context():
        stored = db.session.get(Mensaje, message_id).fecha
    [m] = get_json(admin, "/api/mensajes?con=ana")
    assert m["fecha"] == stored.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_customer_reads_only_their_own_conversation(app, cookie_client):
    ids = add_messages(app, ("ana", "admin", "hola"), ("bob", "admin", "soy bob"),
                       ("admin", "ana", "hola ana"), ("admin", "bob", "hola bob"))
    ana = get_json(cookie_client("ana"), "/api/mensajes/mios")
    assert [m["id"] for m in ana] == [ids[0], ids[2]]
    assert all(set(m) == MESSAGE_KEYS and FECHA.match(m["fecha"]) for m in ana)
    assert [m["id"] for m in get_json(cookie_client("bob"), "/api/mensajes/mios")] == [ids[1], ids[3]]
    # a query parameter cannot point a customer at someone else's conversation
    assert [m["id"] for m in get_json(cookie_client("ana"), "/api/mensajes/mios?con=bob")] == [ids[0], ids[2]]


def test_own_messages_carry_their_cid_and_nobody_elses_do(app, admin, ana):
    """A page that lost an ack knows its message again by cid; others' cids are not shown."""
    chat = app.extensions["soporte"]
    rows = []
    for de, para, cid in (("ana", "admin", "c-ana"), ("admin", "ana", "c-admin"), ("ana", "admin", None)):
        message_id, fecha = chat.ids.next()
        rows.append({"id": message_id, "de_usuario": de, "para_usuario": para, "conversacion": "ana",
                     "mensaje": "m", "fecha": fecha, "cid": cid})
    with app.app_context():
        store(db.session, rows[:2])
        db.session.commit()
    chat.writer.unstored[rows[2]["id"]] = {**rows[2], "cid": "c-pendiente"}  # delivered, not stored
    try:
        seen_by_ana = ana.get("/api/mensajes/mios").get_json()
        seen_by_admin = admin.get("/api/mensajes?con=ana").get_json()
    finally:
        chat.writer.unstored.clear()
    assert [m.get("cid") for m in seen_by_ana] == ["c-ana", None, "c-pendiente"]
    assert [m.get("cid") for m in seen_by_admin] == [None, "c-admin", None]
    assert all(set(m) == MESSAGE_KEYS | ({"cid"} if "cid" in m else set()) for m in seen_by_ana + seen_by_admin)


@pytest.mark.parametrize("path", ["/api/mensajes/mios?despues=0", "/api/mensajes?con=ana&despues=0",
                                  "/api/mensajes?con=ana", "/api/mensajes?con=ana&alrededor={id}"])
def test_a_row_stored_while_history_reads_the_database_is_on_the_page(app, admin, ana, path):
    """A catch-up that reads the database just before the storer commits a row, and asks the
    writer just after, must still have it (the writer's snapshot comes first)."""
    chat = app.extensions["soporte"]
    message_id, fecha = chat.ids.next()
    row = {"id": message_id, "de_usuario": "admin", "para_usuario": "ana", "conversacion": "ana",
           "mensaje": "guardado durante la lectura", "fecha": fecha, "cid": None}
    chat.writer.unstored[message_id] = row  # delivered, not stored yet

    def storer_finishes(conn, cursor, statement, parameters, context, executemany):
        """Right after the page's read of the messages, the storer reports the row stored."""
        if statement.lstrip().upper().startswith("SELECT") and "FROM mensajes" in statement:
            chat.writer.unstored.pop(message_id, None)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", storer_finishes)
    try:
        client = ana if "mios" in path else admin
        page = client.get(path.format(id=message_id)).get_json()
    finally:
        event.remove(engine, "after_cursor_execute", storer_finishes)
        chat.writer.unstored.pop(message_id, None)
    with app.app_context():  # what the storer committed (after the page's read: the read could not see it)
        store(db.session, [row])
        db.session.commit()
    assert [m["id"] for m in page] == [message_id]


def test_empty_history(admin, ana):
    assert get_json(admin, "/api/mensajes?con=ana") == []
    assert get_json(admin, "/api/mensajes?con=nadie") == []
    assert get_json(ana, "/api/mensajes/mios") == []
    assert get_json(admin, "/api/usuarios-conversaciones") == []


def test_conversation_list_by_most_recent_activity(app, admin, cookie_client):
    """Customers with a conversation, the most recently active first; a reply counts as activity."""
    from conftest import make_users

    with app.app_context():
        make_users(("carla", "user"), ("dario", "user"))  # dario never writes
    add_messages(app, ("ana", "admin", "1"), ("bob", "admin", "2"), ("carla", "admin", "3"),
                 ("ana", "admin", "4"))
    assert get_json(admin, "/api/usuarios-conversaciones") == ["ana", "carla", "bob"]
    add_messages(app, ("agente2", "bob", "respuesta"))
    assert get_json(admin, "/api/usuarios-conversaciones") == ["bob", "ana", "carla"]
    assert get_json(cookie_client("agente2"), "/api/usuarios-conversaciones") == ["bob", "ana", "carla"]


# --- paging ---------------------------------------------------------------------

@pytest.mark.parametrize("route", MESSAGE_ROUTES)
def test_limite_returns_the_most_recent_oldest_first(app, ana, admin, route):
    ids = conversation(app, "ana", 10)
    add_messages(app, ("bob", "admin", "otra conversación"))
    client = admin if "con=" in route else ana
    assert [m["id"] for m in get_json(client, route + "&limite=3" if "?" in route else route + "?limite=3")] == ids[-3:]
    sep = "&" if "?" in route else "?"
    assert [m["id"] for m in get_json(client, f"{route}{sep}limite=1")] == ids[-1:]
    assert [m["id"] for m in get_json(client, f"{route}{sep}limite=500")] == ids
    assert [m["id"] for m in get_json(client, f"{route}{sep}limite=10")] == ids


@pytest.mark.parametrize("route", MESSAGE_ROUTES)
def test_antes_and_despues(app, ana, admin, route):
    """antes: the most recent ones before an id; despues: the oldest ones after it (catch-up)."""
    ids = conversation(app, "ana", 10)
    client = admin if "con=" in route else ana
    sep = "&" if "?" in route else "?"

    def page(query):
        return [m["id"] for m in get_json(client, f"{route}{sep}{query}")]

    assert page(f"antes={ids[5]}") == ids[:5]
    assert page(f"antes={ids[5]}&limite=2") == ids[3:5]
    assert page(f"antes={ids[0]}") == []
    assert page(f"despues={ids[5]}") == ids[6:]
    assert page(f"despues={ids[5]}&limite=2") == ids[6:8]
    assert page(f"despues={ids[-1]}") == []
    assert page("despues=0") == ids
    assert page(f"despues={ids[2]}&antes={ids[6]}") == ids[3:6]
    # paging backwards with antes walks the whole history exactly once
    walked, cursor = [], None
    while True:
        chunk = page(f"limite=3&antes={cursor}" if cursor else "limite=3")
        if not chunk:
            break
        walked = chunk + walked
        cursor = chunk[0]
    assert walked == ids


def test_default_limit_is_100(app, admin):
    ids = conversation(app, "ana", 105)
    assert [m["id"] for m in get_json(admin, "/api/mensajes?con=ana")] == ids[-100:]


# --- 400 --------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "?con=", "?con=%20%20", "?limite=5"])
def test_missing_con_is_400(admin, query):
    error = get_json(admin, "/api/mensajes" + query, 400)
    assert set(error) == {"error"} and "con" in error["error"]


BAD_PARAMETERS = [
    "limite=0", "limite=501", "limite=-1", "limite=abc", "limite=1.5",
    "antes=abc", "antes=0", "antes=-5", "antes=1e3",
    "despues=abc", "despues=-1", "despues=2.0",
]


@pytest.mark.parametrize("route", MESSAGE_ROUTES)
def test_bad_paging_parameter_is_400(admin, ana, route):
    """Each bad limite/antes/despues is a 400 naming the parameter."""
    client = admin if "con=" in route else ana
    sep = "&" if "?" in route else "?"
    for query in BAD_PARAMETERS:
        response = client.get(f"{route}{sep}{query}")
        assert response.status_code == 400, query
        error = response.get_json()
        assert set(error) == {"error"}, query
        assert query.split("=")[0] in error["error"], query


def test_out_of_range_id_is_400_not_a_crash(admin):
    """An id beyond the BIGINT range is a bad parameter, not a database error."""
    for query in ["antes=99999999999999999999999", "despues=99999999999999999999999",
                  "antes=9223372036854775808", "despues=9223372036854775808"]:
        error = get_json(admin, f"/api/mensajes?con=ana&{query}", 400)
        assert query.split("=")[0] in error["error"], query
    assert get_json(admin, "/api/mensajes?con=ana&antes=9223372036854775807") == []


# --- 401 / 403 ------------------------------------------------------------------------

BAD_TOKENS = {
    "garbage": "esto-no-es-un-jwt",
    "bad signature": make_token(secret="otro-secreto-de-al-menos-32-bytes!!"),
    "expired": make_token(expires_in=-10),
    "signed with SECRET_KEY": make_token(secret=TEST_SECRETS["SECRET_KEY"]),
    "no exp": make_token(exp=None),
    "no iat": make_token(iat=None),
    "no user": make_token(user=None),
    "unknown rol": make_token(rol="superuser"),
    "alg none": make_token(secret=None, algorithm="none", rol="admin", user="admin"),
}
with warnings.catch_warnings():  # pyjwt finds the 40-byte test secret short for HS512
    warnings.simplefilter("ignore")
    BAD_TOKENS["HS512 (the right secret, an algorithm not accepted)"] = make_token(
        algorithm="HS512", rol="admin", user="admin")


@pytest.mark.parametrize("route", ROUTES)
def test_no_token_is_401(client, route):
    error = get_json(client, route, 401)
    assert set(error) == {"error"} and error["error"]


@pytest.mark.parametrize("route", ROUTES)
def test_bad_token_is_401(client, route):
    """Bad signature, expired, garbage, missing claims, other algorithms: all 401."""
    for kind, token in BAD_TOKENS.items():
        client.set_cookie("token", token)
        response = client.get(route)
        assert response.status_code == 401, kind
        assert set(response.get_json()) == {"error"}, kind


@pytest.mark.parametrize("route", ["/api/mensajes?con=ana", "/api/mensajes?con=bob",
                                   "/api/usuarios-conversaciones"])
def test_customer_on_agent_routes_is_403(app, ana, route):
    add_messages(app, ("bob", "admin", "privado"))
    error = get_json(ana, route, 403)
    assert set(error) == {"error"} and error["error"]


def test_unknown_api_route_is_json_404(admin):
    assert set(get_json(admin, "/api/nada", 404)) == {"error"}


# --- injection ---------------------------------------------------------------------------

INJECTIONS = ["ana' OR '1'='1", "x; DROP TABLE mensajes;--", "ana'--", 'ana" OR "1"="1',
              "ana') OR 1=1 #", "%", "an%", "_na", "ana\\", "ANA", "*"]


def test_con_with_sql_metacharacters_is_just_a_username(app, admin):
    """con is compared as a value: no injection, no wildcards, no case folding."""
    ids = add_messages(app, ("ana", "admin", "hola"), ("bob", "admin", "hola"))
    for con in INJECTIONS:
        response = admin.get("/api/mensajes", query_string={"con": con})
        assert response.status_code == 200, con
        assert response.get_json() == [], con
    assert message_count(app) == 2
    assert [m["id"] for m in get_json(admin, "/api/mensajes?con=ana")] == ids[:1]
    assert get_json(admin, "/api/usuarios-conversaciones") == ["bob", "ana"]


# --- 500 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_database_failure_is_a_json_500_without_trace(app, admin, ana, route, caplog):
    """With the table it reads gone the route answers 500 JSON, logs the cause, shows no trace."""
    add_messages(app, ("ana", "admin", "hola"))
    with app.app_context():
        (Conversacion if "conversaciones" in route else Mensaje).__table__.drop(db.engine)
    client = admin if route != "/api/mensajes/mios" else ana
    with caplog.at_level(logging.ERROR):
        response = client.get(route)
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert "base de datos" in body["error"]
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "SELECT", "mensajes", "sqlite", "pymysql", "OperationalError", "ProgrammingError"):
        assert leak not in text
    assert any(r.levelno >= logging.ERROR and r.exc_info for r in caplog.records)
