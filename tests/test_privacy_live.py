"""Erasing a customer whose message another process acknowledged and still holds in its spool (storer stopped)."""
import os
import re
import signal

import pytest
import redis
from sqlalchemy import update

from conftest import drain, live_socket, redis_url
from soporte.extensions import db
from soporte.models import Usuario
from soporte.relay.spool import Spool
from test_privacy import DISPLAY, NAME, SECRET, csrf, everything_left, seed
from test_storer_process import eventually, storers


@pytest.mark.slow
def test_a_spooled_message_of_an_erased_customer_is_never_stored(app, cookie_client, live_server):
    """A real server acknowledges the customer's message, its storer is stopped; the erase happens here (another
    process); once the storer goes on, the row is dropped: nothing of the customer in any table, nor in the spool."""
    seed(app)
    spool = Spool(live_server.env["SOPORTE_SPOOL_DIR"])
    storer = eventually(lambda: storers(live_server))[0]
    os.kill(storer, signal.SIGSTOP)
    try:
        customer = live_socket(live_server, NAME)
        ack = customer.call("mensaje_privado", {"para": "admin", "mensaje": SECRET + " (en el spool)", "cid": "s1"})
        assert ack["ok"] is True
        eventually(lambda: any(row["id"] == ack["id"] for row in spool.journaled_rows()))  # acknowledged, spooled
        customer.disconnect()
        admin = cookie_client("admin")
        answer = admin.delete(f"/api/clientes/{NAME}", json={"confirmar": NAME}, headers={"X-CSRFToken": csrf(admin)})
        assert answer.status_code == 200
    finally:
        os.kill(storer, signal.SIGCONT)
    eventually(lambda: not spool.segments())  # the storer took it: stored or dropped, the segment is gone
    assert everything_left(app, NAME, DISPLAY, "en el spool") == []
    assert "dropped 1 late messages of erased customers" in live_server.log()


def events_until_closed(client, timeout=5.0):
    """Every event a SimpleClient receives until the server closes it."""
    import socketio as socketio_client

    events = []
    while True:
        try:
            events.append(list(client.receive(timeout=timeout)))
        except socketio_client.exceptions.DisconnectedError:
            return events
        except socketio_client.exceptions.TimeoutError:
            if client.connected:
                raise
            return events  # closed while this waited: SimpleClient then times out instead


@pytest.mark.slow
def test_every_process_forgets_an_erased_customer(app, redis_servers):
    """Two processes on Redis: the customer writes on B (its storer stopped), a supervisor erases on A. B closes
    the customer's socket (borrada), its agents' history no longer has the unstored row, Redis forgets the
    conversation, and B's storer drops the row."""
    seed(app)
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin").values(supervisor=True))
        db.session.commit()
    a, b = redis_servers(2, 11)
    storer = eventually(lambda: storers(b))[0]
    os.kill(storer, signal.SIGSTOP)
    try:
        customer = live_socket(b, NAME)
        ack = customer.call("mensaje_privado", {"para": "admin", "mensaje": SECRET + " (en B)", "cid": "b1"})
        assert ack["ok"] is True
        agent_on_b = b.login("agente2")
        history = lambda: agent_on_b.get(b.url + "/api/mensajes", params={"con": NAME}).json()  # noqa: E731
        assert ack["id"] in [m["id"] for m in history()]  # B's unstored row, from memory
        shared = redis.Redis.from_url(redis_url(11))
        key = f"soporte:ultimo:{a.env['SOPORTE_SOCKETIO_CHANNEL']}:{NAME}"
        eventually(lambda: shared.exists(key))
        drain(customer, timeout=0.2)

        supervisor = a.login("admin")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', supervisor.get(a.url + "/soporte").text).group(1)
        answer = supervisor.delete(f"{a.url}/api/clientes/{NAME}", json={"confirmar": NAME},
                                   headers={"X-CSRFToken": token})
        assert answer.status_code == 200, answer.text
        assert ["sesion_terminada", {"motivo": "borrada"}] in events_until_closed(customer)
        eventually(lambda: history() == [])  # B forgot its unstored row (the queue told it)
        assert not shared.exists(key)
    finally:
        os.kill(storer, signal.SIGCONT)
    spool = Spool(b.env["SOPORTE_SPOOL_DIR"])
    eventually(lambda: not spool.segments())
    assert everything_left(app, NAME, DISPLAY, "en B") == []
