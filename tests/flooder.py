"""A websocket flooder for tests against a real server, light enough to run in a process of its own.

Only websocket-client: a spawned process that imported the suite (Flask, SQLAlchemy...)
would take seconds to start on a busy machine.
"""
import time

import websocket


def open_socket(url, token=None):
    """A raw Engine.IO websocket on `url` (http://...): with a token, Socket.IO-connected as well."""
    ws = websocket.create_connection(url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=5, cookie=f"token={token}" if token else None)
    assert ws.recv().startswith("0{")
    if token:
        ws.send("40")
        answer = ws.recv()
        assert answer.startswith("40{"), answer
    return ws


def flood(url, frame, token, seconds, results):
    """Send `frame` as fast as possible for `seconds`, opening a new socket each time the server closes one.

    Puts (bytes sent, sockets the server closed, sockets that stalled without being closed)
    on the `results` queue.
    """
    sent = closed = stalled = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ws = None
        try:
            ws = open_socket(url, token)
            while time.monotonic() < deadline:
                ws.send(frame)
                sent += len(frame)
        except websocket.WebSocketTimeoutException:
            stalled += 1  # the server stopped answering or reading, without closing
        except (websocket.WebSocketException, ConnectionError, OSError):
            closed += ws is not None
        if ws is not None:
            ws.close(timeout=0.1)
    results.put((sent, closed, stalled))


def flood_together(url, floods, seconds, results):
    """Run flood(url, frame, token, seconds) for each (frame, token) of `floods` at once, one thread each.

    Puts the sums of their counts on `results`. At the lowest CPU priority: an attacker's
    machine is not the server's, and here they share two cores with the measuring client.
    """
    import os
    import queue
    import threading

    os.nice(19)

    counts = queue.Queue()
    threads = [threading.Thread(target=flood, args=(url, frame, token, seconds, counts))
               for frame, token in floods]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(tuple(map(sum, zip(*(counts.get() for _ in threads)))))
