"""Storage never blocks delivery: a database that fails on insert, for real (the table is gone)."""
import contextlib
import logging
import time

from sqlalchemy import event

from conftest import stored_messages
from soporte.extensions import db, socketio
from soporte.models import Mensaje
from test_events import assert_accepted, events, send


def drop_messages_table(app):
    with app.app_context():
        Mensaje.__table__.drop(db.engine)


def create_messages_table(app):
    with app.app_context():
        Mensaje.__table__.create(db.engine)


def wait_for_failure_log(caplog, timeout=10.0):
    """The writer's first logged failure to store (it retries in the background), waited for without sleeping long.

    Only that one: with the table gone, the replay's after-hook may log its own failure first.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in caplog.records:
            if (record.name == "soporte.relay.writer" and record.levelno >= logging.ERROR
                    and "could not store" in record.getMessage()):
                return record
        socketio.sleep(0.02)
    raise AssertionError("the writer logged no failure")


@contextlib.contextmanager
def message_inserts(app):
    """The INSERTs into mensajes while the block runs, as the number of rows each carried."""
    inserts = []

    def count_inserts(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT") and "mensajes" in statement:
            inserts.append(len(parameters) if executemany else 1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_inserts)
    try:
        yield inserts
    finally:
        event.remove(engine, "before_cursor_execute", count_inserts)


def test_delivery_goes_on_when_inserts_fail_and_the_writer_stores_later(app, connect, caplog):
    caplog.set_level(logging.INFO, logger="soporte.relay.writer")
    admin, agent, ana, ana2 = connect("admin"), connect("agente2"), connect("ana"), connect("ana")
    drop_messages_table(app)

    sent = []
    for i in range(3):
        sent.append(("ana", assert_accepted(send(ana, {"para": "admin", "mensaje": f"hola {i}"}))))
        sent.append(("admin", assert_accepted(send(admin, {"para": "ana", "mensaje": f"respuesta {i}"}))))
    # everyone got everything, at once, whatever the database does
    assert [p["id"] for _, p in events(agent)] == [a["id"] for _, a in sent]
    assert [(n, p["id"]) for n, p in events(ana2)] == [
        ("mensaje_enviado" if who == "ana" else "mensaje_recibido", a["id"]) for who, a in sent]
    assert [p["id"] for _, p in events(admin)] == [a["id"] for who, a in sent if who == "ana"]

    failure = wait_for_failure_log(caplog)
    assert failure.exc_info is not None  # the cause is in the log
    assert not app.extensions["soporte"].writer.flush(timeout=0.2)  # nothing can be stored yet

    create_messages_table(app)  # the database is back: the retry stores everything, once
    rows = stored_messages(app, timeout=20.0)
    assert [(r["id"], r["fecha"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")) for r in rows] == [
        (a["id"], a["fecha"]) for _, a in sent]
    assert [r["mensaje"] for r in rows] == [
        f"{'hola' if who == 'ana' else 'respuesta'} {i // 2}" for i, (who, _) in enumerate(sent)]


def test_a_backlog_is_stored_in_a_few_statements(app, connect, caplog):
    """After an outage the writer inserts its backlog many rows per statement, not one by one."""
    caplog.set_level(logging.ERROR, logger="soporte.relay.writer")
    ana = connect("ana")
    drop_messages_table(app)
    acks = [assert_accepted(send(ana, {"para": "admin", "mensaje": f"m{i}"})) for i in range(60)]
    wait_for_failure_log(caplog)

    with message_inserts(app) as inserts:
        create_messages_table(app)
        rows = stored_messages(app, timeout=20.0)
    assert [r["id"] for r in rows] == [a["id"] for a in acks]
    assert 1 <= len(inserts) <= 6, f"{len(inserts)} INSERT statements for 60 messages"


def test_messages_sent_one_by_one_are_stored_together(app, connect):
    """Rows journaled within one WRITER_INTERVAL share one transaction, not one each (the storer's cost per message)."""
    app.extensions["soporte"].writer.interval = 1.0  # room for every message below
    ana = connect("ana")
    with message_inserts(app) as inserts:
        # each send waits for its ack, so each is a group of its own in the journal
        acks = [assert_accepted(send(ana, {"para": "admin", "mensaje": f"m{i}"})) for i in range(20)]
        rows = stored_messages(app, timeout=20.0)
    assert [r["id"] for r in rows] == [a["id"] for a in acks]
    assert len(inserts) <= 3, f"{len(inserts)} INSERT statements for 20 messages: {inserts}"


def test_messages_after_the_outage_are_stored_too(app, connect, caplog):
    """The writer keeps working once the database is back: old backlog and new messages alike."""
    caplog.set_level(logging.ERROR, logger="soporte.relay.writer")
    ana = connect("ana")
    drop_messages_table(app)
    before = assert_accepted(send(ana, {"para": "admin", "mensaje": "durante"}))
    wait_for_failure_log(caplog)
    create_messages_table(app)
    after = assert_accepted(send(ana, {"para": "admin", "mensaje": "después"}))
    assert [(r["id"], r["mensaje"]) for r in stored_messages(app, timeout=20.0)] == [
        (before["id"], "durante"), (after["id"], "después")]


def test_storing_moves_the_conversation_forward_and_reopens_it_only_for_newer_customer_messages(app):
    """The writer keeps `conversaciones`: latest id, never backwards; a newer customer message reopens."""
    from soporte.models import Conversacion
    from soporte.relay.writer import store

    ids = app.extensions["soporte"].ids

    def row(de, conversacion):
        message_id, fecha = ids.next()
        return {"id": message_id, "de_usuario": de, "para_usuario": "admin" if de == conversacion else conversacion,
                "conversacion": conversacion, "mensaje": "m", "fecha": fecha, "cid": None}

    def save(*rows):
        with app.app_context():
            store(db.session, list(rows))
            db.session.commit()
            found = db.session.get(Conversacion, "ana")
            db.session.expunge_all()
            return found

    old_customer, first, reply = row("ana", "ana"), row("ana", "ana"), row("admin", "ana")
    assert save(first, reply).ultimo_id == reply["id"]
    with app.app_context():  # an agent resolves it at the reply
        db.session.execute(db.update(Conversacion).values(estado="resuelta", estado_por="admin",
                                                          estado_id=reply["id"]))
        db.session.commit()
    replayed = save(old_customer)  # an older message stored late (a replayed spool)
    assert (replayed.ultimo_id, replayed.estado) == (reply["id"], "resuelta")
    assert save(row("admin", "ana")).estado == "resuelta"  # an agent's message does not reopen
    newer = row("ana", "ana")
    reopened = save(newer)
    assert (reopened.estado, reopened.estado_por, reopened.estado_id, reopened.ultimo_id) == (
        "abierta", "ana", newer["id"], newer["id"])
