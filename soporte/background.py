"""Background loops: one round of work every so often, for ever, outliving the errors of any round."""
import logging

from soporte.extensions import socketio

log = logging.getLogger(__name__)


def in_os_thread(function):
    """function, made to run in a real OS thread when the event loop is green (the hub's pool of them).

    For a call that blocks in the kernel (fsync takes milliseconds): on the loop's own
    thread it would hold every greenthread meanwhile. Under threading, function itself.
    """
    mode = socketio.server.eio.async_mode
    if mode == "eventlet":
        from eventlet import tpool  # only this mode needs eventlet

        return lambda *args: tpool.execute(function, *args)
    if mode == "gevent":
        import gevent  # only this mode needs gevent

        return lambda *args: gevent.get_hub().threadpool.apply(function, args)
    return function


class GreenOutcome:
    """eventlet's own event, as a threading.Event that is set once: no Condition, Semaphore and Timeout per wait."""

    def __init__(self):
        from eventlet.event import Event

        self._event = Event()

    def set(self):
        """Wake every waiter (again: nothing)."""
        if not self._event.ready():
            self._event.send(True)

    def is_set(self):
        return self._event.ready()

    def wait(self, timeout=None):
        """Whether it was set within `timeout` seconds (None: no limit)."""
        return self._event.wait(timeout) is True


def outcome_event():
    """An event set once and waited on by many, for the async mode (a journal group's senders wait on one).

    Under eventlet the green threading.Event that Engine.IO makes costs a Condition, a
    Semaphore and a Timeout per wait: 7.6% of the worker's samples at 2,500 msg/s.
    """
    if socketio.server.eio.async_mode == "eventlet":
        return GreenOutcome()
    return socketio.server.eio.create_event()


def every(interval, work, *, name, app=None, wait_first=False):
    """Start run_every() as a Socket.IO background task (a green thread under eventlet, a thread otherwise)."""
    return socketio.start_background_task(run_every, interval, work, name=name, app=app, wait_first=wait_first)


def run_every(interval, work, *, name, app=None, wait_first=False, sleep=None, rounds=None):
    """Call work() every `interval` seconds, in `app`'s context if given; an error is logged under `name`.

    `interval` is a number or a function of the round's result (None when the round
    failed), read after every round so a changed setting takes effect. `sleep` defaults
    to socketio.sleep, which yields under eventlet; `rounds` bounds the loop for tests.
    """
    sleep = sleep or socketio.sleep
    if app is not None:
        with app.app_context():
            return _loop(interval, work, name, wait_first, sleep, rounds)
    return _loop(interval, work, name, wait_first, sleep, rounds)


def _loop(interval, work, name, wait_first, sleep, rounds):
    """The loop itself: optionally wait, then work and wait, `rounds` times or for ever."""
    wait = interval if callable(interval) else (lambda result: interval)
    if wait_first:
        sleep(wait(None))
    done = 0
    while rounds is None or done < rounds:
        try:
            result = work()
        except Exception:  # a background loop must outlive any round: the next one tries again
            log.exception("%s failed", name)
            result = None
        done += 1
        sleep(wait(result))
