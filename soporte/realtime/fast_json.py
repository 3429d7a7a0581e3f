"""The JSON of every Socket.IO packet: orjson, with the standard library behind it.

python-socketio encodes and decodes each packet with the module it is given (`dumps` and
`loads` like the standard library's; `dumps` returns text). orjson does both several times
faster, and a relayed message is decoded once and encoded for every copy.

orjson refuses some JSON that the standard library takes: lone surrogates ("\\ud800"),
NaN and Infinity, numbers too large for a double; integers past 64 bits it reads as
floats, as the page's JSON.parse does. For what it refuses the standard library decodes
as it always did (with Engine.IO's cap of 100 digits on integers), so the event still
reaches its handler and is refused there with an acknowledgement, instead of vanishing
without one. Encoding falls back the same way (integers past 64 bits, lone surrogates).
"""
import json

import orjson
from engineio import json as engineio_json


def dumps(obj, **kwargs):
    """The packet's JSON text (python-socketio passes the compact separators orjson always uses)."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(obj, **kwargs)


def loads(text, **kwargs):
    """The packet's data; what orjson refuses, decoded (or refused) by the standard library."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return engineio_json.loads(text, **kwargs)
