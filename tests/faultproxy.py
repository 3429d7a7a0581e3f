"""A TCP proxy between the app and MariaDB that tests use to cut, stall and restore the database.

    proxy = FaultProxy(("127.0.0.1", 3306)).start()
    url = proxy.database_url("mysql+pymysql://root@127.0.0.1/soporte_test?charset=utf8mb4")
    proxy.cut()        # close every connection; new ones are refused (or blackholed)
    proxy.stall(3)     # hold every chunk 3 s before forwarding it (a slow database)
    proxy.restore()    # forward normally again
    proxy.stop()

Threads, one pair per connection; every socket has a short timeout so stop() is prompt.
"""
import select
import socket
import struct
import threading
import time

from sqlalchemy.engine import make_url

CHUNK = 65536
TICK = 0.2  # how often idle threads look at the proxy's state


class FaultProxy:
    """Forward 127.0.0.1:<port> to an upstream address, with faults on demand."""

    def __init__(self, upstream=("127.0.0.1", 3306)):
        self.upstream = upstream
        self.port = None
        self.mode = "ok"  # ok | refuse | blackhole
        self.delay = 0.0  # seconds each chunk is held before it is forwarded
        self.accepted = 0
        self._listener = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._pairs = set()  # (client, server) sockets of live connections
        self._held = set()  # blackholed client sockets
        self._threads = []

    def start(self):
        """Listen on a free port of 127.0.0.1 and start accepting."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(TICK)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_forever)
        return self

    def database_url(self, url):
        """The same database URL, pointed at the proxy."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def cut(self, mode="refuse"):
        """Close every connection; then refuse new ones (reset at once) or blackhole them (never answer)."""
        self.mode = mode
        self._close_all()

    def stall(self, seconds):
        """Hold every chunk, in both directions, `seconds` before forwarding it (0: no delay)."""
        self.delay = float(seconds)

    def restore(self):
        """Forward normally again; blackholed connections are closed so their clients retry."""
        self.mode = "ok"
        self.delay = 0.0
        with self._lock:
            held, self._held = self._held, set()
        for sock in held:
            _close(sock)

    def stop(self):
        """Stop accepting, close everything and wait for the threads."""
        self._stopping.set()
        self._close_all()
        self.restore()
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _accept_forever(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "refuse":
                _reset(client)
            elif self.mode == "blackhole":
                with self._lock:
                    self._held.add(client)
            else:
                self._spawn(self._connect, client)

    def _connect(self, client):
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _reset(client)
            return
        pair = (client, server)
        with self._lock:
            self._pairs.add(pair)
        self._spawn(self._pump, client, server, pair)
        self._pump(server, client, pair)

    def _pump(self, source, target, pair):
        """Copy source to target chunk by chunk until either side closes."""
        try:
            while not self._stopping.is_set():
                ready, _, _ = select.select([source], [], [], TICK)
                if not ready:
                    continue
                data = source.recv(CHUNK)
                if not data:
                    break
                if self.delay:
                    time.sleep(self.delay)
                target.sendall(data)
        except (OSError, ValueError):
            pass  # the other pump or cut() closed the pair
        finally:
            self._drop(pair)

    def _drop(self, pair):
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            _close(sock)

    def _close_all(self):
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:  # the pumps wake up, see the end and close their sockets
            for sock in pair:
                _abort(sock)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _abort(sock):
    """End a connection with an RST once closed, as a dead host or a killed server would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reset(sock):
    _abort(sock)
    sock.close()
