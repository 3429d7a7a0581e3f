"""Agent management against real server processes: deactivating or resetting an agent closes their
live sockets at once (not at the next sweep), on the process that made the change and, over
Redis, on every other one; the old token and the password stop working there too."""
import re
import time

import requests
import socketio

from conftest import CSRF_FIELD, PASSWORD, redis_url
from test_security_live import peers  # noqa: F401 (a fixture)
from soporte.extensions import db
from soporte.models import Usuario

# a sweep far away: what closes the sockets in these tests is the change itself
SLOW_SWEEP = {"TOKEN_SWEEP_INTERVAL": 120}
LINK = re.compile(r'value="(http://[^"]+/invitacion/([^"]+))"')


def make_supervisor(app, username="admin"):
    with app.app_context():
        db.session.execute(db.update(Usuario).where(Usuario.usuario == username).values(supervisor=True))
        db.session.commit()


def team_post(server, http, path, data=None):
    """A supervisor's form POST on a real server, with the team page's CSRF token."""
    csrf = CSRF_FIELD.search(http.get(server.url + "/equipo").text).group(1)
    return http.post(server.url + path, data={"csrf_token": csrf, **(data or {})}, allow_redirects=False)


def connect_refused(server, token):
    """Whether a new socket with this token is refused."""
    client = socketio.Client(reconnection=False)
    try:
        client.connect(server.url, headers={"Cookie": f"token={token}"}, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


def test_deactivation_closes_the_agents_live_socket_at_once(app, tmp_path, peers):
    """One real server, the sweep two minutes away: the agent's websocket gets sesion_terminada
    (desactivada) and is closed within a second; the token no longer connects or reads the API;
    login says the account is deactivated; a customer's socket stays."""
    from conftest import LiveServer

    make_supervisor(app)
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                        {f"SOPORTE_{k}": str(v) for k, v in SLOW_SWEEP.items()}).start()
    try:
        agent = server.login("agente2")
        token = agent.cookies["token"]
        tab, customer = peers(server, token), peers(server, server.login("ana").cookies["token"])
        supervisor = server.login("admin")
        started = time.monotonic()
        assert team_post(server, supervisor, "/equipo/agente2/desactivar").status_code == 302
        assert tab.ended.wait(3), "the deactivated agent's socket stayed open"
        assert time.monotonic() - started < 3
        assert ("sesion_terminada", {"motivo": "desactivada"}) in tab.drain()
        assert customer.client.connected
        assert connect_refused(server, token)
        assert requests.get(server.url + "/api/mensajes/mios", cookies={"token": token}).status_code == 401
        page = requests.get(server.url + "/login").text
        refused = requests.post(server.url + "/login", cookies={"token": ""}, data={
            "user": "agente2", "pass": PASSWORD, "csrf_token": CSRF_FIELD.search(page).group(1)})
        assert refused.status_code in (400, 403)  # 400 only if the CSRF session did not carry over
    finally:
        server.stop()


def test_deactivation_and_reset_close_sockets_on_another_process(app, redis_servers, peers):
    """Two processes on one Redis: the supervisor acts on one, the agent's sockets on the other close
    at once (the queue carries it; the sweep is two minutes away), and the tokens are refused there."""
    redis_url(12)
    make_supervisor(app)
    one, two = redis_servers(2, 12, **SLOW_SWEEP)
    supervisor = one.login("admin")

    agent_token = two.login("agente2").cookies["token"]
    tab = peers(two, agent_token)
    bystander = peers(two, two.login("bob").cookies["token"])
    assert team_post(one, supervisor, "/equipo/agente2/desactivar").status_code == 302
    assert tab.ended.wait(3), "the socket on the other process stayed open"
    assert ("sesion_terminada", {"motivo": "desactivada"}) in tab.drain()
    assert bystander.client.connected
    time.sleep(0.1)
    assert connect_refused(two, agent_token)

    # a password reset on one process ends the logins on the other, and the link works anywhere
    helper_token = two.login("admin").cookies["token"]  # another supervisor login, on two
    other_tab = peers(two, helper_token)
    assert team_post(one, supervisor, "/equipo/agente2/reactivar").status_code == 302
    agent_tab = peers(two, two.login("agente2").cookies["token"])
    reset = team_post(one, supervisor, "/equipo/agente2/restablecer")
    url, token = LINK.search(reset.text).groups()
    assert agent_tab.ended.wait(3), "the reset agent's socket on the other process stayed open"
    assert ("sesion_terminada", {"motivo": "logout"}) in agent_tab.drain()
    assert other_tab.client.connected  # the supervisor's own socket is someone else's login
    browser = requests.Session()
    page = browser.get(two.url + f"/invitacion/{token}")
    assert page.status_code == 200
    done = browser.post(two.url + f"/invitacion/{token}", allow_redirects=False, data={
        "csrf_token": CSRF_FIELD.search(page.text).group(1), "password": "otra-clave-larga",
        "password2": "otra-clave-larga"})
    assert done.status_code == 302
    assert browser.get(one.url + "/api/mensajes/mios").status_code == 200  # logged in, on either process
    assert requests.get(one.url + f"/invitacion/{token}").status_code == 410
