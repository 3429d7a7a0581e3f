"""Message ids: unique across processes, increasing in time, exact in JavaScript.

An id packs milliseconds since EPOCH_MS (41 bits), the process's node number
(5 bits) and a per-millisecond sequence (7 bits): 53 bits, so browsers read
it as an exact Number. Assigned before storage, so a message can be delivered
with its id while the database is still writing it.

The node number is configured (NODE_ID), random (one process alone), or leased in
Redis (soporte.relay.node_lease), which keeps it distinct among live processes. A process
goes on from its own last millisecond and sequence whatever its number, so its ids
stay unique and increasing when it leases another; ids that another process issued
under a number before it was given up end, by the lease's timing, at least a third of
a lease (10 s) before anyone can take that number again, so they cannot meet new ones
as long as the hosts' clocks agree to within that (NTP does far better).
"""
import threading
import time
from datetime import datetime, timezone

EPOCH_MS = 1735689600000  # 2025-01-01T00:00:00Z
NODE_BITS = 5
SEQUENCE_BITS = 7
MAX_NODE = (1 << NODE_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1


class NoNode(Exception):
    """No node number is held (the lease is not taken yet, or was given up): no id can be issued."""


class FixedNode:
    """A node number that never changes (configured, or random for a process alone)."""

    def __init__(self, node):
        if not 0 <= node <= MAX_NODE:
            raise ValueError(f"node must be between 0 and {MAX_NODE}")
        self.node = node

    def current(self):
        """The node number."""
        return self.node


class IdGenerator:
    """Hands out (id, fecha) pairs for one process."""

    def __init__(self, node=0):
        """node: a number, or what holds one (a NodeLease: its current() is None while none is held)."""
        self._source = FixedNode(node) if isinstance(node, int) else node
        self._last_ms = 0
        self._last_node = None
        self._sequence = 0
        self._lock = threading.Lock()

    @property
    def node(self):
        """The node number ids get now, or None while none is held."""
        return self._source.current()

    def next(self):
        """Return a new id and its UTC timestamp (naive datetime, microseconds); NoNode without a node."""
        with self._lock:
            node = self._source.current()
            if node is None:
                raise NoNode()
            now_us = time.time_ns() // 1000
            ms = max(now_us // 1000, self._last_ms)  # never backwards, even if the clock is
            if node != self._last_node and self._last_ms:
                # another number: start on a new millisecond, so the ids still increase
                ms = max(now_us // 1000, self._last_ms + 1)
                self._sequence = 0
            elif ms == self._last_ms:
                self._sequence += 1
                if self._sequence > MAX_SEQUENCE:
                    # more than 128 ids in one millisecond: borrow the next one
                    ms += 1
                    self._sequence = 0
            else:
                self._sequence = 0
            self._last_ms, self._last_node = ms, node
            new_id = ((ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)) | (
                node << SEQUENCE_BITS
            ) | self._sequence
            # fecha follows the id's millisecond so that ordering by either agrees
            fecha_us = max(now_us, ms * 1000)
            fecha = datetime.fromtimestamp(fecha_us / 1e6, timezone.utc)
            return new_id, fecha.replace(tzinfo=None)


def id_time(message_id):
    """Return the UTC datetime encoded in an id (for debugging and tests)."""
    ms = (message_id >> (NODE_BITS + SEQUENCE_BITS)) + EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def first_id_at(moment):
    """The smallest id that can be assigned at or after an aware datetime (for range queries)."""
    ms = int(moment.timestamp() * 1000)
    return max(0, ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)
