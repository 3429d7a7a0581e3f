"""A token bucket: how many messages (or bytes) one socket may send, in a burst and over time."""
import time


class TokenBucket:
    """Allows `burst` events at once, then `rate` per second."""

    __slots__ = ("rate", "burst", "_clock", "_tokens", "_updated")  # three per socket: no dict each

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._updated = clock()

    def take(self, amount=1):
        """Spend `amount` tokens if there are that many; False means over the limit."""
        if self.ready(amount):
            self._tokens -= amount
            return True
        return False

    def ready(self, amount=1):
        """Whether there are `amount` tokens now, without spending them."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        return self._tokens >= amount

    def give_back(self):
        """Return a token spent on an event that was refused after all."""
        self._tokens = min(self.burst, self._tokens + 1)
