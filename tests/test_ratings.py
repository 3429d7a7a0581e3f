"""Satisfaction ratings (docs/protocol.md "Valoraciones"): asked at each resolution, one per cycle, on the wire,
over REST, in the customer panel, in the reports, and in the customer's data (export, erase)."""
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from conftest import login
from soporte.extensions import db
from soporte.inbox.ratings import MAX_COMMENT, erase_customer, export_customer
from soporte.models import Ciclo, Usuario, Valoracion
from test_api import add_messages, get_json
from test_events import events


def change(sio, con, estado):
    return sio.emit("cambiar_estado", {"con": con, "estado": estado}, callback=True)


def rate(sio, ciclo, puntuacion, comentario=None):
    payload = {"ciclo": ciclo, "puntuacion": puntuacion}
    if comentario is not None:
        payload["comentario"] = comentario
    return sio.emit("valorar_conversacion", payload, callback=True)


def named(sio, name):
    return [payload for event, payload in events(sio) if event == name]


@pytest.fixture
def chat(connect):
    """admin (an agent), ana and bob (customers), each on one socket."""
    return {"admin": connect("admin"), "ana": connect("ana"), "bob": connect("bob")}


def resolve(app, chat, customer="ana", text="hola"):
    """A customer message stored, the conversation resolved by admin; the pedir_valoracion the customer got."""
    add_messages(app, (customer, "admin", text), ("admin", customer, "respuesta"))
    events(chat[customer])
    assert change(chat["admin"], customer, "resuelta")["ok"]
    (asked,) = named(chat[customer], "pedir_valoracion")
    return asked["ciclo"]


def test_a_resolution_asks_once_and_the_rating_reaches_every_agent(app, chat):
    ciclo = resolve(app, chat)
    assert named(chat["bob"], "pedir_valoracion") == []  # only that customer is asked
    assert change(chat["admin"], "ana", "resuelta")["ok"]  # resolved again: nothing new to rate
    assert named(chat["ana"], "pedir_valoracion") == []
    events(chat["admin"])
    ack = rate(chat["ana"], ciclo, 4, "  Muy amable 😀  ")
    assert ack["ok"] is True and (ack["ciclo"], ack["puntuacion"], ack["comentario"]) == (ciclo, 4, "Muy amable 😀")
    assert ack["agente"] == "admin" and ack["usuario"] == "ana" and ack["fecha"].endswith("Z")
    (seen,) = named(chat["admin"], "valoracion")
    assert seen == {k: v for k, v in ack.items() if k != "ok"}
    assert rate(chat["ana"], ciclo, 5) == {"ok": False, "error": "Ya has valorado esta conversación"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Valoracion)) == 1


def test_resolve_reopen_resolve_asks_twice_and_both_count(app, chat):
    first = resolve(app, chat)
    assert change(chat["admin"], "ana", "abierta")["ok"]
    second = resolve(app, chat, text="otra cosa")
    assert second != first
    assert rate(chat["ana"], first, 2)["ok"] and rate(chat["ana"], second, 5)["ok"]
    with app.app_context():
        assert sorted(db.session.scalars(select(Valoracion.puntuacion))) == [2, 5]


@pytest.mark.parametrize("payload, error", [
    ({"ciclo": 1, "puntuacion": 0}, "La puntuación debe ser un número entero del 1 al 5"),
    ({"ciclo": 1, "puntuacion": 6}, "La puntuación debe ser un número entero del 1 al 5"),
    ({"ciclo": 1, "puntuacion": 4.5}, "La puntuación debe ser un número entero del 1 al 5"),
    ({"ciclo": 1, "puntuacion": True}, "La puntuación debe ser un número entero del 1 al 5"),
    ({"ciclo": 1, "puntuacion": "5"}, "La puntuación debe ser un número entero del 1 al 5"),
    ({"ciclo": 1, "puntuacion": 5, "comentario": "x" * (MAX_COMMENT + 1)},
     f"El comentario supera los {MAX_COMMENT} caracteres"),
    ({"ciclo": 1, "puntuacion": 5, "comentario": 7}, "El comentario debe ser texto"),
    ({"ciclo": "1", "puntuacion": 5}, "Falta la conversación que valoras (ciclo)"),
    ([1, 5], "La valoración debe ser un objeto {ciclo, puntuacion, comentario}"),
])
def test_bad_payloads_are_refused(app, chat, payload, error):
    resolve(app, chat)
    assert chat["ana"].emit("valorar_conversacion", payload, callback=True) == {"ok": False, "error": error}


def test_not_yours_and_not_resolved_are_refused(app, chat):
    ciclo = resolve(app, chat)
    assert rate(chat["bob"], ciclo, 5) == {"ok": False, "error": "Esa conversación no es tuya"}
    assert rate(chat["admin"], ciclo, 5) == {"ok": False, "error": "Esa conversación no es tuya"}
    assert rate(chat["ana"], ciclo + 1000, 5) == {"ok": False, "error": "Esa conversación no es tuya"}
    add_messages(app, ("bob", "admin", "abierta"))
    with app.app_context():
        open_cycle = db.session.scalar(select(Ciclo.id).where(Ciclo.conversacion == "bob"))
    assert rate(chat["bob"], open_cycle, 5) == {"ok": False, "error": "Esa conversación aún no está resuelta"}
    assert rate(chat["ana"], ciclo, 3, "x" * MAX_COMMENT)["ok"]  # exactly the limit is fine


def test_the_pending_prompt_comes_back_after_a_reload_until_rated_or_reopened(app, chat, cookie_client):
    ana = cookie_client("ana")
    assert get_json(ana, "/api/mios/valoracion") == {"ciclo": None, "resuelta_en": None}
    ciclo = resolve(app, chat)
    pending = get_json(ana, "/api/mios/valoracion")
    assert pending["ciclo"] == ciclo and pending["resuelta_en"].endswith("Z")
    assert get_json(cookie_client("bob"), "/api/mios/valoracion")["ciclo"] is None
    assert get_json(cookie_client("admin"), "/api/mios/valoracion")["ciclo"] is None
    assert rate(chat["ana"], ciclo, 5)["ok"]
    assert get_json(ana, "/api/mios/valoracion")["ciclo"] is None
    # the next resolution asks again; writing again (reopening) withdraws the question
    assert change(chat["admin"], "ana", "abierta")["ok"]
    second = resolve(app, chat)
    assert get_json(ana, "/api/mios/valoracion")["ciclo"] == second
    add_messages(app, ("ana", "admin", "una cosa más"))
    assert get_json(ana, "/api/mios/valoracion")["ciclo"] is None
    assert app.test_client().get("/api/mios/valoracion").status_code == 401


def test_the_credited_agent_is_the_assignee_else_the_last_to_reply(app, chat):
    add_messages(app, ("ana", "admin", "hola"), ("agente2", "ana", "te ayudo yo"))
    assert change(chat["admin"], "ana", "resuelta")["ok"]
    (asked,) = named(chat["ana"], "pedir_valoracion")
    assert rate(chat["ana"], asked["ciclo"], 3)["agente"] == "agente2"  # last reply; admin only resolved
    assert change(chat["admin"], "ana", "abierta")["ok"]
    chat["admin"].emit("asignar_conversacion", {"con": "ana", "agente": "admin"}, callback=True)
    add_messages(app, ("agente2", "ana", "sigo yo"))
    events(chat["ana"])
    assert change(chat["admin"], "ana", "resuelta")["ok"]
    (asked,) = named(chat["ana"], "pedir_valoracion")
    assert rate(chat["ana"], asked["ciclo"], 5)["agente"] == "admin"  # the assignee


def test_agents_see_ratings_in_the_customer_panel(app, chat, cookie_client):
    ciclo = resolve(app, chat)
    assert rate(chat["ana"], ciclo, 4, "bien")["ok"]
    panel = get_json(cookie_client("admin"), "/api/clientes/ana")
    assert [(v["ciclo"], v["puntuacion"], v["comentario"], v["agente_nombre"]) for v in panel["valoraciones"]] == [
        (ciclo, 4, "bien", "Admin")]
    assert get_json(cookie_client("admin"), "/api/clientes/bob")["valoraciones"] == []


def test_reports_count_ratings_per_agent_and_overall(app, chat):
    """Scores 5 and 3 for admin, 1 for agente2, one outside the range: averages and distributions."""
    with app.app_context():
        day = datetime(2026, 5, 4, 10, 0)
        for i, (agente, score, when) in enumerate([("admin", 5, day), ("admin", 3, day + timedelta(hours=3)),
                                                    ("agente2", 1, day), ("admin", 1, day - timedelta(days=3))]):
            db.session.add(Valoracion(ciclo_id=100 + i, conversacion="ana", agente=agente, puntuacion=score,
                                      fecha=when))
        db.session.commit()
    client = app.test_client()
    login(client, "admin")
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin").values(supervisor=True))
        db.session.commit()
    body = get_json(client, "/api/informes?desde=2026-05-04&hasta=2026-05-04&zona=Europe/Madrid")
    by_agent = {a["agente"]: a["valoracion"] for a in body["agentes"]}
    assert by_agent["admin"] == {"n": 2, "media": 4.0, "distribucion": [0, 0, 1, 0, 1]}
    assert by_agent["agente2"] == {"n": 1, "media": 1.0, "distribucion": [1, 0, 0, 0, 0]}
    assert body["total"]["valoracion"] == {"n": 3, "media": 3.0, "distribucion": [1, 0, 1, 0, 1]}
    assert body["dias"][0]["valoracion"]["n"] == 3
    csv_text = client.get("/api/informes?desde=2026-05-04&hasta=2026-05-04&formato=csv").get_data(as_text=True)
    total = [line for line in csv_text.splitlines() if line.startswith("total")][0]
    assert total.endswith(",3,3.0,1,0,1,0,1")


def test_export_and_erase_a_customers_ratings(app, chat):
    ciclo = resolve(app, chat)
    assert rate(chat["ana"], ciclo, 4, "bien")["ok"]
    bob_cycle = resolve(app, chat, customer="bob")
    assert rate(chat["bob"], bob_cycle, 2)["ok"]
    with app.app_context():
        ana = db.session.scalar(select(Usuario).where(Usuario.usuario == "ana"))
        ((path, content),) = list(export_customer(ana))
        assert path == "valoraciones.json"
        assert [(r["ciclo"], r["puntuacion"], r["comentario"]) for r in json.loads(content)] == [(ciclo, 4, "bien")]
        assert erase_customer(ana) == []
        db.session.commit()
        assert db.session.scalars(select(Valoracion.conversacion)).all() == ["bob"]
        assert json.loads(list(export_customer(ana))[0][1]) == []
