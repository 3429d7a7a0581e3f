"""Canned replies (/api/respuestas and `respuestas_cambiadas`), on SQLite and MariaDB.

The REST routes with the Flask test clients; the live event with python-socketio clients
against a real server process (two agents and a customer).
"""
import re
import uuid

import pytest
from sqlalchemy import select

from conftest import drain, live_socket
from soporte.extensions import db
from soporte.inbox import canned
from soporte.models import Respuesta

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def page_csrf(client):
    """The CSRF token the agent's page carries in its meta tag (for this client's session)."""
    return CSRF_META.search(client.get("/soporte").get_data(as_text=True)).group(1)


class Agent:
    """An agent's test client with the page's CSRF token, speaking to /api/respuestas."""

    def __init__(self, http):
        self.http = http
        self.headers = {"X-CSRFToken": page_csrf(http)}

    def list(self):
        response = self.http.get("/api/respuestas")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def create(self, codigo, texto, **body):
        return self.http.post("/api/respuestas", json={"codigo": codigo, "texto": texto, **body}, headers=self.headers)

    def edit(self, respuesta_id, body):
        return self.http.put(f"/api/respuestas/{respuesta_id}", json=body, headers=self.headers)

    def delete(self, respuesta_id):
        return self.http.delete(f"/api/respuestas/{respuesta_id}", headers=self.headers)


@pytest.fixture
def agent(cookie_client):
    """Make an Agent for an account."""
    return lambda username: Agent(cookie_client(username))


def stored_codes(app):
    """{code: text} of every stored reply."""
    with app.app_context():
        found = {r.codigo: r.texto for r in db.session.scalars(select(Respuesta))}
        db.session.remove()
        return found


def test_agents_create_list_edit_and_delete(app, agent):
    """One agent creates, another sees and edits it, the first deletes it; who and when are kept."""
    admin, agente2 = agent("admin"), agent("agente2")
    assert admin.list() == []
    response = admin.create("saludo", "Hola {{nombre}}, soy {{agente}}. ¿En qué te ayudo?")
    assert response.status_code == 201
    created = response.get_json()
    assert created["codigo"] == "saludo" and created["texto"] == "Hola {{nombre}}, soy {{agente}}. ¿En qué te ayudo?"
    assert created["creado_por"] == created["actualizado_por"] == "admin"
    assert created["creado_en"] == created["actualizado_en"] and created["creado_en"].endswith("Z")
    assert admin.create("Adios", "Hasta pronto").status_code == 201
    assert [r["codigo"] for r in agente2.list()] == ["Adios", "saludo"]  # by code, whatever the case

    response = agente2.edit(created["id"], {"codigo": "hola", "texto": "Buenas, {{nombre}}"})
    assert response.status_code == 200
    edited = response.get_json()
    assert (edited["id"], edited["codigo"], edited["texto"]) == (created["id"], "hola", "Buenas, {{nombre}}")
    assert edited["creado_por"] == "admin" and edited["actualizado_por"] == "agente2"
    assert edited["creado_en"] == created["creado_en"] and edited["actualizado_en"] > created["actualizado_en"]
    assert stored_codes(app) == {"hola": "Buenas, {{nombre}}", "Adios": "Hasta pronto"}

    response = admin.delete(created["id"])
    assert response.status_code == 200 and response.get_json() == {"id": created["id"], "codigo": "hola"}
    assert [r["codigo"] for r in admin.list()] == ["Adios"]
    assert admin.delete(created["id"]).status_code == 404
    assert admin.edit(created["id"], {"codigo": "x", "texto": "y"}).get_json() == {"error": canned.NOT_FOUND}


def test_an_id_is_never_given_twice(app, agent):
    """Deleting the newest reply and creating another gives a new id (pages ignore a deleted id)."""
    admin = agent("admin")
    first = admin.create("uno", "1").get_json()
    second = admin.create("dos", "2").get_json()
    admin.delete(second["id"])
    third = admin.create("tres", "3").get_json()
    assert first["id"] < second["id"] < third["id"]


def test_codes_are_unique_without_regard_to_case(app, agent):
    """"SALUDO" after "saludo" is refused (409, campo codigo), on create and on edit; a reply keeps its own code."""
    admin = agent("admin")
    first = admin.create("saludo", "Hola").get_json()
    for code in ("SALUDO", "Saludo", "/saludo", "  saludo "):
        response = admin.create(code, "Otra")
        assert response.status_code == 409, code
        assert response.get_json() == {"error": canned.DUPLICATE, "campo": "codigo"}
    other = admin.create("ñandú", "Otra").get_json()
    assert admin.create("ÑANDÚ", "Otra más").status_code == 409  # beyond ASCII too
    assert admin.edit(other["id"], {"codigo": "Saludo", "texto": "x"}).status_code == 409
    # changing the case of its own code is no clash
    response = admin.edit(first["id"], {"codigo": "Saludo", "texto": "Hola de nuevo"})
    assert response.status_code == 200 and response.get_json()["codigo"] == "Saludo"
    assert stored_codes(app) == {"Saludo": "Hola de nuevo", "ñandú": "Otra"}
    with app.app_context():
        assert db.session.scalar(select(Respuesta.codigo_canonico).where(Respuesta.id == first["id"])) == "saludo"


def test_the_unique_index_refuses_what_a_race_would_let_through(app):
    """Two agents saving the same code at once: the database's unique index, not a prior look, decides."""
    now = canned.utc_now()
    with app.app_context():
        for codigo in ("Gracias", "GRACIAS"):
            db.session.add(Respuesta(codigo=codigo, codigo_canonico=canned.canonical_code(codigo), texto="t",
                                     creado_por="admin", creado_en=now, actualizado_por="admin", actualizado_en=now))
        with pytest.raises(canned.Refused) as refused:
            canned.commit_unique()
        assert refused.value.status == 409
        assert db.session.scalars(select(Respuesta)).all() == []


MAX = 2000  # the test app's MAX_MESSAGE_LENGTH (the default)


@pytest.mark.parametrize("body, error, campo", [
    ("saludo", canned.NOT_AN_OBJECT, None),
    (["saludo", "Hola"], canned.NOT_AN_OBJECT, None),
    ({"texto": "Hola"}, canned.NO_CODE, "codigo"),
    ({"codigo": "", "texto": "Hola"}, canned.NO_CODE, "codigo"),
    ({"codigo": "  /  ", "texto": "Hola"}, canned.NO_CODE, "codigo"),
    ({"codigo": 7, "texto": "Hola"}, canned.CODE_NOT_TEXT, "codigo"),
    ({"codigo": "x" * 33, "texto": "Hola"}, canned.CODE_TOO_LONG, "codigo"),
    ({"codigo": "buenos días", "texto": "Hola"}, canned.BAD_CODE, "codigo"),
    ({"codigo": "a/b", "texto": "Hola"}, canned.BAD_CODE, "codigo"),
    ({"codigo": "<script>", "texto": "Hola"}, canned.BAD_CODE, "codigo"),
    ({"codigo": "x'; DROP TABLE respuestas; --", "texto": "Hola"}, canned.BAD_CODE, "codigo"),
    ({"codigo": "saludo"}, canned.NO_TEXT, "texto"),
    ({"codigo": "saludo", "texto": " \n\t "}, canned.NO_TEXT, "texto"),
    ({"codigo": "saludo", "texto": ["Hola"]}, canned.TEXT_NOT_TEXT, "texto"),
    ({"codigo": "saludo", "texto": "x" * (MAX + 1)}, f"El texto supera los {MAX} caracteres", "texto"),
    ({"codigo": "saludo", "texto": "Hola\x00"}, canned.BAD_TEXT, "texto"),
    ({"codigo": "saludo", "texto": "Hola\x1b[31m"}, canned.BAD_TEXT, "texto"),
])
def test_bad_replies_are_refused_with_what_is_wrong(app, agent, body, error, campo):
    """400 with the reason (and the field at fault), nothing stored, nobody told."""
    admin = agent("admin")
    response = admin.http.post("/api/respuestas", json=body, headers=admin.headers)
    assert response.status_code == 400
    assert response.get_json() == ({"error": error, "campo": campo} if campo else {"error": error})
    first = admin.create("valida", "Hola").get_json()
    response = admin.edit(first["id"], body)  # an edit is checked the same way
    assert response.status_code == 400 and response.get_json()["error"] == error
    assert stored_codes(app) == {"valida": "Hola"}


def test_a_lone_surrogate_is_refused(app, agent):
    """JSON's "\\ud800" is a string UTF-8 cannot hold: refused, not a database error."""
    admin = agent("admin")
    response = admin.http.post("/api/respuestas", data='{"codigo": "s", "texto": "a\\ud800b"}',
                               headers={**admin.headers, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == canned.BAD_TEXT


@pytest.mark.parametrize("path", ["/api/respuestas/0", "/api/respuestas/2147483648",
                                  "/api/respuestas/99999999999999999999999", "/api/respuestas/-1",
                                  "/api/respuestas/abc", "/api/respuestas/1.5"])
def test_ids_that_are_no_reply_are_404(app, agent, path):
    """Any id that names no reply (too large for the column, negative, not a number): 404 JSON, never a 500."""
    admin = agent("admin")
    for response in (admin.http.put(path, json={"codigo": "x", "texto": "y"}, headers=admin.headers),
                     admin.http.delete(path, headers=admin.headers)):
        assert response.status_code == 404 and "error" in response.get_json()


def test_limits_and_what_is_kept(app, agent):
    """Exactly 32 characters of code and MAX of text are taken; the text is trimmed, its line breaks
    kept (CRLF as LF); a leading / is not part of the code; markup is stored as typed."""
    admin = agent("admin")
    response = admin.create("/" + "c" * 32, "  " + "x" * MAX + "\n ")
    assert response.status_code == 201
    assert response.get_json()["codigo"] == "c" * 32 and response.get_json()["texto"] == "x" * MAX
    response = admin.create("Mañana_2-b", "Línea 1\r\nLínea 2 <b>{{nombre}}</b> 😀")
    assert response.status_code == 201 and response.get_json()["texto"] == "Línea 1\nLínea 2 <b>{{nombre}}</b> 😀"
    assert stored_codes(app)["Mañana_2-b"] == "Línea 1\nLínea 2 <b>{{nombre}}</b> 😀"


def test_the_list_is_bounded(app, agent, monkeypatch):
    """Past MAX_REPLIES no new reply is taken (409), and deleting one makes room."""
    monkeypatch.setattr(canned, "MAX_REPLIES", 3)
    admin = agent("admin")
    made = [admin.create(f"r{n}", "t").get_json() for n in range(3)]
    response = admin.create("r3", "t")
    assert response.status_code == 409 and response.get_json() == {"error": canned.TOO_MANY_REPLIES}
    admin.delete(made[0]["id"])
    assert admin.create("r3", "t").status_code == 201


def test_customers_get_403_and_strangers_401(app, client, cookie_client, agent):
    """The routes are the agents': a customer (with a valid CSRF token) gets 403, nobody logged in 401."""
    made = agent("admin").create("saludo", "Hola").get_json()
    ana = cookie_client("ana")
    headers = {"X-CSRFToken": page_csrf(ana)}
    answers = [ana.get("/api/respuestas"),
               ana.post("/api/respuestas", json={"codigo": "mio", "texto": "x"}, headers=headers),
               ana.put(f"/api/respuestas/{made['id']}", json={"codigo": "mio", "texto": "x"}, headers=headers),
               ana.delete(f"/api/respuestas/{made['id']}", headers=headers)]
    assert [(r.status_code, r.get_json()) for r in answers] == [(403, {"error": "Solo para agentes de soporte"})] * 4
    assert client.get("/api/respuestas").status_code == 401
    assert client.get("/api/respuestas").get_json() == {"error": "No autenticado"}
    # a stranger with a valid CSRF token (the login page's) still gets 401, before any rate limit
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    for method in ("post", "put", "delete"):
        url = "/api/respuestas" if method == "post" else f"/api/respuestas/{made['id']}"
        response = getattr(client, method)(url, json={"codigo": "x", "texto": "y"}, headers={"X-CSRFToken": token})
        assert (response.status_code, response.get_json()) == (401, {"error": "No autenticado"}), method
    assert stored_codes(app) == {"saludo": "Hola"}


@pytest.mark.parametrize("token", [None, "", "falso", "from another session"])
def test_changes_need_the_csrf_token(app, agent, cookie_client, token):
    """POST, PUT and DELETE without the page's own CSRF token: 400 JSON and nothing changed."""
    admin = agent("admin")
    made = admin.create("saludo", "Hola").get_json()
    if token == "from another session":
        token = page_csrf(cookie_client("admin"))
    headers = {} if token is None else {"X-CSRFToken": token}
    answers = [admin.http.post("/api/respuestas", json={"codigo": "otro", "texto": "x"}, headers=headers),
               admin.http.put(f"/api/respuestas/{made['id']}", json={"codigo": "otro", "texto": "x"},
                              headers=headers),
               admin.http.delete(f"/api/respuestas/{made['id']}", headers=headers)]
    assert [(r.status_code, r.get_json()) for r in answers] == [
        (400, {"error": "Falta el token CSRF o no es válido; recarga la página"})] * 3
    assert stored_codes(app) == {"saludo": "Hola"}


def test_changes_are_rate_limited_per_agent(app, agent):
    """Past INBOX_WRITE_RATE_LIMIT an agent's changes get 429 JSON with Retry-After; another agent still may."""
    app.config["INBOX_WRITE_RATE_LIMIT"] = "3 per minute"
    admin, agente2 = agent("admin"), agent("agente2")
    answers = [admin.create(f"r{n}", "t").status_code for n in range(3)]
    refused = admin.create("r3", "t")
    assert answers == [201] * 3 and refused.status_code == 429
    assert refused.get_json() == {"error": "Demasiados cambios seguidos; espera un momento"}
    assert int(refused.headers["Retry-After"]) > 0
    assert admin.delete(1).status_code == 429  # every kind of change counts
    assert admin.list() != []  # reading is not limited
    assert agente2.create("r4", "t").status_code == 201
    assert set(stored_codes(app)) == {"r0", "r1", "r2", "r4"}


def test_every_change_reaches_every_agent_on_the_socket(app, agent, connect):
    """`respuestas_cambiadas` {accion, respuesta, por} goes to every agent's sockets, none to customers."""
    admin, agente2, ana = connect("admin"), connect("agente2"), connect("ana")
    for sio in (admin, agente2, ana):
        sio.get_received()
    http = agent("agente2")
    made = http.create("saludo", "Hola").get_json()
    edited = http.edit(made["id"], {"codigo": "saludo", "texto": "Hola otra vez"}).get_json()
    gone = http.delete(made["id"]).get_json()
    for sio in (admin, agente2):  # the author's own sockets too: every tab of every agent
        events = [e["args"][0] for e in sio.get_received() if e["name"] == "respuestas_cambiadas"]
        assert events == [{"accion": "creada", "respuesta": made, "por": "agente2"},
                          {"accion": "editada", "respuesta": edited, "por": "agente2"},
                          {"accion": "borrada", "respuesta": {"id": made["id"], "codigo": "saludo"}, "por": "agente2"}]
    assert gone == {"id": made["id"], "codigo": "saludo"} and edited["texto"] == "Hola otra vez"
    assert ana.get_received() == []
    http.create("", "x")  # refused: nobody is told
    assert admin.get_received() == []


def test_live_event_reaches_a_second_agent_on_a_real_server(app, live_server):
    """On the wire (gunicorn, real websockets): one agent creates over HTTP, the other agent's socket
    gets the reply at once; the customer's socket gets nothing; a customer's POST is 403."""
    admin = live_socket(live_server, "admin")
    agente2 = live_socket(live_server, "agente2")
    ana = live_socket(live_server, "ana")
    try:
        drain(agente2, 0.3), drain(ana, 0.3)
        token = CSRF_META.search(admin.http.get(live_server.url + "/soporte").text).group(1)
        response = admin.http.post(live_server.url + "/api/respuestas", headers={"X-CSRFToken": token},
                                   json={"codigo": "saludo", "texto": "Hola {{nombre}}"})
        assert response.status_code == 201
        event, payload = agente2.receive(timeout=5)
        assert event == "respuestas_cambiadas"
        assert payload == {"accion": "creada", "respuesta": response.json(), "por": "admin"}
        assert [e for e in drain(ana, 0.5) if e[0] == "respuestas_cambiadas"] == []
        assert agente2.http.get(live_server.url + "/api/respuestas").json() == [response.json()]

        ana_token = CSRF_META.search(ana.http.get(live_server.url + "/soporte").text)
        assert ana_token is not None  # the customer's page has a token, and it is not enough
        refused = ana.http.post(live_server.url + "/api/respuestas", headers={"X-CSRFToken": ana_token.group(1)},
                                json={"codigo": "mio", "texto": "x"})
        assert refused.status_code == 403
        assert [e for e in drain(agente2, 0.5) if e[0] == "respuestas_cambiadas"] == []
    finally:
        for client in (admin, agente2, ana):
            client.disconnect()


def test_two_processes_on_redis_share_the_event_and_the_allowance(app, redis_servers):
    """Created on process A, heard by an agent on process B; the per-agent allowance is counted
    in Redis, so the agent's third change on B is refused after two on A."""
    a, b = redis_servers(2, 14, INBOX_WRITE_RATE_LIMIT="2 per minute", RATELIMIT_KEY_PREFIX=f"canned-{uuid.uuid4().hex}")
    on_b = live_socket(b, "agente2")
    try:
        http = a.login("admin")
        token = CSRF_META.search(http.get(a.url + "/soporte").text).group(1)
        created = http.post(a.url + "/api/respuestas", headers={"X-CSRFToken": token},
                            json={"codigo": "saludo", "texto": "Hola"})
        assert created.status_code == 201
        event = next(e for e in iter(lambda: on_b.receive(timeout=5), None) if e[0] == "respuestas_cambiadas")
        assert event[1] == {"accion": "creada", "respuesta": created.json(), "por": "admin"}
        assert http.post(a.url + "/api/respuestas", headers={"X-CSRFToken": token},
                         json={"codigo": "adios", "texto": "Adiós"}).status_code == 201
        http_b = b.login("admin")
        token_b = CSRF_META.search(http_b.get(b.url + "/soporte").text).group(1)
        refused = http_b.post(b.url + "/api/respuestas", headers={"X-CSRFToken": token_b},
                              json={"codigo": "otra", "texto": "x"})
        assert refused.status_code == 429
        assert [r["codigo"] for r in http_b.get(b.url + "/api/respuestas").json()] == ["adios", "saludo"]
    finally:
        on_b.disconnect()


def test_the_customers_page_has_none_of_it(app, cookie_client):
    """The customer's page carries no picker, no modal and no URL of the canned replies; the agent's does."""
    customer = cookie_client("ana").get("/soporte").get_data(as_text=True)
    assert "respuestas" not in customer.lower() and "bootstrap.bundle" not in customer
    agent_page = cookie_client("admin").get("/soporte").get_data(as_text=True)
    assert 'data-url-respuestas="/api/respuestas"' in agent_page and 'id="respuestas-modal"' in agent_page
