"""The Redis message queue, telling this process's pages to catch up after a gap in its subscription."""
import time

import socketio


class ResyncingRedisManager(socketio.RedisManager):
    """python-socketio's RedisManager, plus `resincronizar` to local sockets after a resubscribe.

    Redis drops a subscriber that falls behind (its `client-output-buffer-limit pubsub`),
    and whatever is published until the listener subscribes again never reaches this
    process (python-socketio#1581). Nothing is lost from the database; the pages, told
    to resynchronise, fetch what they missed over REST as after a reconnect.
    """

    name = "redis"

    def _redis_listen_with_retries(self):
        """The library's listener loop (same retries), announcing every gap once it is over."""
        retry_sleep = 1
        gap = False  # until the first subscription there is nothing to have missed
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                retry_sleep = 1
                if gap:
                    self.resynchronise()
                gap = True  # whatever ends the listening below leaves one
                yield from self.pubsub.listen()
            except Exception as exc:
                self._get_logger().error("Cannot receive from redis... retrying in %s secs (%s)",
                                         retry_sleep, exc)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 60)

    def resynchronise(self):
        """Ask this process's sockets (only: the others missed nothing) to catch up."""
        self._get_logger().warning("redis subscription restored: asking local sockets to catch up")
        socketio.Manager.emit(self, "resincronizar", {}, namespace="/")


def client_manager(url, channel):
    """The Socket.IO client manager for SOCKETIO_MESSAGE_QUEUE (None: Flask-SocketIO picks one by URL)."""
    if not url:
        return socketio.Manager()  # explicit, or a later app would inherit an earlier app's queue
    if url.startswith(("redis://", "rediss://", "unix://")):
        return ResyncingRedisManager(url, channel=channel)
    return None
