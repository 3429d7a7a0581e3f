"""The Redis message queue: publisher and listener apart, publishes batched off the handlers, and pages told to catch up after a gap."""
import logging
import time

import socketio

from soporte.protocol import ERASED
from soporte.realtime import emitter, fast_json

log = logging.getLogger(__name__)
# messages waiting for the publisher past which new ones are dropped (and logged): Redis that
# accepts connections and never answers would otherwise grow the queue without end
OUTBOX_LIMIT = 100_000
BATCH_LIMIT = 500  # messages in one PUBLISH at most: a batch is one JSON text every process decodes
# seconds emits gather before one PUBLISH takes them: what every process pays per PUBLISH (redis-py
# here, reading and decoding in each listener) then serves several messages; only sockets on
# other processes wait it (this one's are reached at once)
PUBLISH_GATHER = 0.002
# our own message on the channel: close every socket of an account (python-socketio ignores
# a method it does not know, so a process of an earlier version drops it)
END_ACCOUNT = "soporte_end_account"


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
    - A handler never waits for Redis: the library published each emit in the caller,
      one round trip each (two per chat message). Here emits go to an outbox, and one
      background task publishes what has gathered, several as one JSON list in one
      PUBLISH; the listener unpacks a list into its messages. (A process of an earlier
      version ignores a list: it sees only the emits published alone.)
    """

    name = "redis"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._publisher = None
        self._outbox = None  # made with the first publish, in the server's async mode
        self._dropped = 0  # messages refused by a full outbox since the last log of it
        self.on_end_account = []  # f(username) before an account's sockets here close: the role cache forgets it
        self.on_erased = []  # f(username) for a customer erased (motivo ERASED): what this process keeps of them goes

    def _new_client(self):
        """A client of its own, made by the library's connect (every URL scheme, sentinel too)."""
        self._redis_connect()
        return self.redis, self.pubsub

    def _publish(self, data):
        """Queue one message for the publisher task; past OUTBOX_LIMIT, drop it."""
        if self._outbox is None:
            self._outbox = self.server.eio.create_queue()
            self.server.start_background_task(self._publish_forever)
        if self._outbox.qsize() >= OUTBOX_LIMIT:
            if not self._dropped:
                log.error("the Redis outbox is full (%d messages): dropping what the other processes would get",
                          OUTBOX_LIMIT)
            self._dropped += 1
            return
        self._outbox.put(data)

    def _publish_forever(self):
        """Publish what the outbox holds: each PUBLISH carries everything queued during PUBLISH_GATHER and the wait for Redis."""
        empty = self.server.eio.get_queue_empty_exception()
        while True:
            batch = [self._outbox.get()]
            self.server.sleep(PUBLISH_GATHER)
            while len(batch) < BATCH_LIMIT:
                try:
                    batch.append(self._outbox.get_nowait())
                except empty:
                    break
            self._send(batch[0] if len(batch) == 1 else batch)
            if self._dropped:
                log.error("%d messages were dropped while the Redis outbox was full", self._dropped)
                self._dropped = 0

    def _send(self, data):
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

    def _listen(self):
        """The library's messages, a published list unpacked into its messages (decoded: the library takes dicts).

        END_ACCOUNT messages are ours: handled here, as the library handles its disconnects.
        """
        for message in super()._listen():
            try:
                data = self.json.loads(message)
            except ValueError:  # not ours: the library ignores what it cannot decode, too
                continue
            for one in data if isinstance(data, list) else [data]:
                if not isinstance(one, dict):
                    continue
                if one.get("method") == END_ACCOUNT:
                    self._handle_end_account(one)
                else:
                    yield one

    def end_account(self, username, reason):
        """Ask the other processes to forget an account's role and close its sockets (reason None: only forget)."""
        self._publish({"method": END_ACCOUNT, "user": username, "motivo": reason, "host_id": self.host_id})

    def _handle_end_account(self, message):
        """Close this process's sockets of the account another process ended."""
        if message.get("host_id") == self.host_id:
            return  # its sender closed them already
        user, reason = message.get("user"), message.get("motivo")
        if isinstance(user, str):
            try:
                for forget in self.on_end_account:
                    forget(user)  # a new socket or page of the ended login is refused here at once, too
                if isinstance(reason, str):  # None: the account changed (reactivated), no login ended
                    emitter.end_account_here(user, reason)
                if reason == ERASED:
                    for forget in self.on_erased:
                        forget(user)
            except Exception:  # the listener must go on
                log.exception("closing the sockets of %s failed", user)

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
        return ResyncingRedisManager(url, channel=channel, json=fast_json)  # every process decodes every batch
    return None
