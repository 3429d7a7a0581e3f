"""Event names a client may not send (connect, disconnect and the like), with Flask-SocketIO's test client.

A client-sent `disconnect` or `connect` event must never re-run the library's own handlers:
the socket would leave the session list and keep its rooms, or get a fresh rate bucket.
The same attacks over a real websocket are in test_security_live.py.
"""
import copy

import pytest

from soporte.extensions import socketio
from soporte.protocol import TOO_MANY
from soporte.realtime.sessions import get_sessions
from test_security import received, send, set_role

NOT_ALLOWED = {"ok": False, "error": "Evento no permitido"}
RESERVED = ["connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener",
            "message", "json", "*"]


def sid_of(sio):
    """The Socket.IO sid of a test client (what the server's session list is keyed by)."""
    return socketio.server.manager.sid_from_eio_sid(sio.eio_sid, "/")


@pytest.mark.parametrize("name", RESERVED + [5, None, ["connect"]])
def test_reserved_and_nameless_events_are_refused_and_the_socket_goes_on(app, connect, name):
    """Each reserved name (or a name that is not text) gets the refusal ack and reaches no handler."""
    ana, admin = connect("ana"), connect("admin")
    with app.app_context():
        before = copy.copy(get_sessions().get(sid_of(ana)))
    assert ana.emit(name, callback=True) == NOT_ALLOWED
    assert ana.emit(name, {"auth": {"token": "x"}}, callback=True) == NOT_ALLOWED
    with app.app_context():
        assert get_sessions().get(sid_of(ana)) == before  # the same login, the same bucket object
    assert ana.is_connected()
    assert send(ana, {"para": "admin", "mensaje": "sigo aquí"})["ok"] is True
    assert [e for e, _ in received(admin)] == ["mensaje_recibido"]


def test_a_client_sent_disconnect_leaves_the_socket_under_the_session_checks(app, connect):
    """After a forged `disconnect` the socket is still a session: demoted, the sweep cuts it and
    it hears no more of the customers."""
    app.config["ROLE_CACHE_TTL"] = 0
    agente2, ana = connect("agente2"), connect("ana")
    agente2.emit("disconnect")
    with app.app_context():
        assert get_sessions().get(sid_of(agente2)) is not None
    set_role(app, "agente2", "user")
    with app.app_context():
        get_sessions().sweep()
    assert not agente2.is_connected()
    assert send(ana, {"para": "admin", "mensaje": "solo para soporte"})["ok"] is True


def test_a_client_sent_connect_does_not_refill_the_rate_bucket(app, connect):
    """A forged `connect` gives no fresh bucket: past the burst, messages stay refused."""
    app.config.update(MESSAGE_RATE=0.001, MESSAGE_BURST=3)
    ana = connect("ana")
    assert [send(ana, {"para": "admin", "mensaje": f"m{i}"})["ok"] for i in range(3)] == [True] * 3
    for _ in range(3):
        ana.emit("connect")
        assert send(ana, {"para": "admin", "mensaje": "otra vez"}) == {"ok": False, "error": TOO_MANY}


def test_a_client_sent_connect_does_not_count_the_account_online_twice(connect, cookie_client):
    """Presence counts a socket once: after a forged `connect` and a real disconnect the customer is offline."""
    admin = cookie_client("admin")
    bob = connect("bob")
    bob.emit("connect")
    bob.disconnect()
    assert admin.get("/api/presencia").get_json()["usuarios"] == []
