"""soporte.realtime.fast_json: orjson for Socket.IO packets, with the standard library's answers where orjson refuses."""
import json
import math

import pytest
from hypothesis import given, strategies as st

from soporte.realtime import fast_json

# what a client can put in a packet: any text (lone surrogates too), integers of any size
# up to Engine.IO's 100 digits, finite floats, nested lists and objects
scalars = (st.none() | st.booleans() | st.text()
           | st.integers(min_value=-10**99, max_value=10**99) | st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(), inner, max_size=5), max_leaves=30)


def same(a, b):
    """Equal as JSON values, where an integer past 64 bits may come back as the float orjson makes of it."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, int) and not isinstance(a, bool) and abs(a) >= 2**63:
        return a == b or (isinstance(b, float) and b == float(a))
    return type(a) is type(b) and a == b


@given(values)
def test_decodes_what_the_standard_library_decodes(value):
    assert same(json.loads(json.dumps(value)), fast_json.loads(json.dumps(value)))


@given(values)
def test_encodes_what_the_standard_library_reads_back(value):
    encoded = fast_json.dumps(value, separators=(",", ":"))
    assert isinstance(encoded, str)  # python-socketio appends it to the packet's text
    assert json.loads(encoded) == value


@pytest.mark.parametrize("text, expected", [
    ('["hola \\ud800"]', ["hola \ud800"]),  # a lone surrogate: orjson refuses it
    ('{"a":NaN}', {"a": math.nan}),
    ('[Infinity, -Infinity]', [math.inf, -math.inf]),
    ('[1e400]', [math.inf]),
])
def test_what_orjson_refuses_is_decoded_as_the_standard_library_does(text, expected):
    decoded = fast_json.loads(text)
    assert json.dumps(decoded) == json.dumps(expected)


@pytest.mark.parametrize("digits", [20, 40, 101, 300])
def test_integers_past_64_bits_are_read_as_javascript_reads_them(digits):
    """A float, as the page's JSON.parse makes of them, in linear time (no digit limit needed)."""
    assert fast_json.loads("[" + "9" * digits + "]") == [float("9" * digits)]


@pytest.mark.parametrize("text", ["[" + "9" * 400 + "]", "[1,", "{'a': 1}", "", "[" * 100_000])
def test_what_both_refuse_raises_a_value_error_or_recursion_error(text):
    with pytest.raises((ValueError, RecursionError)):
        fast_json.loads(text)


def test_the_application_gives_it_to_python_socketio(app):
    from engineio.packet import Packet as EngineIOPacket
    from socketio.packet import Packet

    assert Packet.json is fast_json and EngineIOPacket.json is fast_json
