"""The customer panel: a seeded customer's profile, earlier conversations, the shared note, and who may see it."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from soporte.extensions import db
from soporte.models import Ciclo, PerfilCliente, Usuario

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
BASE = datetime(2026, 11, 2, 9, 30, 0, 123456)


def csrf(client):
    return CSRF_META.search(client.get("/soporte").get_data(as_text=True)).group(1)


def put_note(client, usuario, body, token=None):
    return client.put(f"/api/clientes/{usuario}/nota", json=body, headers={"X-CSRFToken": token or csrf(client)})


def seed_cycles(app, customer="ana", closed=3, still_open=True):
    """Closed cycles a day apart (resolved by admin, the newest by agente2), and an open one; their ids."""
    with app.app_context():
        made = []
        for n in range(closed):
            cycle = Ciclo(conversacion=customer, abierto_id=1000 + n, abierta_en=BASE + timedelta(days=n),
                          resuelta_en=BASE + timedelta(days=n, hours=2),
                          resuelta_por="agente2" if n == closed - 1 else "admin")
            db.session.add(cycle)
            db.session.flush()
            made.append(cycle.id)
        db.session.add(Ciclo(conversacion="bob", abierto_id=5000, abierta_en=BASE, resuelta_en=BASE,
                             resuelta_por="admin"))
        if still_open:
            db.session.add(Ciclo(conversacion=customer, abierto_id=9000, abierta_en=BASE + timedelta(days=30)))
        db.session.execute(update(Usuario).where(Usuario.usuario == customer)
                           .values(creado_en=datetime(2025, 3, 4, 5, 6, 7), idioma="en", nombre="Ana López"))
        db.session.commit()
        return made


def test_the_panel_of_a_seeded_customer(app, cookie_client, connect):
    """Every field: names, registration, language, online, labels, note, closed cycles newest first."""
    ids = seed_cycles(app)
    admin = cookie_client("admin")
    token = csrf(admin)
    vip = admin.post("/api/etiquetas", json={"nombre": "VIP", "color": "#6a1b9a"},
                     headers={"X-CSRFToken": token}).get_json()["id"]
    admin.put(f"/api/conversaciones/ana/etiquetas/{vip}", headers={"X-CSRFToken": token})
    put_note(admin, "ana", {"nota": "Prefiere que la llamen por la tarde.\nCliente desde 2019."}, token)
    connect("ana")  # online

    panel = cookie_client("agente2").get("/api/clientes/ana").get_json()
    nota = panel.pop("nota")
    assert panel == {
        "usuario": "ana", "nombre": "Ana López", "registrado": "2025-03-04T05:06:07.000000Z", "idioma": "en",
        "invitado": False, "verificado": False, "en_linea": True, "etiquetas": [vip], "mas": False, "valoraciones": [],
        "conversaciones": [
            {"ciclo": ids[2], "abierto_id": 1002, "abierta_en": "2026-11-04T09:30:00.123456Z",
             "resuelta_en": "2026-11-04T11:30:00.123456Z", "resuelta_por": "agente2",
             "resuelta_por_nombre": "Agente2"},
            {"ciclo": ids[1], "abierto_id": 1001, "abierta_en": "2026-11-03T09:30:00.123456Z",
             "resuelta_en": "2026-11-03T11:30:00.123456Z", "resuelta_por": "admin", "resuelta_por_nombre": "Admin"},
            {"ciclo": ids[0], "abierto_id": 1000, "abierta_en": "2026-11-02T09:30:00.123456Z",
             "resuelta_en": "2026-11-02T11:30:00.123456Z", "resuelta_por": "admin", "resuelta_por_nombre": "Admin"},
        ],
    }
    assert nota["texto"] == "Prefiere que la llamen por la tarde.\nCliente desde 2019."
    assert nota["editado_por"] == "admin" and nota["editado_por_nombre"] == "Admin"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", nota["editado_en"])


def test_an_account_older_than_the_registration_date(app, cookie_client):
    """creado_en NULL: registrado null (the page says "desconocida"); no language, offline, nothing else."""
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "bob").values(creado_en=None))
        db.session.commit()
    panel = cookie_client("admin").get("/api/clientes/bob").get_json()
    assert panel == {"usuario": "bob", "nombre": "Bob", "registrado": None, "idioma": None,
                     "invitado": False, "verificado": False, "en_linea": False,
                     "etiquetas": [], "nota": None, "conversaciones": [], "mas": False,
                     "valoraciones": []}


def test_earlier_conversations_are_paged(app, cookie_client):
    """limite and antes page the closed cycles, newest first, over both routes."""
    ids = seed_cycles(app, closed=5)
    admin = cookie_client("admin")
    first = admin.get("/api/clientes/ana?limite=2").get_json()
    assert [c["ciclo"] for c in first["conversaciones"]] == [ids[4], ids[3]] and first["mas"] is True
    second = admin.get(f"/api/clientes/ana/conversaciones?limite=2&antes={ids[3]}").get_json()
    assert [c["ciclo"] for c in second["conversaciones"]] == [ids[2], ids[1]] and second["mas"] is True
    last = admin.get(f"/api/clientes/ana/conversaciones?limite=2&antes={ids[1]}").get_json()
    assert [c["ciclo"] for c in last["conversaciones"]] == [ids[0]] and last["mas"] is False
    for bad in ("limite=0", "limite=51", "limite=x", "antes=-1", "antes=99999999999"):
        response = admin.get(f"/api/clientes/ana/conversaciones?{bad}")
        assert response.status_code == 400 and "error" in response.get_json(), bad


def test_earlier_conversations_read_the_index(app):
    """EXPLAIN: a range of ix_ciclos_conversacion_id, not a scan of every cycle."""
    from soporte.inbox.customer_panel import earlier_conversations

    with app.app_context():
        statements = []
        db.event.listen(db.engine, "before_cursor_execute", lambda c, cur, statement, params, *a: statements.append(
            (statement, params)))
        earlier_conversations("ana", antes=10)
        statement, params = statements[0]
        prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
        raw = db.session.connection().connection.dbapi_connection.cursor()
        raw.execute(prefix + statement, params)
        plan = " ".join(str(cell) for row in raw.fetchall() for cell in row)
        assert "ix_ciclos_conversacion_id" in plan, plan


@pytest.mark.parametrize("who", ["admin", "agente2", "nadie", "ana ", "ANA"])
def test_only_customers_have_a_panel(app, cookie_client, who):
    """An agent, an unknown name or a look-alike: 404 JSON on every panel route."""
    admin = cookie_client("admin")
    for response in (admin.get(f"/api/clientes/{who}"), admin.get(f"/api/clientes/{who}/conversaciones"),
                     put_note(admin, who, {"nota": "x"})):
        assert response.status_code == 404 and response.get_json() == {"error": f"No existe el cliente {who}"}
    with app.app_context():
        assert db.session.scalars(select(PerfilCliente)).all() == []


def test_customers_get_403_and_strangers_401(app, cookie_client, client):
    """The panel is the agents': a customer is refused even their own; no login, 401."""
    ana = cookie_client("ana")
    token = csrf(ana)
    for response in (ana.get("/api/clientes/ana"), ana.get("/api/clientes/ana/conversaciones"),
                     put_note(ana, "ana", {"nota": "hola"}, token)):
        assert response.status_code == 403 and response.get_json() == {"error": "Solo para agentes de soporte"}
    for response in (client.get("/api/clientes/ana"), client.get("/api/clientes/ana/conversaciones")):
        assert response.status_code == 401 and response.get_json() == {"error": "No autenticado"}
    with app.app_context():
        assert db.session.scalars(select(PerfilCliente)).all() == []


def test_the_note_is_replaced_cleared_and_announced(app, cookie_client, connect):
    """PUT replaces the note, blank clears it; every agent's socket hears perfil_cliente, the customer's none."""
    admin_socket, agente2_socket, ana_socket = connect("admin"), connect("agente2"), connect("ana")
    for socket in (admin_socket, agente2_socket, ana_socket):
        socket.get_received()
    admin, agente2 = cookie_client("admin"), cookie_client("agente2")
    response = put_note(admin, "ana", {"nota": "<b>VIP</b> ✓"})
    assert response.status_code == 200
    first = response.get_json()
    assert first["usuario"] == "ana" and first["nota"]["texto"] == "<b>VIP</b> ✓"
    events = agente2_socket.get_received()
    assert events == [{"name": "perfil_cliente", "args": [first], "namespace": "/"}]
    assert admin_socket.get_received() == events

    second = put_note(agente2, "ana", {"nota": "Otra cosa"}).get_json()
    assert second["nota"]["editado_por"] == "agente2" and second["nota"]["editado_por_nombre"] == "Agente2"
    assert admin.get("/api/clientes/ana").get_json()["nota"] == second["nota"]
    assert admin_socket.get_received()[0]["args"] == [second]
    assert agente2_socket.get_received()[0]["args"] == [second]  # the editor's own tabs too

    cleared = put_note(admin, "ana", {"nota": "  \n "}).get_json()
    assert cleared == {"usuario": "ana", "nota": None}
    assert agente2_socket.get_received()[0]["args"] == [cleared]
    with app.app_context():
        assert db.session.scalars(select(PerfilCliente)).all() == []
    assert ana_socket.get_received() == []


@pytest.mark.parametrize("body, error", [
    ({"nota": "x" * 2001}, "La nota supera los 2000 caracteres"),
    ({"nota": 5}, "Se esperaba un objeto JSON {nota: texto}"),
    ({"nota": None}, "Se esperaba un objeto JSON {nota: texto}"),
    ({}, "Se esperaba un objeto JSON {nota: texto}"),
    ({"nota": "x", "otra": 1}, "Se esperaba un objeto JSON {nota: texto}"),
    (["x"], "Se esperaba un objeto JSON {nota: texto}"),
    ({"nota": "a\ud800b"}, "La nota contiene caracteres no válidos"),
    ({"nota": "a\u0000b"}, "La nota contiene caracteres no válidos"),
    ({"nota": "a\u001bb"}, "La nota contiene caracteres no válidos"),
])
def test_bad_notes_are_400(app, cookie_client, body, error):
    admin = cookie_client("admin")
    response = put_note(admin, "ana", body)
    assert response.status_code == 400 and response.get_json() == {"error": error}
    assert admin.get("/api/clientes/ana").get_json()["nota"] is None


def test_a_note_of_the_longest_length_with_every_kind_of_character_is_kept(app, cookie_client):
    admin = cookie_client("admin")
    text = ("ñ😀\t\r\n'\"<>&" * 200)[:2000]
    assert put_note(admin, "ana", {"nota": text}).status_code == 200
    assert admin.get("/api/clientes/ana").get_json()["nota"]["texto"] == text


@pytest.mark.parametrize("token", [None, "falso"])
def test_the_note_needs_the_csrf_token(app, cookie_client, token):
    admin = cookie_client("admin")
    csrf(admin)
    headers = {} if token is None else {"X-CSRFToken": token}
    response = admin.put("/api/clientes/ana/nota", json={"nota": "x"}, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Falta el token CSRF o no es válido; recarga la página"}
    assert admin.get("/api/clientes/ana").get_json()["nota"] is None
