"""The node number of message ids, leased in Redis: distinct per live process, kept by renewal, given up in time."""
import uuid

import pytest
import redis

from conftest import free_port, redis_url
from soporte.relay.ids import MAX_NODE
from soporte.relay.node_lease import NodeLease

REDIS_DB = 5  # these tests' keys have a prefix of their own as well


class Clock:
    """A monotonic clock the test moves by hand (the lease's idea of time; Redis keeps its own)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def leases():
    """Make NodeLeases that share one Redis and one key prefix (unique to the test), on a hand-moved clock."""
    url, prefix = redis_url(REDIS_DB), f"test-node-lease:{uuid.uuid4().hex}:"
    control = redis.Redis.from_url(url, decode_responses=True)
    clock = Clock()

    def make(lease_seconds=30):
        return NodeLease(url, lease_seconds=lease_seconds, prefix=prefix, clock=clock)

    make.clock, make.prefix, make.redis = clock, prefix, control
    yield make
    for key in control.scan_iter(match=prefix + "*"):
        control.delete(key)


def test_two_processes_get_different_nodes(leases):
    """Each process takes the first number nobody holds, and its key holds that process's token."""
    one, two = leases(), leases()
    assert one.current() is None  # nothing until it has asked Redis
    first, second = one.acquire(), two.acquire()
    assert first is not None and second is not None and first != second
    assert (one.current(), two.current()) == (first, second)
    assert leases.redis.get(leases.prefix + str(first)) == one.token
    assert leases.redis.get(leases.prefix + str(second)) == two.token
    assert 29_000 < leases.redis.pttl(leases.prefix + str(first)) <= 30_000


def test_renewal_keeps_the_node(leases):
    """Renewed every third of the lease, a process keeps its number past the time it would give it up."""
    lease = leases()
    node = lease.acquire()
    for _ in range(5):  # 50 s of renewals: well past the 20 s give-up of a lease not renewed
        leases.clock.now += 10
        assert lease.renew() is True
        assert lease.current() == node
    assert leases.redis.get(leases.prefix + str(node)) == lease.token


def test_a_lease_not_renewed_is_given_up_before_its_key_can_expire(leases):
    """Not renewed for two thirds of the lease: the process holds no node, while Redis still keeps the
    key for the last third, so no other process can take that number while this one may still use it."""
    lease = leases()
    node = lease.acquire()
    leases.clock.now += 19.9
    assert lease.current() == node
    leases.clock.now += 0.1
    assert lease.current() is None
    assert leases.redis.get(leases.prefix + str(node)) == lease.token  # nobody else could have it yet
    other = leases()
    assert other.acquire() != node


def test_a_lease_whose_key_expired_is_lost_at_the_next_renewal(leases):
    """The key gone (expired while the process was cut off) and taken by another: the renewal fails,
    the process holds no node, and its next attempt takes another number."""
    lease, other = leases(), leases()
    node = lease.acquire()
    leases.redis.delete(leases.prefix + str(node))  # what the expiry does
    assert other.acquire() == node
    assert lease.renew() is False
    assert lease.current() is None
    assert leases.redis.get(leases.prefix + str(node)) == other.token  # the renewal did not take it back
    assert lease.acquire() not in (None, node)


def test_a_process_that_gave_up_takes_its_own_key_back(leases):
    """Given up locally while its key still lives (Redis was away for a while): the next attempt takes
    the same number back, not a second one."""
    lease = leases()
    node = lease.acquire()
    leases.clock.now += 25
    assert lease.current() is None
    assert lease.acquire() == node
    assert lease.current() == node


def test_no_node_while_every_number_is_held(leases):
    """Thirty-two live processes hold every number: the next gets none (and keeps asking)."""
    holders = [leases() for _ in range(MAX_NODE + 1)]
    assert sorted(h.acquire() for h in holders) == list(range(MAX_NODE + 1))
    late = leases()
    assert late.acquire() is None and late.current() is None
    holders[7].release()
    assert late.acquire() == 7


def test_release_drops_only_its_own_key(leases):
    """A clean exit frees the number at once; a key that is someone else's by now is left alone."""
    lease, other = leases(), leases()
    node = lease.acquire()
    lease.release()
    assert lease.current() is None
    assert leases.redis.exists(leases.prefix + str(node)) == 0
    assert lease.acquire() == node
    leases.redis.delete(leases.prefix + str(node))  # expired while cut off, and taken by another
    assert other.acquire() == node
    lease.release()
    assert leases.redis.get(leases.prefix + str(node)) == other.token


def test_redis_unreachable_means_no_node_and_no_exception():
    """Redis refusing connections: acquire() answers None (the keeper tries again), renew() False."""
    lease = NodeLease(f"redis://127.0.0.1:{free_port()}/0")
    assert lease.acquire() is None and lease.current() is None
    assert lease.keep() is None


def test_the_keeper_renews_and_retakes(leases):
    """One round of the background keeper: take a node when none is held, renew the one held."""
    lease = leases()
    node = lease.keep()
    assert node is not None
    leases.clock.now += 10
    assert lease.keep() == node
    leases.redis.delete(leases.prefix + str(node))
    leases.redis.set(leases.prefix + str(node), "someone-else")
    moved = lease.keep()  # its key is someone else's: it takes another number in the same round
    assert moved not in (None, node) and lease.current() == moved
