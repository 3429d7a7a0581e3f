"""A token bucket: how many messages one socket may send, in a burst and over time."""
import time

TOO_MANY = "Demasiados mensajes; espera un momento"


class TokenBucket:
    """Allows `burst` events at once, then `rate` per second."""

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._updated = clock()

    def take(self):
        """Spend one token if there is one; False means over the limit."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False
