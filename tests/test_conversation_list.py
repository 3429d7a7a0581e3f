"""The agents' list (docs/protocol.md "La lista de conversaciones"): views, the order by longest wait,
paging, the views' counts, and the writer's unstored rows merged in."""
import pytest
from sqlalchemy import update

from conftest import make_users
from soporte.extensions import db
from soporte.models import Conversacion
from test_api import add_messages, get_json

CUSTOMERS = ["ana", "bob", "carla", "dario", "elena"]


@pytest.fixture
def inbox(app):
    """ana and carla wait (carla since before ana); bob, dario and elena were answered; dario is newest."""
    with app.app_context():
        make_users(("carla", "user"), ("dario", "user"), ("elena", "user"))
    ids = {}
    ids["carla"] = add_messages(app, ("carla", "admin", "primero"))
    ids["bob"] = add_messages(app, ("bob", "admin", "hola"), ("admin", "bob", "dime"))
    ids["ana"] = add_messages(app, ("ana", "admin", "una"), ("ana", "admin", "dos"))
    ids["elena"] = add_messages(app, ("elena", "admin", "hola"), ("agente2", "elena", "hecho"))
    ids["dario"] = add_messages(app, ("dario", "admin", "hola"), ("admin", "dario", "ya está"))
    with app.app_context():
        db.session.execute(update(Conversacion).where(Conversacion.usuario.in_(["ana", "bob"])).values(asignado="admin"))
        db.session.execute(update(Conversacion).where(Conversacion.usuario == "elena").values(asignado="agente2"))
        db.session.commit()
    return ids


def names(client, query=""):
    return [row["usuario"] for row in get_json(client, "/api/conversaciones" + query)]


def test_views_by_assignee(cookie_client, inbox):
    admin = cookie_client("admin")
    assert names(admin) == ["dario", "elena", "ana", "bob", "carla"]
    assert names(admin, "?vista=mias") == ["ana", "bob"]
    assert names(cookie_client("agente2"), "?vista=mias") == ["elena"]
    assert names(admin, "?vista=sin_asignar") == ["dario", "carla"]
    row = get_json(admin, "/api/conversaciones?vista=mias")[0]
    assert (row["asignado"], row["asignado_nombre"]) == ("admin", "Admin")


def test_longest_waiting_first_then_the_others_by_activity_and_its_pages(cookie_client, inbox):
    admin = cookie_client("admin")
    assert names(admin, "?orden=espera") == ["carla", "ana", "dario", "elena", "bob"]
    waits = {r["usuario"]: r["esperando_id"] for r in get_json(admin, "/api/conversaciones?orden=espera")}
    assert waits == {"carla": inbox["carla"][0], "ana": inbox["ana"][0], "dario": None, "elena": None, "bob": None}
    # pages: the waiting ones after the last one seen, then the others before the last id seen
    assert names(admin, "?orden=espera&limite=1") == ["carla"]
    assert names(admin, f"?orden=espera&limite=2&esperando_despues={inbox['carla'][0]}") == ["ana", "dario"]
    assert names(admin, f"?orden=espera&limite=2&antes={inbox['dario'][-1]}") == ["elena", "bob"]
    assert names(admin, "?orden=espera&vista=sin_asignar") == ["carla", "dario"]


def test_each_views_count(cookie_client, inbox, app):
    admin = cookie_client("admin")
    assert get_json(admin, "/api/conversaciones/recuento") == {"estado": "abierta", "todas": 5, "mias": 2,
                                                               "sin_asignar": 2}
    with app.app_context():
        db.session.execute(update(Conversacion).where(Conversacion.usuario == "ana").values(estado="resuelta"))
        db.session.commit()
    assert get_json(admin, "/api/conversaciones/recuento") == {"estado": "abierta", "todas": 4, "mias": 1,
                                                               "sin_asignar": 2}
    assert get_json(admin, "/api/conversaciones/recuento?estado=resuelta") == {
        "estado": "resuelta", "todas": 1, "mias": 1, "sin_asignar": 0}
    assert get_json(admin, "/api/conversaciones/recuento?estado=todas") == {
        "estado": "todas", "todas": 5, "mias": 2, "sin_asignar": 2}


def test_unstored_rows_move_the_wait_and_the_preview(app, cookie_client, inbox):
    """A reply the writer holds answers carla; a new customer message makes dario wait, on top."""
    chat = app.extensions["soporte"]
    for author, customer, text in (("admin", "carla", "ya voy"), ("dario", "dario", "otra cosa")):
        message_id, fecha = chat.ids.next()
        chat.writer.unstored[message_id] = {"id": message_id, "de_usuario": author, "conversacion": customer,
                                            "para_usuario": customer if author != customer else "admin",
                                            "mensaje": text, "fecha": fecha}
    try:
        admin = cookie_client("admin")
        rows = {r["usuario"]: r for r in get_json(admin, "/api/conversaciones?orden=espera")}
        assert rows["carla"]["esperando_id"] is None and rows["carla"]["ultimo"]["mensaje"] == "ya voy"
        assert rows["dario"]["esperando_id"] == max(chat.writer.unstored)
        assert names(admin, "?orden=espera") == ["ana", "dario", "carla", "elena", "bob"]
        assert names(admin, "?orden=espera&limite=1") == ["ana"]
    finally:
        chat.writer.unstored.clear()


def test_the_preview_is_short(app, cookie_client):
    add_messages(app, ("ana", "admin", "x" * 1500))
    row = get_json(cookie_client("admin"), "/api/conversaciones")[0]
    assert row["ultimo"]["mensaje"] == "x" * 140


@pytest.mark.parametrize("query", ["?vista=otras", "?orden=nombre", "?esperando_despues=x", "?esperando_despues=-1"])
def test_bad_list_parameters_are_400_json(cookie_client, query):
    response = cookie_client("admin").get("/api/conversaciones" + query)
    assert response.status_code == 400 and response.get_json()["error"]


def test_counts_are_for_agents_only(client, cookie_client):
    assert client.get("/api/conversaciones/recuento").status_code == 401
    assert cookie_client("ana").get("/api/conversaciones/recuento").status_code == 403
    assert cookie_client("admin").get("/api/conversaciones/recuento?estado=x").status_code == 400


def test_rows_carry_their_labels_and_the_list_filters_by_one(app, cookie_client, inbox):
    """?etiqueta= keeps the conversations with that label, in any view and order; each row lists its label ids."""
    from soporte.models import ConversacionEtiqueta, Etiqueta

    with app.app_context():
        urgent, vip = Etiqueta(nombre="Urgente", nombre_canonico="urgente", color="#c62828"), \
            Etiqueta(nombre="VIP", nombre_canonico="vip", color="#1565c0")
        db.session.add_all([urgent, vip])
        db.session.flush()
        db.session.add_all([ConversacionEtiqueta(conversacion=c, etiqueta_id=urgent.id) for c in ("carla", "bob", "dario")]
                           + [ConversacionEtiqueta(conversacion="bob", etiqueta_id=vip.id)])
        db.session.commit()
        urgent_id, vip_id = urgent.id, vip.id
    admin = cookie_client("admin")
    rows = {r["usuario"]: r["etiquetas"] for r in get_json(admin, "/api/conversaciones")}
    assert rows == {"ana": [], "bob": sorted([urgent_id, vip_id]), "carla": [urgent_id], "dario": [urgent_id], "elena": []}
    assert names(admin, f"?etiqueta={urgent_id}") == ["dario", "bob", "carla"]
    assert names(admin, f"?etiqueta={urgent_id}&orden=espera") == ["carla", "dario", "bob"]
    assert names(admin, f"?etiqueta={urgent_id}&vista=mias") == ["bob"]
    assert names(admin, f"?etiqueta={vip_id}&limite=1") == ["bob"]
    assert names(admin, "?etiqueta=999") == []
    assert admin.get("/api/conversaciones?etiqueta=x").status_code == 400
