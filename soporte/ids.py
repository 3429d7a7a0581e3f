"""Message ids: unique across processes, increasing in time, exact in JavaScript.

An id packs milliseconds since EPOCH_MS (41 bits), the process's node number
(5 bits) and a per-millisecond sequence (7 bits): 53 bits, so browsers read
it as an exact Number. Assigned before storage, so a message can be delivered
with its id while the database is still writing it.
"""
import threading
import time
from datetime import datetime, timezone

EPOCH_MS = 1735689600000  # 2025-01-01T00:00:00Z
NODE_BITS = 5
SEQUENCE_BITS = 7
MAX_NODE = (1 << NODE_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1


class IdGenerator:
    """Hands out (id, fecha) pairs for one process."""

    def __init__(self, node=0):
        if not 0 <= node <= MAX_NODE:
            raise ValueError(f"node must be between 0 and {MAX_NODE}")
        self.node = node
        self._last_ms = 0
        self._sequence = 0
        self._lock = threading.Lock()

    def next(self):
        """Return a new id and its UTC timestamp (naive datetime, microseconds)."""
        with self._lock:
            now_us = time.time_ns() // 1000
            ms = max(now_us // 1000, self._last_ms)  # never backwards, even if the clock is
            if ms == self._last_ms:
                self._sequence += 1
                if self._sequence > MAX_SEQUENCE:
                    # more than 128 ids in one millisecond: borrow the next one
                    ms += 1
                    self._sequence = 0
            else:
                self._sequence = 0
            self._last_ms = ms
            new_id = ((ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)) | (
                self.node << SEQUENCE_BITS
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
