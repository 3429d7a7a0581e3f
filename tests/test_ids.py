"""Message ids: unique, increasing with time, exact in JavaScript, and their fecha in UTC."""
from datetime import datetime, timedelta, timezone

import pytest

from soporte.models import iso_utc
from soporte.relay import ids as ids_module
from soporte.relay.ids import NODE_BITS, SEQUENCE_BITS, IdGenerator, NoNode, id_time


class FrozenClock:
    """Stands in for the time module inside soporte.relay.ids: a clock the test moves by hand."""

    def __init__(self, ns):
        self.ns = ns

    def time_ns(self):
        return self.ns


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(1_767_225_600_000_000_000)  # 2026-01-01T00:00:00Z
    monkeypatch.setattr(ids_module, "time", frozen)
    return frozen


def test_ids_increase_and_fit_a_javascript_number():
    generator = IdGenerator(node=3)
    pairs = [generator.next() for _ in range(5000)]
    ids = [i for i, _ in pairs]
    assert ids == sorted(set(ids))
    assert all(0 < i < 2**53 for i in ids)
    fechas = [f for _, f in pairs]
    assert fechas == sorted(fechas)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert all(f.tzinfo is None and abs((now - f).total_seconds()) < 60 for f in fechas)


def test_fecha_and_id_tell_the_same_time():
    message_id, fecha = IdGenerator().next()
    assert abs(id_time(message_id).replace(tzinfo=None) - fecha) < timedelta(milliseconds=2)


def test_more_than_128_ids_in_one_millisecond(clock):
    generator = IdGenerator()
    ids = [generator.next()[0] for _ in range(1000)]  # the clock does not move at all
    assert ids == sorted(set(ids))


def test_a_clock_that_goes_back_never_makes_ids_go_back(clock):
    generator = IdGenerator()
    first, first_fecha = generator.next()
    clock.ns -= 5_000_000_000  # NTP steps the clock back five seconds
    second, second_fecha = generator.next()
    assert second > first and second_fecha >= first_fecha


def test_processes_with_different_nodes_never_collide(clock):
    a, b = IdGenerator(node=0), IdGenerator(node=1)
    from_a = {a.next()[0] for _ in range(300)}
    from_b = {b.next()[0] for _ in range(300)}
    assert not from_a & from_b


@pytest.mark.parametrize("node", [-1, 32])
def test_node_out_of_range(node):
    with pytest.raises(ValueError):
        IdGenerator(node=node)


class HeldNode:
    """Stands in for a NodeLease: the node number held now, or None."""

    def __init__(self, node):
        self.node = node

    def current(self):
        return self.node


def test_no_node_held_means_no_id(clock):
    """While the lease holds no number the generator refuses (the relay turns it into a refusal)."""
    held = HeldNode(None)
    generator = IdGenerator(held)
    assert generator.node is None
    with pytest.raises(NoNode):
        generator.next()
    held.node = 4
    message_id, _ = generator.next()
    assert generator.node == 4 and (message_id >> SEQUENCE_BITS) & ((1 << NODE_BITS) - 1) == 4


def test_ids_keep_increasing_when_the_leased_node_changes(clock):
    """A process that loses its number and leases another goes on from its last millisecond and
    sequence: its own ids stay unique and increasing, whatever the number."""
    held = HeldNode(9)
    generator = IdGenerator(held)
    before = [generator.next()[0] for _ in range(200)]  # the clock does not move: borrowed milliseconds
    held.node = 2
    after = [generator.next()[0] for _ in range(200)]
    ids = before + after
    assert ids == sorted(set(ids))


@pytest.mark.parametrize("fecha, text", [
    (datetime(2026, 12, 3, 9, 5, 7, 123456), "2026-12-03T09:05:07.123456Z"),
    (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05.000000Z"),  # no microseconds: still six digits
    (datetime(2026, 1, 2, 3, 4, 5, 7), "2026-01-02T03:04:05.000007Z"),
])
def test_fecha_as_the_protocol_writes_it(fecha, text):
    assert iso_utc(fecha) == text
    assert datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None) == fecha
