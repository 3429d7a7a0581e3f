"""Event-loop stalls: a real OS thread that logs the stack of whatever holds the loop longer than STALL_LOG_MS.

Under eventlet or gevent every greenthread runs in one OS thread, so one piece of code that
computes (or blocks) for milliseconds delays every socket. A heartbeat greenthread
notes the time every few milliseconds; a watcher thread outside the loop (an
unpatched one, so it runs while the loop is held) sees the heartbeat go stale and
logs the loop thread's current stack, once per stall, with how long it lasted.
gevent's monitor thread and eventlet's hub_blocking_detection do the same; this
one only reads, it never interrupts the code it catches.
"""
import logging
import sys
import time
import traceback

from soporte.extensions import socketio

log = logging.getLogger(__name__)


class StallWatch:
    """The heartbeat and the watcher of one event loop, and what they have seen."""

    def __init__(self, threshold_ms, loop_thread, start_os_thread, real_sleep):
        self.threshold = threshold_ms / 1000
        self.tick = self.threshold / 2  # a heartbeat late by the threshold is a stall, not jitter
        self.stalls = 0  # how many stalls were logged
        self.longest_ms = 0.0
        self._beat = time.monotonic()
        self._loop_thread = loop_thread  # the OS thread id that runs every greenthread
        self._start_os_thread, self._real_sleep = start_os_thread, real_sleep

    def start(self):
        """Start the heartbeat on the loop and the watcher outside it."""
        socketio.start_background_task(self._heartbeat)
        self._start_os_thread(self._watch)

    def _heartbeat(self):
        """On the loop: note the time, then yield for a tick."""
        while True:
            self._beat = time.monotonic()
            socketio.sleep(self.tick)

    def _watch(self):
        """Outside the loop: log the loop's stack once for each stall, and its length when it ends."""
        caught = None  # when the current stall's stack was logged (None: no stall)
        while True:
            self._real_sleep(self.tick)
            late = time.monotonic() - self._beat
            if late > self.threshold and caught is None:
                caught = self._beat
                frame = sys._current_frames().get(self._loop_thread)
                stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no frame)\n"
                log.warning("event loop held for %.0f ms so far, in:\n%s", late * 1000, stack)
            elif caught is not None and self._beat != caught:
                held_ms = (self._beat - caught) * 1000
                self.stalls += 1
                self.longest_ms = max(self.longest_ms, held_ms)
                log.warning("event loop stall ended after %.0f ms (%d so far)", held_ms, self.stalls)
                caught = None


def for_async_mode(threshold_ms, mode):
    """A StallWatch of this process's loop under `mode` (eventlet or gevent), with the OS's own threads and sleep.

    The patched ones would be green: a watcher on the loop cannot see the loop held.
    """
    if mode == "eventlet":
        from eventlet import patcher

        real_threading = patcher.original("threading")
        return StallWatch(threshold_ms, real_threading.get_ident(),
                          lambda watch: real_threading.Thread(target=watch, name="stall-watch", daemon=True).start(),
                          patcher.original("time").sleep)
    from gevent import monkey

    start_new_thread, get_ident = monkey.get_original("_thread", ["start_new_thread", "get_ident"])
    return StallWatch(threshold_ms, get_ident(), lambda watch: start_new_thread(watch, ()),
                      monkey.get_original("time", "sleep"))


def init_app(app, serving):
    """With STALL_LOG_MS set, watch this serving process's green loop; None otherwise."""
    threshold = float(app.config["STALL_LOG_MS"] or 0)
    mode = socketio.server.eio.async_mode
    if not (serving and threshold > 0 and mode in ("eventlet", "gevent")):
        return None
    watch = for_async_mode(threshold, mode)
    app.extensions["soporte.stalls"] = watch
    watch.start()
    return watch
