"""Editing and deleting on the wire: a real server process (gunicorn, its storer in an OS process of its
own, real websockets) and python-socketio clients, on SQLite or MariaDB.

An edit sent the moment a message is acknowledged finds it journaled but not stored yet: the server
waits for the storer and the edit goes through. The events reach the agents and the customer's other
tab; after the deletion no HTTP path of the customer's has the text.
"""
import signal
import uuid

import pytest

from conftest import LiveServer, checker_app
from soporte.extensions import db
from soporte.models import EdicionMensaje
from test_e2e import Peer


@pytest.fixture(scope="module")
def server_app(tmp_path_factory):
    with checker_app(tmp_path_factory.mktemp("edits-live")) as app:
        yield app


@pytest.fixture(scope="module")
def server(server_app):
    # a storer interval long enough that an edit right after the ack finds the message unstored
    live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"],
                      extra_env={"SOPORTE_WRITER_INTERVAL": "0.5"})
    live.start()
    yield live
    live.stop(signal.SIGQUIT)


def events_named(peer, name, count=1):
    """The next `count` events called name (others skipped), waiting up to 5 s for each."""
    found = []
    while len(found) < count:
        event, payload = peer.receive()
        if event == name:
            found.append(payload)
    return found


@pytest.mark.slow
def test_edit_right_after_sending_then_delete(server, server_app, customer):
    secret = f"BORRADO-{uuid.uuid4().hex}"
    token = server.login(customer).cookies["token"]
    tab1, tab2 = Peer().connect(server, token=token), Peer().connect(server, token=token)
    agent = Peer().connect(server, token=server.login("admin").cookies["token"])
    try:
        ack = tab1.client.call("mensaje_privado", {"para": "admin", "mensaje": "primera versión", "cid": "c1"},
                               timeout=10)
        assert ack["ok"], ack
        edited = tab1.client.call("editar_mensaje", {"id": ack["id"], "mensaje": secret, "cid": "e1"}, timeout=10)
        assert edited["ok"] is True and edited["id"] == ack["id"], edited
        expected = {"id": ack["id"], "usuario": customer, "mensaje": secret, "editado_en": edited["editado_en"],
                    "por": customer}
        assert events_named(agent, "mensaje_editado") == [expected]
        assert events_named(tab2, "mensaje_editado") == [expected]
        # a retry of the edit: the first ack, nothing done twice
        assert tab1.client.call("editar_mensaje", {"id": ack["id"], "mensaje": "otra", "cid": "e1"},
                                timeout=10) == edited

        deleted = tab2.client.call("borrar_mensaje", {"id": ack["id"], "cid": "d1"}, timeout=10)
        assert deleted["ok"] is True, deleted
        gone = {"id": ack["id"], "usuario": customer, "eliminado_en": deleted["eliminado_en"], "por": customer}
        assert events_named(agent, "mensaje_eliminado") == [gone]
        assert events_named(tab1, "mensaje_eliminado") == [gone]
        # the agent may not change the customer's message
        assert agent.client.call("editar_mensaje", {"id": ack["id"], "mensaje": "x"}, timeout=10) == {
            "ok": False, "error": "Solo puedes cambiar tus propios mensajes"}
    finally:
        for peer in (tab1, tab2, agent):
            peer.close()

    http = server.login(customer)
    for url in ("/api/mensajes/mios", "/api/mensajes/mios?despues=1", f"/api/mensajes/mios?alrededor={ack['id']}",
                "/soporte"):
        response = http.get(server.url + url)
        assert response.status_code == 200 and secret not in response.text, url
    page = http.get(server.url + "/api/mensajes/mios").json()
    assert [m for m in page if m["id"] == ack["id"]][0]["eliminado_en"] == deleted["eliminado_en"]
    admin = server.login("admin")
    assert admin.get(server.url + f"/api/buscar?q={secret}").json()["mensajes"] == []
    history = admin.get(server.url + f"/api/mensajes/{ack['id']}/ediciones").json()
    assert [(h["accion"], h["texto_anterior"]) for h in history] == [("editar", "primera versión"),
                                                                     ("eliminar", secret)]
    with server_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(EdicionMensaje)
                                 .where(EdicionMensaje.mensaje_id == ack["id"])) == 2
        db.session.remove()
