"""What storing a batch does to its conversations: the customer's wait, reopening and cycles (real database)."""
import pytest
from sqlalchemy import select

from soporte.extensions import db
from soporte.inbox.conversations import change_status
from soporte.models import Ciclo, Conversacion
from soporte.relay.writer import store


@pytest.fixture
def say(app):
    """say(author, customer) -> a message row with a fresh id (not stored yet)."""
    ids = app.extensions["soporte"].ids

    def row(author, customer="ana"):
        message_id, fecha = ids.next()
        return {"id": message_id, "de_usuario": author, "para_usuario": "admin" if author == customer else customer,
                "conversacion": customer, "mensaje": f"de {author}", "fecha": fecha, "cid": None}
    return row


def stored(app, *batches):
    """Store each batch in its own transaction; what each returned."""
    opened = []
    with app.app_context():
        for rows in batches:
            opened.append(store(db.session, rows))
            db.session.commit()
    return opened


def conversation(app, name="ana"):
    with app.app_context():
        row = db.session.get(Conversacion, name)
        db.session.expunge(row)
        return row


def cycles(app, name="ana"):
    with app.app_context():
        return [(c.abierto_id, c.primera_respuesta_por, c.resuelta_por)
                for c in db.session.scalars(select(Ciclo).where(Ciclo.conversacion == name).order_by(Ciclo.id))]


def test_a_new_conversation_waits_from_the_customers_first_message_until_an_agent_answers(app, say):
    first, second, reply, again = say("ana"), say("ana"), say("admin"), say("ana")
    assert stored(app, [first, second]) == [[("ana", first["id"], False)]]
    row = conversation(app)
    assert (row.esperando_id, row.ultimo_id, row.estado) == (first["id"], second["id"], "abierta")
    assert cycles(app) == [(first["id"], None, None)]
    assert row.ciclo_id is not None

    assert stored(app, [reply]) == [[]]
    row = conversation(app)
    assert (row.esperando_id, row.ultimo_agente_id) == (None, reply["id"])
    assert cycles(app) == [(first["id"], "admin", None)]  # the first response, once

    stored(app, [again, say("agente2")])
    assert cycles(app) == [(first["id"], "admin", None)]  # a later reply is not the first
    assert conversation(app).esperando_id is None


def test_the_wait_follows_ids_when_batches_come_late(app, say):
    """Two processes' storers: a reply stored before the customer message it answers."""
    question, reply, follow_up = say("ana"), say("admin"), say("ana")
    stored(app, [reply])
    stored(app, [question])  # older than the reply: answered already
    assert conversation(app).esperando_id is None
    stored(app, [follow_up])
    assert conversation(app).esperando_id == follow_up["id"]
    earlier = say("ana")
    stored(app, [earlier])
    assert conversation(app).esperando_id == follow_up["id"]  # the first unanswered one stays


def test_a_conversation_started_by_an_agent_opens_its_cycle_at_the_customers_first_message(app, say):
    hello, answer = say("admin"), say("ana")
    assert stored(app, [hello]) == [[]]
    assert cycles(app) == [] and conversation(app).esperando_id is None
    assert stored(app, [answer]) == [[("ana", answer["id"], False)]]
    assert cycles(app) == [(answer["id"], None, None)]


def test_a_customer_who_writes_after_the_resolution_opens_a_new_cycle(app, say):
    stored(app, [say("ana"), say("admin")])
    with app.app_context():
        change_status("ana", "resuelta", "admin")
    assert conversation(app).ciclo_id is None
    assert cycles(app)[0][2] == "admin"
    again = say("ana")
    assert stored(app, [again]) == [[("ana", again["id"], True)]]
    row = conversation(app)
    assert (row.estado, row.estado_por, row.esperando_id) == ("abierta", "ana", again["id"])
    assert [c[0] for c in cycles(app)] == [cycles(app)[0][0], again["id"]]
    assert row.ciclo_id is not None


def test_an_agent_who_reopens_opens_a_cycle_and_resolving_closes_it_with_its_assignee(app, say):
    stored(app, [say("ana")])
    with app.app_context():
        db.session.execute(Conversacion.__table__.update().values(asignado="agente2"))
        db.session.commit()
        change_status("ana", "resuelta", "admin")
        change_status("ana", "resuelta", "admin")  # again: nothing more to close
        change_status("ana", "abierta", "agente2")
        closed, reopened = db.session.scalars(select(Ciclo).order_by(Ciclo.id)).all()
        assert (closed.resuelta_por, closed.asignado) == ("admin", "agente2")
        assert closed.resuelta_en >= closed.abierta_en
        assert reopened.resuelta_en is None
        assert db.session.get(Conversacion, "ana").ciclo_id == reopened.id
