"""Who is online: sockets counted per account on every process, with expiry for processes that die.

One process without Redis counts its own sockets. With Redis (SOCKETIO_MESSAGE_QUEUE)
each process keeps its counts in a hash of its own with a TTL, refreshed by a
background beat, and the accounts announced online in shared sets; Lua scripts
change both at once, so each transition is announced by exactly one process, and a
process that was killed (no disconnect events) is reaped by the next beat of any other.
Presence never asks the database.
"""
import collections
import logging
import threading
import uuid

from flask import current_app

from soporte import redis_client
from soporte.background import every
from soporte.config import redis_url
from soporte.presence.scripts import BEAT, OFF, ON, SNAPSHOT
from soporte.protocol import CUSTOMERS_ROOM, PRESENCE_ROOM
from soporte.realtime import emitter
from soporte.realtime.sessions import check_still_agent

log = logging.getLogger(__name__)



def field(rol, user):
    """How one account is named in the Redis hashes: the role first (it has no colon)."""
    return f"{rol}:{user}"


class RedisBoard:
    """The shared half of presence: this process's hash, the live processes, the online sets."""

    def __init__(self, url, channel, ttl):
        self.redis = redis_client.connect(url, decode=True)
        self.prefix = f"soporte:presencia:{channel}:"
        self.proc = uuid.uuid4().hex
        self.ttl_ms = int(ttl * 1000)
        self._scripts = {name: self.redis.register_script(code)
                         for name, code in (("on", ON), ("off", OFF), ("beat", BEAT), ("snapshot", SNAPSHOT))}

    def _keys(self, rol=None):
        """The keys a script is given: the live processes, this process's hash, and a role's online set."""
        keys = [self.prefix + "procs", self.prefix + "proc:" + self.proc]
        return keys + [self.prefix + "online:" + rol] if rol else keys

    def on(self, rol, user):
        """A first socket here: the number of accounts of that role online if this made one, else None."""
        n = self._scripts["on"](self._keys(rol), [self.proc, field(rol, user), user, self.ttl_ms])
        return n or None

    def off(self, rol, user):
        """A last socket here: the accounts of that role left online if this took one off, else None."""
        n = self._scripts["off"](self._keys(rol), [self.proc, field(rol, user), user, self.ttl_ms, self.prefix])
        return None if n < 0 else n

    def beat(self, counts):
        """Refresh this process's hash and TTL; reap dead processes. Returns (came, gone) transitions."""
        args = [self.proc, self.ttl_ms, self.prefix]
        for (rol, user), n in counts.items():
            args += [field(rol, user), n]
        came, gone = self._scripts["beat"](self._keys(), args)
        return pairs(came), pairs(gone)

    def snapshot(self):
        """Who has a socket on a live process: {rol: set of users}."""
        online = collections.defaultdict(set)
        for name in self._scripts["snapshot"]([self.prefix + "procs"], [self.prefix]):
            rol, user = name.split(":", 1)
            online[rol].add(user)
        return online


def pairs(flat):
    """[field, n, field, n...] from a script as [(rol, user, n)]."""
    return [(*flat[i].split(":", 1), int(flat[i + 1])) for i in range(0, len(flat), 2)]


class Presence:
    """Counts this process's sockets per (rol, user), mirrors them to Redis, and announces transitions."""

    def __init__(self, app):
        self.counts = collections.Counter()  # (rol, user) -> sockets on this process
        self.accounts = collections.Counter()  # rol -> accounts with a socket on this process
        self.board = None
        url = redis_url(app.config)
        if url:
            self.board = RedisBoard(url, app.config["SOCKETIO_CHANNEL"], app.config["PRESENCE_TTL"])
        self._lock = threading.Lock()  # one change at a time, so the beat never sends a stale count
        self.listeners = []  # called with (rol, user, en_linea) for each transition this process announces
        self._started = False

    def socket_on(self, usuario):
        """A socket connected: announce its account if it is the account's first anywhere."""
        key = (usuario.rol, usuario.user)
        with self._lock:
            self.counts[key] += 1
            if self.counts[key] > 1:
                return
            self.accounts[key[0]] += 1
            n = self.accounts[key[0]] if self.board is None else self._shared(self.board.on, *key)
        if n is not None:
            self._announce(*key, True, n)

    def socket_off(self, usuario):
        """A socket went: announce its account offline if it was the account's last anywhere."""
        key = (usuario.rol, usuario.user)
        with self._lock:
            if self.counts[key] <= 0:
                return
            self.counts[key] -= 1
            if self.counts[key]:
                return
            del self.counts[key]
            self.accounts[key[0]] -= 1
            n = self.accounts[key[0]] if self.board is None else self._shared(self.board.off, *key)
        if n is not None:
            self._announce(*key, False, n)

    def _shared(self, change, rol, user):
        """Apply a change to Redis; when it fails, the next beat puts things right."""
        try:
            return change(rol, user)
        except Exception:
            log.warning("presence: Redis failed; the next beat repairs %s", user, exc_info=True)
            return None

    def online(self):
        """{rol: set of users} online on any live process."""
        if self.board is not None:
            try:
                return self.board.snapshot()
            except Exception:
                log.warning("presence: Redis failed; answering with this process's sockets", exc_info=True)
        online = collections.defaultdict(set)
        for rol, user in self.counts:
            online[rol].add(user)
        return online

    def beat(self):
        """One round of the background task: refresh this process in Redis and announce expiries."""
        with self._lock:
            came, gone = self.board.beat(self.counts)
        for rol, user, n in came:
            self._announce(rol, user, True, n)
        for rol, user, n in gone:
            self._announce(rol, user, False, n)

    def _announce(self, rol, user, en_linea, n):
        """Tell the clients of one transition, then the listeners (the assigner: an agent came online)."""
        emitter.announce_presence(rol, user, en_linea, n)
        for listener in self.listeners:
            listener(rol, user, en_linea)

    def start(self, app):
        """Run the beat every PRESENCE_INTERVAL seconds (only with Redis: alone, nothing expires)."""
        if self.board is not None and not self._started:
            self._started = True
            every(lambda _: app.config["PRESENCE_INTERVAL"], self.beat, name="presence beat", app=app)


def view_for(rol, online):
    """What an account may know of presence: agents see everyone, customers only whether support is there."""
    if rol == "admin":
        return {"usuarios": sorted(online.get("user", ())), "agentes": sorted(online.get("admin", ()))}
    return {"soporte": bool(online.get("admin"))}


def follow(sender, data):
    """seguir_presencia: join the socket to presence events; the ack is the current view."""
    # the agents' room shows every customer: the database's role now, not the connect-time one
    check_still_agent(sender)
    emitter.join(sender.sid, PRESENCE_ROOM if sender.rol == "admin" else CUSTOMERS_ROOM)
    return {"ok": True, **view_for(sender.rol, get_presence().online())}


def init_app(app):
    """Give the app its Presence, and start the beat where a server runs."""
    app.extensions["soporte.presence"] = presence = Presence(app)
    if not app.testing:
        presence.start(app)
    return presence


def get_presence():
    """The Presence of the current app."""
    return current_app.extensions["soporte.presence"]
