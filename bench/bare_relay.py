"""The floor of the library stack: python-socketio on eventlet relaying soporte's hot event, and nothing else.

The login token from the handshake's auth, rooms `admins` and `user:<name>`, one emit of
`mensaje_recibido` to the agents and the recipient, an ack; orjson for Socket.IO's JSON,
soporte's whole-buffer unmask, no permessage-deflate (as soporte: compressing every frame
made the load generator the bottleneck). No Flask, no checks, no journal, no database. `bench/run.py
--bare` runs it beside soporte: what soporte costs beyond it is what soporte does.
"""
import eventlet

eventlet.monkey_patch()

import itertools  # noqa: E402
import time  # noqa: E402

import jwt  # noqa: E402
import socketio  # noqa: E402
from eventlet.websocket import RFC6455WebSocket  # noqa: E402

from soporte.realtime import fast_json  # noqa: E402
from soporte.realtime.compression import without_websocket_compression  # noqa: E402
from soporte.realtime.websocket_guard import apply_mask  # noqa: E402

RFC6455WebSocket._apply_mask = staticmethod(apply_mask)  # eventlet's is a byte at a time
SECRET = "bench-" + "x" * 40  # run.py's

sio = socketio.Server(async_mode="eventlet", json=fast_json, cors_allowed_origins="*")
users, ids = {}, itertools.count(1)


def ok(environ, start_response):
    """Any other path: 200, so the runner sees it is up."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


app = without_websocket_compression(socketio.WSGIApp(sio, ok))


@sio.on("connect")
def connect(sid, environ, auth=None):
    """The login token from the auth payload, and the socket's room."""
    claims = jwt.decode((auth or {}).get("token", ""), SECRET, algorithms=["HS256"])
    users[sid] = claims
    sio.enter_room(sid, "admins" if claims["rol"] == "admin" else f"user:{claims['user']}")


@sio.on("disconnect")
def disconnect(sid, reason=None):
    """Forget the socket."""
    users.pop(sid, None)


@sio.on("mensaje_privado")
def mensaje_privado(sid, data):
    """Relay to the agents and the recipient, then ack."""
    user = users[sid]
    payload = {"de": user["user"], "nombre": user["name"], "mensaje": data["mensaje"], "id": next(ids),
               "para": data["para"], "fecha": time.time()}
    sio.emit("mensaje_recibido", payload, to=["admins", f"user:{data['para']}"])
    return {"ok": True, "id": payload["id"], "fecha": payload["fecha"]}
