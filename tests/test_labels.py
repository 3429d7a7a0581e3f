"""Labels: the catalogue and labels on conversations over REST, the query for the list, and their events."""
import re

import pytest
from sqlalchemy import select, text

from soporte.extensions import db
from soporte.inbox import labels
from soporte.models import Conversacion, ConversacionEtiqueta, Etiqueta

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_REFUSED = {"error": "Falta el token CSRF o no es válido; recarga la página"}


class Agent:
    """A test client of one account, sending the page's CSRF token on every write."""

    def __init__(self, client):
        self.http = client
        self.csrf = CSRF_META.search(client.get("/soporte").get_data(as_text=True)).group(1)

    def get(self, url):
        return self.http.get(url)

    def write(self, method, url, body=None):
        return self.http.open(url, method=method, json=body, headers={"X-CSRFToken": self.csrf})

    def create(self, nombre, color="#1565c0"):
        return self.write("POST", "/api/etiquetas", {"nombre": nombre, "color": color})


@pytest.fixture
def agent(cookie_client):
    """Make an Agent for an account."""
    return lambda username="admin": Agent(cookie_client(username))


def label_rows(app):
    with app.app_context():
        return sorted((r.conversacion, r.etiqueta_id) for r in db.session.scalars(select(ConversacionEtiqueta)))


def test_create_list_rename_recolour(app, agent):
    """A label is created with its text colour, listed by name case aside, renamed and recoloured."""
    admin = agent()
    response = admin.create("  Urgente   de verdad ", "#F9A825")
    assert response.status_code == 201
    urgente = response.get_json()
    assert urgente == {"id": urgente["id"], "nombre": "Urgente de verdad", "color": "#f9a825", "texto": "#000000"}
    facturas = admin.create("facturas", "#1565c0").get_json()
    assert facturas["texto"] == "#ffffff"
    listed = agent("agente2").get("/api/etiquetas").get_json()
    assert [l["nombre"] for l in listed["etiquetas"]] == ["facturas", "Urgente de verdad"]
    assert listed["paleta"] == list(labels.PALETTE)

    response = admin.write("PATCH", f"/api/etiquetas/{urgente['id']}", {"nombre": "Prioridad"})
    assert response.status_code == 200 and response.get_json()["nombre"] == "Prioridad"
    assert response.get_json()["color"] == "#f9a825"
    response = admin.write("PATCH", f"/api/etiquetas/{urgente['id']}", {"color": "#2e7d32"})
    assert response.get_json() == {"id": urgente["id"], "nombre": "Prioridad", "color": "#2e7d32", "texto": "#ffffff"}
    # renaming to its own name in another case is not a duplicate of itself
    response = admin.write("PATCH", f"/api/etiquetas/{urgente['id']}", {"nombre": "PRIORIDAD"})
    assert response.status_code == 200 and response.get_json()["nombre"] == "PRIORIDAD"


@pytest.mark.parametrize("nombre", ["Urgente", "URGENTE", "urgente ", "ｕｒｇｅｎｔｅ", "URGENTE\u00a0"])
def test_names_are_unique_without_regard_to_case(app, agent, nombre):
    """One name whatever its case, width or spaces: 409 and nothing added; a rename onto it too."""
    admin = agent()
    assert admin.create("urgente").status_code == 201
    other = admin.create("Otra").get_json()
    response = admin.create(nombre)
    assert response.status_code == 409 and response.get_json() == {"error": "Ya existe una etiqueta con ese nombre"}
    response = admin.write("PATCH", f"/api/etiquetas/{other['id']}", {"nombre": nombre})
    assert response.status_code == 409
    assert [l["nombre"] for l in admin.get("/api/etiquetas").get_json()["etiquetas"]] == ["Otra", "urgente"]


def test_the_unique_key_refuses_a_duplicate_that_slipped_past_the_check(app, monkeypatch):
    """Two agents creating one name at once: the database's unique key keeps one."""
    with app.app_context():
        db.session.add(Etiqueta(nombre="Urgente", nombre_canonico="urgente", color="#000000"))
        db.session.commit()
        # as if the other agent's commit came just after this one's check
        monkeypatch.setattr(labels, "_name_taken", lambda canonical, but=None: False)
        with pytest.raises(labels.LabelError) as refused:
            labels.create_label("URGENTE", "#000000", "admin")
        assert refused.value.status == 409
        assert db.session.scalar(select(db.func.count()).select_from(Etiqueta)) == 1


@pytest.mark.parametrize("body, error", [
    ({"nombre": "", "color": "#000000"}, "Falta el nombre de la etiqueta"),
    ({"nombre": "   ", "color": "#000000"}, "Falta el nombre de la etiqueta"),
    ({"nombre": 5, "color": "#000000"}, "Falta el nombre de la etiqueta"),
    ({"color": "#000000"}, "Falta el nombre de la etiqueta"),
    ({"nombre": "x" * 41, "color": "#000000"}, "El nombre de la etiqueta supera los 40 caracteres"),
    ({"nombre": "a\u0000b", "color": "#000000"}, "El nombre de la etiqueta contiene caracteres no válidos"),
    ({"nombre": "a\u202eb", "color": "#000000"}, "El nombre de la etiqueta contiene caracteres no válidos"),
    ({"nombre": "a\ud800", "color": "#000000"}, "El nombre de la etiqueta contiene caracteres no válidos"),
    ({"nombre": "ok"}, "El color debe ser uno de la paleta o #rrggbb"),
    ({"nombre": "ok", "color": "red"}, "El color debe ser uno de la paleta o #rrggbb"),
    ({"nombre": "ok", "color": "#fff"}, "El color debe ser uno de la paleta o #rrggbb"),
    ({"nombre": "ok", "color": "#12345g"}, "El color debe ser uno de la paleta o #rrggbb"),
    ({"nombre": "ok", "color": "#123456\n"}, "El color debe ser uno de la paleta o #rrggbb"),
    ({"nombre": "ok", "color": "url(x)"}, "El color debe ser uno de la paleta o #rrggbb"),
    ({"nombre": "ok", "color": "#000000", "extra": 1}, "Se esperaba un objeto JSON con nombre y/o color"),
    ([], "Se esperaba un objeto JSON con nombre y/o color"),
    ("texto", "Se esperaba un objeto JSON con nombre y/o color"),
])
def test_bad_labels_are_400(app, agent, body, error):
    """A malformed label: 400 with what is wrong, nothing stored."""
    admin = agent()
    response = admin.write("POST", "/api/etiquetas", body)
    assert response.status_code == 400 and response.get_json() == {"error": error}
    assert admin.get("/api/etiquetas").get_json()["etiquetas"] == []


def test_hostile_names_are_stored_verbatim(app, agent):
    """Markup and quotes are a name like any other (the page shows it with textContent)."""
    admin = agent()
    nombre = '<img src=x onerror=alert(1)>"\''[:40]
    created = admin.create(nombre).get_json()
    assert created["nombre"] == nombre
    assert admin.get("/api/etiquetas").get_json()["etiquetas"][0]["nombre"] == nombre


def test_every_colour_has_a_readable_text_colour():
    """WCAG AA (4.5:1) between each colour and the text colour given to it: the palette and the worst case."""
    for color in (*labels.PALETTE, "#777777", "#767676", "#808080", "#ff0000", "#00ff00", "#0000ff", "#000000",
                  "#ffffff"):
        assert labels.contrast(color, labels.text_colour(color)) >= 4.5, color
    assert labels.text_colour("#ffffff") == "#000000" and labels.text_colour("#000000") == "#ffffff"
    assert round(labels.contrast("#000000", "#ffffff"), 1) == 21.0


def test_patch_and_delete_of_an_unknown_label_are_404(app, agent):
    admin = agent()
    for method, body in (("PATCH", {"nombre": "x"}), ("DELETE", None)):
        response = admin.write(method, "/api/etiquetas/999", body)
        assert response.status_code == 404 and response.get_json() == {"error": "No existe esa etiqueta"}
    assert admin.write("PUT", "/api/conversaciones/ana/etiquetas/999").status_code == 404


def test_labels_on_a_conversation_and_delete_cascade(app, agent):
    """Put (twice: once), remove; deleting a label takes it off every conversation."""
    admin = agent()
    urgente = admin.create("Urgente").get_json()["id"]
    vip = admin.create("VIP").get_json()["id"]
    response = admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{vip}")
    assert response.status_code == 200 and response.get_json() == {"usuario": "ana", "etiquetas": [vip]}
    admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{urgente}")
    response = admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{urgente}")  # again: no change
    assert response.get_json() == {"usuario": "ana", "etiquetas": sorted([urgente, vip])}
    admin.write("PUT", f"/api/conversaciones/bob/etiquetas/{urgente}")
    assert agent("agente2").get("/api/conversaciones/bob/etiquetas").get_json() == {"usuario": "bob",
                                                                                   "etiquetas": [urgente]}
    response = admin.write("DELETE", f"/api/conversaciones/ana/etiquetas/{vip}")
    assert response.get_json() == {"usuario": "ana", "etiquetas": [urgente]}
    assert admin.write("DELETE", f"/api/conversaciones/ana/etiquetas/{vip}").get_json()["etiquetas"] == [urgente]

    response = admin.write("DELETE", f"/api/etiquetas/{urgente}")
    assert response.status_code == 200 and response.get_json() == {"id": urgente, "conversaciones": ["ana", "bob"]}
    assert label_rows(app) == []
    assert [l["id"] for l in admin.get("/api/etiquetas").get_json()["etiquetas"]] == [vip]


@pytest.mark.parametrize("who", ["admin", "agente2", "nadie", "ana ", "ANA", "x" * 300])
def test_labels_only_go_on_customers(app, agent, who):
    """An agent's name, an unknown one, or a look-alike of a customer's: 404, nothing stored."""
    admin = agent()
    vip = admin.create("VIP").get_json()["id"]
    response = admin.write("PUT", f"/api/conversaciones/{who}/etiquetas/{vip}")
    assert response.status_code == 404 and response.get_json() == {"error": f"No existe el cliente {who}"}
    assert admin.get(f"/api/conversaciones/{who}/etiquetas").status_code == 404
    assert label_rows(app) == []


def test_a_conversation_takes_a_bounded_number_of_labels(app, agent):
    admin = agent()
    ids = [admin.create(f"e{n}").get_json()["id"] for n in range(labels.MAX_PER_CONVERSATION + 1)]
    for n in ids[:-1]:
        assert admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{n}").status_code == 200
    response = admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{ids[-1]}")
    assert response.status_code == 409
    assert response.get_json() == {"error": "Una conversación admite como mucho 20 etiquetas"}


def test_customers_get_403_and_strangers_401(app, agent, client):
    """A customer (with a good CSRF token) gets 403 on every label route; nobody logged in, 401."""
    admin = agent()
    vip = admin.create("VIP").get_json()["id"]
    ana = agent("ana")
    calls = [("GET", "/api/etiquetas", None), ("POST", "/api/etiquetas", {"nombre": "x", "color": "#000000"}),
             ("PATCH", f"/api/etiquetas/{vip}", {"nombre": "y"}), ("DELETE", f"/api/etiquetas/{vip}", None),
             ("GET", "/api/conversaciones/ana/etiquetas", None),
             ("PUT", f"/api/conversaciones/ana/etiquetas/{vip}", None),
             ("DELETE", f"/api/conversaciones/ana/etiquetas/{vip}", None)]
    for method, url, body in calls:
        response = ana.write(method, url, body)
        assert response.status_code == 403 and response.get_json() == {"error": "Solo para agentes de soporte"}, url
    for method, url, body in calls:
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 401 and response.get_json() == {"error": "No autenticado"}, url
    assert [l["nombre"] for l in admin.get("/api/etiquetas").get_json()["etiquetas"]] == ["VIP"]
    assert label_rows(app) == []


@pytest.mark.parametrize("token", [None, "falso"])
def test_writes_need_the_csrf_token(app, agent, token):
    """Every write without the page's CSRF token: 400 and nothing changed."""
    admin = agent()
    vip = admin.create("VIP").get_json()["id"]
    headers = {} if token is None else {"X-CSRFToken": token}
    for method, url, body in (("POST", "/api/etiquetas", {"nombre": "x", "color": "#000000"}),
                              ("PATCH", f"/api/etiquetas/{vip}", {"nombre": "y"}),
                              ("DELETE", f"/api/etiquetas/{vip}", None),
                              ("PUT", f"/api/conversaciones/ana/etiquetas/{vip}", None)):
        response = admin.http.open(url, method=method, json=body, headers=headers)
        assert response.status_code == 400 and response.get_json() == CSRF_REFUSED, url
    assert [l["nombre"] for l in admin.get("/api/etiquetas").get_json()["etiquetas"]] == ["VIP"]
    assert label_rows(app) == []


def test_writes_are_rate_limited_per_agent(app, agent):
    """Past INBOX_WRITE_RATE_LIMIT an agent gets 429 JSON with Retry-After; another agent still writes."""
    app.config["INBOX_WRITE_RATE_LIMIT"] = "3 per minute"
    admin = agent()
    for n in range(3):
        assert admin.create(f"e{n}").status_code == 201
    response = admin.create("e3")
    assert response.status_code == 429
    assert response.get_json() == {"error": "Demasiados cambios seguidos; espera un momento"}
    assert int(response.headers["Retry-After"]) > 0
    assert agent("agente2").create("e4").status_code == 201
    assert len(admin.get("/api/etiquetas").get_json()["etiquetas"]) == 4  # reading is not limited


def test_labels_of_and_with_label(app, agent):
    """labels_of answers every customer asked in one query; with_label filters the conversations."""
    admin = agent()
    vip = admin.create("VIP").get_json()["id"]
    urgente = admin.create("Urgente").get_json()["id"]
    admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{urgente}")
    admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{vip}")
    admin.write("PUT", f"/api/conversaciones/bob/etiquetas/{vip}")
    with app.app_context():
        for name, ultimo in (("ana", 10), ("bob", 20), ("carla", 30)):
            db.session.add(Conversacion(usuario=name, ultimo_id=ultimo))
        db.session.commit()
        statements = []
        db.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        assert labels.labels_of(["ana", "bob", "carla", "ana"]) == {
            "ana": sorted([vip, urgente]), "bob": [vip], "carla": []}
        assert len(statements) == 1
        assert labels.labels_of([]) == {}
        query = select(Conversacion.usuario).where(labels.with_label(vip)).order_by(Conversacion.ultimo_id.desc())
        assert db.session.scalars(query).all() == ["bob", "ana"]
        assert db.session.scalars(select(Conversacion.usuario).where(labels.with_label(urgente))).all() == ["ana"]


def test_the_filter_by_label_uses_the_index(app):
    """EXPLAIN of with_label: the (etiqueta_id, conversacion) index, no scan of the label rows."""
    with app.app_context():
        query = select(Conversacion.usuario).where(labels.with_label(1))
        compiled = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        dialect = db.engine.dialect.name
        prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        plan = " ".join(str(cell) for row in db.session.execute(text(prefix + compiled)) for cell in row)
        assert "ix_conversacion_etiquetas_etiqueta_conversacion" in plan, plan


def test_events_reach_every_agent_and_no_customer(app, agent, connect):
    """etiquetas (the catalogue) and etiquetas_conversacion go to agents' sockets only."""
    admin_socket, agente2_socket, ana_socket = connect("admin"), connect("agente2"), connect("ana")
    for socket in (admin_socket, agente2_socket, ana_socket):
        socket.get_received()
    admin = agent()
    vip = admin.create("VIP", "#ad1457").get_json()
    expected = {"name": "etiquetas", "args": [{"etiquetas": [vip]}], "namespace": "/"}
    assert agente2_socket.get_received() == [expected]
    assert admin_socket.get_received() == [expected]
    admin.write("PUT", f"/api/conversaciones/ana/etiquetas/{vip['id']}")
    assert agente2_socket.get_received() == [{"name": "etiquetas_conversacion", "namespace": "/",
                                             "args": [{"usuario": "ana", "etiquetas": [vip["id"]]}]}]
    admin.write("DELETE", f"/api/etiquetas/{vip['id']}")
    assert agente2_socket.get_received() == [{"name": "etiquetas", "args": [{"etiquetas": []}], "namespace": "/"}]
    admin.create("x", "bad")  # refused: nothing announced
    assert agente2_socket.get_received() == []
    assert ana_socket.get_received() == []


def test_a_deleted_labels_id_is_never_given_again(app, agent):
    """A page that missed a deletion must not show a new label in its place: ids only grow."""
    admin = agent()
    first = admin.create("Uno").get_json()["id"]
    admin.write("DELETE", f"/api/etiquetas/{first}")
    assert admin.create("Dos").get_json()["id"] > first
