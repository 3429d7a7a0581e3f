"""Presence and typing across real processes sharing Redis, and expiry when a process is killed."""
import os
import signal
import time

import pytest
import socketio as socketio_client

from conftest import redis_url

REDIS_DB = 13
TTL = 4.0  # PRESENCE_TTL here: a killed process's users go offline within TTL + INTERVAL; a beat may lag 3.5 s
INTERVAL = 0.5


@pytest.fixture
def servers(redis_servers):
    """Start n soporte processes on one database and one Redis channel (unique to this test)."""
    return lambda n: redis_servers(n, REDIS_DB, PRESENCE_TTL=TTL, PRESENCE_INTERVAL=INTERVAL)


class Peer:
    """One real websocket of one account on one server, with what it received."""

    def __init__(self, server, username):
        self.http = server.login(username)
        self.url = server.url
        self.client = socketio_client.SimpleClient(reconnection=False)  # a killed server stays dead
        self.client.connect(server.url, transports=["websocket"],
                            headers={"Cookie": f"token={self.http.cookies['token']}"})

    def follow(self):
        """seguir_presencia, and its acknowledgement."""
        return self.client.call("seguir_presencia", timeout=5)

    def presencia(self):
        """GET /api/presencia as this account, on this socket's server."""
        return self.http.get(self.url + "/api/presencia").json()

    def drain(self, timeout=0.5):
        """Every event received until the socket has been quiet for `timeout` seconds."""
        events = []
        while True:
            try:
                events.append(tuple(self.client.receive(timeout=timeout)))
            except socketio_client.exceptions.TimeoutError:
                return events

    def until(self, *events, timeout=15.0):
        """The events received until all of `events` came (failing after timeout seconds)."""
        seen = []
        deadline = time.monotonic() + timeout
        while not all(event in seen for event in events):
            left = deadline - time.monotonic()
            assert left > 0, f"{events} did not all come; got {seen}"
            try:
                seen.append(tuple(self.client.receive(timeout=left)))
            except socketio_client.exceptions.TimeoutError:
                pass
        return seen

    def close(self):
        """Disconnect, if still connected (a killed server's sockets are not)."""
        if self.client.connected:
            self.client.disconnect()


def kill_hard(server):
    """SIGKILL the gunicorn master and its worker: no disconnect event, no goodbye to Redis."""
    master = server.process.pid
    with open(f"/proc/{master}/task/{master}/children") as f:
        workers = [int(pid) for pid in f.read().split()]
    for pid in [master, *workers]:
        os.kill(pid, signal.SIGKILL)
    server.process.wait()


def presencia(name, en_linea, rol="user"):
    """A `presencia` event as a client receives it."""
    return ("presencia", {"usuario": name, "en_linea": en_linea, "rol": rol})


def test_user_on_one_process_is_online_for_an_agent_on_another(servers):
    """Tabs on two processes count together: online once, still online while one tab is left, then offline once."""
    a, b = servers(2)
    agent = Peer(b, "admin")
    assert agent.follow() == {"ok": True, "usuarios": [], "agentes": ["admin"]}
    tab_a = Peer(a, "ana")
    assert agent.until(presencia("ana", True)) == [presencia("ana", True)]
    assert agent.presencia() == {"usuarios": ["ana"], "agentes": ["admin"]}
    tab_b = Peer(b, "ana")
    tab_a.close()
    assert agent.drain() == []  # a second tab does not re-announce; one left keeps her online
    assert agent.presencia()["usuarios"] == ["ana"]
    tab_b.close()
    assert agent.until(presencia("ana", False)) == [presencia("ana", False)]
    assert agent.drain() == []
    assert agent.presencia()["usuarios"] == []
    customer = Peer(a, "bob")
    assert customer.follow() == {"ok": True, "soporte": True}  # the agent is on the other process
    assert customer.presencia() == {"soporte": True}
    for peer in (agent, customer):
        peer.close()


def test_killed_process_users_go_offline_once(servers):
    """SIGKILL a process: its users go offline after the TTL, announced once to agents on every other process."""
    a, b, c = servers(3)
    ana, agente2 = Peer(a, "ana"), Peer(a, "agente2")
    bob_on_c = Peer(c, "bob")
    watchers = [Peer(b, "admin"), Peer(c, "admin")]
    for watcher in watchers:
        assert watcher.follow() == {"ok": True, "usuarios": ["ana", "bob"], "agentes": ["admin", "agente2"]}
    customer = Peer(b, "bob")
    assert customer.follow() == {"ok": True, "soporte": True}
    kill_hard(a)  # no disconnect events: only the expiry can tell
    killed_at = time.monotonic()
    gone = [presencia("ana", False), presencia("agente2", False, "admin")]
    for watcher in watchers:
        assert sorted(watcher.until(*gone), key=str) == sorted(gone, key=str)
    assert time.monotonic() - killed_at < TTL + 2 * INTERVAL + 5  # the expiry, not a timeout elsewhere
    for watcher in watchers:  # each transition came once: one process announced it, though all beat
        assert watcher.drain(timeout=4 * INTERVAL) == []
    for watcher in watchers:
        assert watcher.presencia() == {"usuarios": ["bob"], "agentes": ["admin"]}
    assert customer.drain() == []  # admin is still online on b and c: support never went away
    for peer in (*watchers, customer, bob_on_c, ana, agente2):
        peer.close()


def test_support_goes_offline_for_customers_when_the_last_agents_process_dies(servers):
    """The last agent's process is killed: customers on the other process get soporte_en_linea false."""
    a, b = servers(2)
    agent = Peer(a, "agente2")
    customer = Peer(b, "ana")
    assert customer.follow() == {"ok": True, "soporte": True}
    kill_hard(a)
    assert customer.until(("soporte_en_linea", {"en_linea": False}))[-1] == ("soporte_en_linea", {"en_linea": False})
    assert customer.presencia() == {"soporte": False}
    customer.close()
    agent.close()


def test_typing_crosses_processes_and_skips_the_typists_tabs_here(servers):
    """An agent's typing on A reaches the customer and another agent on B; the typist's tab on A gets nothing."""
    a, b = servers(2)
    typist, own_tab = Peer(a, "admin"), Peer(a, "admin")
    colleague, customer = Peer(b, "agente2"), Peer(b, "ana")
    assert typist.client.call("escribiendo", {"para": "ana"}, timeout=5) == {"ok": True, "reenviado": True}
    event = ("escribiendo", {"de": "admin", "nombre": "Admin", "con": "ana"})
    assert customer.until(event) == [event]
    assert colleague.until(event) == [event]
    assert own_tab.drain() == [] and typist.drain() == []
    assert customer.client.call("escribiendo", {"para": "bob"}, timeout=5)["ok"] is False
    for peer in (typist, own_tab, colleague, customer):
        peer.close()


def test_beat_rebuilds_presence_after_redis_lost_it(servers):
    """Redis loses the presence keys (a flush, a failover): the next beats put every process's users back."""
    import redis

    (a,) = servers(1)
    agent, ana = Peer(a, "admin"), Peer(a, "ana")
    assert agent.follow()["usuarios"] == ["ana"]
    store = redis.Redis.from_url(redis_url(REDIS_DB))
    channel = a.env["SOPORTE_SOCKETIO_CHANNEL"]
    store.delete(*store.keys(f"soporte:presencia:{channel}:*"))
    # the beat announces again what it puts back (a follower that kept its state sees a repeat)
    agent.until(presencia("ana", True), presencia("admin", True, "admin"))
    assert agent.presencia() == {"usuarios": ["ana"], "agentes": ["admin"]}
    for peer in (agent, ana):
        peer.close()
