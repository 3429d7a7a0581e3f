"""Properties of soporte.validation.parse_private_message, for any payload a client can send."""
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from soporte.protocol import Invalid
from soporte.relay.validation import CID_MAX_LENGTH, encodable, parse_private_message

MAX = 2000
PROPS = settings(max_examples=300, deadline=None, database=None,  # no .hypothesis/ in the tree
                 suppress_health_check=[HealthCheck.too_slow])

# what JSON can carry, as python-socketio decodes it (lone surrogates included: "\ud800" is valid JSON)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
storable = st.text(st.characters(blacklist_categories=("Cs",)))  # no lone surrogates
non_blank = storable.filter(lambda s: s.strip())
messages = non_blank.filter(lambda s: len(s) <= MAX)
cids = st.none() | st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=CID_MAX_LENGTH)


@PROPS
@given(json_values)
def test_any_payload_is_parsed_or_refused_with_a_message(data):
    """Whatever arrives, the answer is a parse or Invalid with a non-empty message: never a crash."""
    try:
        result = parse_private_message(data, MAX)
    except Invalid as error:
        assert str(error).strip()
    else:
        assert isinstance(result, tuple) and len(result) == 3


@PROPS
@given(st.dictionaries(st.sampled_from(["para", "mensaje", "cid", "de", "otro"]), json_values))
def test_payloads_with_the_right_keys_and_any_values(data):
    """With any values under the protocol's keys, what is accepted is exactly what the rules allow."""
    try:
        para, mensaje, cid = parse_private_message(data, MAX)
    except Invalid:
        return
    assert para is data["para"] and mensaje is data["mensaje"] and cid is data.get("cid")
    assert isinstance(para, str) and para.strip()
    assert isinstance(mensaje, str) and mensaje.strip() and len(mensaje) <= MAX
    assert cid is None or (isinstance(cid, str) and 0 < len(cid) <= CID_MAX_LENGTH)
    assert all(encodable(text) for text in (para, mensaje, cid) if text is not None)


@PROPS
@given(non_blank, messages, cids, st.dictionaries(st.text(max_size=8), json_values, max_size=3))
@example("admin", "x" * MAX, "c" * CID_MAX_LENGTH, {})
@example("admin", "  hola  ", None, {"de": "otro"})
def test_valid_payloads_come_back_verbatim(para, mensaje, cid, extra):
    """A valid payload is returned untouched (no trimming, no escaping); other keys are ignored."""
    data = {**extra, "para": para, "mensaje": mensaje}
    if cid is not None:
        data["cid"] = cid
    else:
        data.pop("cid", None)
    assert parse_private_message(data, MAX) == (para, mensaje, cid)


@PROPS
@given(non_blank, storable.filter(lambda s: not s.strip()))
def test_blank_messages_are_refused(para, mensaje):
    with pytest.raises(Invalid, match="vacío"):
        parse_private_message({"para": para, "mensaje": mensaje}, MAX)


@PROPS
@given(non_blank, st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=30))
def test_the_length_limit_is_exact(para, limit, extra):
    """limit characters pass; limit + anything is refused, naming the limit."""
    assert parse_private_message({"para": para, "mensaje": "x" * limit}, limit)[1] == "x" * limit
    with pytest.raises(Invalid, match=f"supera los {limit} caracteres"):
        parse_private_message({"para": para, "mensaje": "x" * (limit + extra)}, limit)


@PROPS
@given(non_blank, messages, st.sampled_from(["para", "mensaje", "cid"]),
       st.text(min_size=1).map(lambda s: s[:10]), st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"]))
def test_lone_surrogates_never_pass(para, mensaje, field, text, surrogate):
    """A lone surrogate anywhere would make the message unstorable (and stall the writer): refused."""
    data = {"para": para, "mensaje": mensaje, "cid": "c1"}
    data[field] = text + surrogate
    with pytest.raises(Invalid):
        parse_private_message(data, MAX)


@PROPS
@given(json_values.filter(lambda v: not isinstance(v, dict)))
def test_anything_but_an_object_is_refused(data):
    with pytest.raises(Invalid, match="objeto"):
        parse_private_message(data, MAX)
