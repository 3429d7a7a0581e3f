"""Presence in one process (Flask-SocketIO's test client): several tabs, transitions once, who may see what."""
import time

from soporte.extensions import socketio

def received(sio):
    """The (event, payload) pairs this socket received since the last call."""
    return [(e["name"], e["args"][0]) for e in sio.get_received()]


def follow(sio):
    """Follow presence (seguir_presencia) and return the acknowledgement."""
    return sio.emit("seguir_presencia", callback=True)


def online(name, rol="user"):
    """The `presencia` event of an account coming online."""
    return ("presencia", {"usuario": name, "en_linea": True, "rol": rol})


def offline(name, rol="user"):
    """The `presencia` event of an account going offline."""
    return ("presencia", {"usuario": name, "en_linea": False, "rol": rol})


def test_follow_answers_with_who_is_online(connect):
    """An agent's ack lists online customers and agents; a customer's says whether support is online."""
    ana = connect("ana")
    assert follow(ana) == {"ok": True, "soporte": False}
    admin = connect("admin")
    assert follow(admin) == {"ok": True, "usuarios": ["ana"], "agentes": ["admin"]}
    connect("bob")
    assert follow(connect("agente2")) == {"ok": True, "usuarios": ["ana", "bob"], "agentes": ["admin", "agente2"]}
    assert follow(connect("bob")) == {"ok": True, "soporte": True}


def test_api_presencia_for_agents_and_customers(connect, cookie_client):
    """GET /api/presencia: agents see names, customers only whether support is online; no login: 401."""
    ana = cookie_client("ana")
    admin = cookie_client("admin")
    assert ana.get("/api/presencia").get_json() == {"soporte": False}
    connect("ana")
    agent = connect("admin")
    assert admin.get("/api/presencia").get_json() == {"usuarios": ["ana"], "agentes": ["admin"]}
    assert ana.get("/api/presencia").get_json() == {"soporte": True}
    agent.disconnect()
    assert ana.get("/api/presencia").get_json() == {"soporte": False}
    assert admin.get("/api/presencia").get_json() == {"usuarios": ["ana"], "agentes": []}
    response = cookie_client("ana").application.test_client().get("/api/presencia")
    assert response.status_code == 401 and response.get_json() == {"error": "No autenticado"}


def test_several_tabs_one_transition_each_way(connect, cookie_client):
    """A second tab does not re-announce; closing one of two tabs keeps the user online."""
    agent = connect("admin")
    follow(agent)
    assert received(agent) == []
    tab1 = connect("ana")
    assert received(agent) == [online("ana")]
    tab2 = connect("ana")
    assert received(agent) == []
    tab1.disconnect()
    assert received(agent) == []
    assert cookie_client("admin").get("/api/presencia").get_json()["usuarios"] == ["ana"]
    tab2.disconnect()
    assert received(agent) == [offline("ana")]
    assert cookie_client("admin").get("/api/presencia").get_json()["usuarios"] == []


def test_agents_see_colleagues_come_and_go(connect):
    """Agents' own transitions reach the agents that follow presence, with rol admin."""
    admin = connect("admin")
    follow(admin)
    colleague = connect("agente2")
    assert received(admin) == [online("agente2", "admin")]
    colleague.disconnect()
    assert received(admin) == [offline("agente2", "admin")]


def test_customers_learn_when_support_comes_and_goes(connect):
    """soporte_en_linea on the first agent on and the last agent off, not in between."""
    ana = connect("ana")
    assert follow(ana)["soporte"] is False
    admin1 = connect("admin")
    assert received(ana) == [("soporte_en_linea", {"en_linea": True})]
    admin2, agente2 = connect("admin"), connect("agente2")
    admin1.disconnect()
    agente2.disconnect()
    assert received(ana) == []
    admin2.disconnect()
    assert received(ana) == [("soporte_en_linea", {"en_linea": False})]


def test_sockets_that_do_not_follow_get_nothing(connect):
    """The original protocol sends nothing on connect: presence goes only to sockets that follow it."""
    agent, customer = connect("agente2"), connect("bob")
    follow(connect("admin"))
    ana = connect("ana")
    ana.disconnect()
    assert received(agent) == [] and received(customer) == []


def test_customers_never_get_names_and_agents_never_get_soporte(connect):
    """A customer following presence gets only soporte_en_linea; an agent only presencia."""
    ana, admin = connect("ana"), connect("admin")
    follow(ana)
    follow(admin)
    connect("bob").disconnect()
    connect("agente2")
    assert [name for name, _ in received(ana)] == []  # support was already online
    assert {name for name, _ in received(admin)} == {"presencia"}


def test_follow_needs_a_live_session(app, connect):
    """A socket the server no longer knows (its session ended) is refused, not crashed on."""
    ana = connect("ana")
    sessions = app.extensions["soporte.sessions"]
    sid = socketio.server.manager.sid_from_eio_sid(ana.eio_sid, "/")
    sessions.discard(sid)
    ack = follow(ana)
    assert ack["ok"] is False and ack["error"]


def test_follow_refuses_a_socket_whose_token_expired(app, connect):
    """Past the token's exp (before the sweep cuts the socket) seguir_presencia is refused like a
    message, and the socket does not join the presence rooms."""
    from soporte.protocol import ENDED

    admin, ana = connect("admin"), connect("ana")
    sessions = app.extensions["soporte.sessions"]
    for sio in (admin, ana):
        sessions.get(socketio.server.manager.sid_from_eio_sid(sio.eio_sid, "/")).exp = time.time() - 1
        assert follow(sio) == {"ok": False, "error": ENDED}
    connect("bob")
    connect("agente2").disconnect()
    assert received(admin) == [] and received(ana) == []


def test_follow_refuses_an_agent_demoted_since_connecting(app, connect):
    """A demoted agent does not join the agents' presence room (the database's role, not the token's)."""
    from soporte.protocol import NO_LONGER_AGENT as NOT_AN_AGENT
    from test_security import set_role

    app.config["ROLE_CACHE_TTL"] = 0
    agente2 = connect("agente2")
    set_role(app, "agente2", "user")
    assert follow(agente2) == {"ok": False, "error": NOT_AN_AGENT}
    connect("bob")
    assert received(agente2) == []
