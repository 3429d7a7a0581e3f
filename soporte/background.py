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
    """Set once and waited on by many, on eventlet's hub itself: a timer per outcome, not two per waiter.

    eventlet's Event schedules a timer for each waiter's timeout and another to wake each
    waiter, and cancels the first (the hub then sweeps its list of cancelled timers). Here
    the first timed waiter starts the one timeout timer and set() wakes every waiter from
    one call. A journal group's senders all start waiting within one journal write, so the
    first one's timeout stands for theirs: a later one's wait ends at most that much early.
    """

    def __init__(self):
        self._set = False
        self._waiters = {}  # greenlet -> whether its wait has a timeout
        self._timer = None  # the timeout of the timed waiters, while there are any

    def set(self):
        """Wake every waiter with True (again: nothing)."""
        if self._set:
            return
        self._set = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiters:
            waiters, self._waiters = list(self._waiters), {}
            self._hub().schedule_call_global(0, self._wake, waiters, True)

    def is_set(self):
        return self._set

    def wait(self, timeout=None):
        """Whether it was set within `timeout` seconds (None: no limit; see the class for whose timeout)."""
        if self._set:
            return True
        from eventlet.support import greenlets  # the greenlet module eventlet runs on

        current = greenlets.getcurrent()
        hub = self._hub()
        self._waiters[current] = timeout is not None
        if timeout is not None and self._timer is None:
            self._timer = hub.schedule_call_global(timeout, self._time_out)
        try:
            return hub.switch()
        finally:
            self._waiters.pop(current, None)

    def _time_out(self):
        """The timer: wake the timed waiters with False; the others wait on."""
        self._timer = None
        timed = [waiter for waiter, has_timeout in self._waiters.items() if has_timeout]
        for waiter in timed:
            del self._waiters[waiter]
        self._wake(timed, False)

    @staticmethod
    def _wake(waiters, result):
        """On the hub: switch to each waiter with `result` (each runs until it yields back)."""
        for waiter in waiters:
            if not waiter.dead:
                waiter.switch(result)

    @staticmethod
    def _hub():
        from eventlet import hubs  # only this mode needs eventlet

        return hubs.get_hub()


def outcome_event():
    """An event set once and waited on by many, for the async mode (a journal group's senders wait on one).

    Under eventlet the green threading.Event that Engine.IO makes costs a Condition, a
    Semaphore and a Timeout per wait: 7.6% of the worker's samples at 2,500 msg/s; eventlet's
    own Event costs two timers per waiter (see GreenOutcome). gevent's Event is cheap as it is.
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
