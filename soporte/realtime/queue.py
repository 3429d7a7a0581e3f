"""The Redis message queue: publisher and listener apart, and pages told to catch up after a gap."""
import time

import socketio

from soporte.realtime import emitter


class ResyncingRedisManager(socketio.RedisManager):
    """python-socketio's RedisManager with two changes for a chat that must not lose messages.

    - The publisher and the listener each keep their own client. The library shares
      one and replaces it on any error; the replaced client closes its pool, which
      cuts the other side's connection too, so a failed publish ended the
      subscription and a resubscribe failed the publishes in flight (measured in the
      #5 benchmark: a cascade every few seconds at 1,000 msg/s on two processes).
    - After a gap in the subscription (Redis drops a subscriber past its pubsub
      output-buffer limit, python-socketio#1581), this process's sockets get
      `resincronizar` and fetch what they missed over REST, as after a reconnect.
    """

    name = "redis"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._publisher = None

    def _new_client(self):
        """A client of its own, made by the library's connect (every URL scheme, sentinel too)."""
        self._redis_connect()
        return self.redis, self.pubsub

    def _publish(self, data):
        """Publish on the publisher's client; on an error, a new one, once."""
        for attempt in (1, 2):
            try:
                if self._publisher is None:
                    self._publisher, _ = self._new_client()
                return self._publisher.publish(self.channel, self.json.dumps(data))
            except Exception as exc:
                self._publisher = None
                self._get_logger().error("Cannot publish to redis (%s)%s", exc,
                                         "... retrying" if attempt == 1 else "; giving up")

    def _redis_listen_with_retries(self):
        """The library's listener loop (same retries) on a client of its own, announcing every gap."""
        retry_sleep = 1
        gap = False  # until the first subscription there is nothing to have missed
        while True:
            client = None
            try:
                client, pubsub = self._new_client()
                pubsub.subscribe(self.channel)
                retry_sleep = 1
                if gap:
                    self.resynchronise()
                gap = True  # whatever ends the listening below leaves one
                yield from pubsub.listen()
            except Exception as exc:
                self._get_logger().error("Cannot receive from redis... retrying in %s secs (%s)",
                                         retry_sleep, exc)
                if client is not None:
                    try:
                        client.close()
                    except Exception:  # already broken: nothing to release
                        pass
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 60)

    def resynchronise(self):
        """Ask this process's sockets (only: the others missed nothing) to catch up."""
        self._get_logger().warning("redis subscription restored: asking local sockets to catch up")
        emitter.resynchronise_local(self)


def client_manager(url, channel):
    """The Socket.IO client manager for SOCKETIO_MESSAGE_QUEUE (None: Flask-SocketIO picks one by URL)."""
    if not url:
        return socketio.Manager()  # explicit, or a later app would inherit an earlier app's queue
    if url.startswith(("redis://", "rediss://", "unix://")):
        return ResyncingRedisManager(url, channel=channel)
    return None
