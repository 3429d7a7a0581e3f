"""The background-loop helper: rounds, waits, app context and errors that do not stop it."""
import logging

import pytest
from flask import current_app

from soporte.background import in_os_thread, run_every


def test_rounds_wait_the_interval_and_outlive_errors(caplog):
    """A failing round is logged under its name, and the loop goes on to the next."""
    calls, waits = [], []

    def work():
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("boom")
        return "ok"

    with caplog.at_level(logging.ERROR, logger="soporte.background"):
        run_every(lambda result: 1 if result else 9, work, name="test loop", sleep=waits.append, rounds=3)
    assert calls == [0, 1, 2]
    assert waits == [1, 9, 1]  # the failed round's result is None
    assert any("test loop failed" in r.getMessage() for r in caplog.records)


def test_wait_first_and_app_context(app):
    """wait_first waits before the first round; with an app, work runs in its context."""
    events = []
    run_every(5, lambda: events.append(current_app.name), name="ctx", app=app, wait_first=True,
              sleep=lambda s: events.append(s), rounds=1)
    assert events == [5, app.name, 5]


PATCH = {"eventlet": "import eventlet\neventlet.monkey_patch()",
         "gevent": "from gevent import monkey\nmonkey.patch_all()"}
IN_OS_THREAD = """
import time
from soporte import create_app
from soporte.background import in_os_thread
from soporte.extensions import socketio
create_app({"TESTING": True, "SECRET_KEY": "k" * 40, "JWT_SECRET": "j" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": %(mode)r})
def blocking_sleep(seconds):  # blocks its thread, like fsync in the kernel
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
ticks = []
def tick():
    while True:
        ticks.append(1)
        socketio.sleep(0.01)
socketio.start_background_task(tick)
socketio.sleep(0)
in_os_thread(blocking_sleep)(0.5)
print(len(ticks))
"""


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_a_blocking_call_in_an_os_thread_lets_the_event_loop_run(tmp_path, mode):
    """Under eventlet or gevent, in_os_thread (the journal's fsync) blocks only its caller: other greenthreads tick meanwhile."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PATCH[mode] + IN_OS_THREAD % {"mode": mode}], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # on the loop's thread the call blocks every tick but the first: 1. In an OS thread about 50
    # ticks of 10 ms fit in its 0.5 s on an idle machine; a loaded one (the spinning thread and the
    # loop share the GIL and two busy cores) gave 14: 5 is far from both
    assert int(done.stdout.split()[-1]) >= 5


def test_under_threading_in_os_thread_is_the_function_itself(app):
    assert in_os_thread(len) is len


OUTCOME_UNDER_EVENTLET = """
import eventlet
eventlet.monkey_patch()
import time
from soporte import create_app
from soporte.background import GreenOutcome, outcome_event
create_app({"TESTING": True, "SECRET_KEY": "k" * 40, "JWT_SECRET": "j" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://", "ASYNC_MODE": "eventlet"})
event = outcome_event()
assert isinstance(event, GreenOutcome)
woken = []
waiters = [eventlet.spawn(lambda: woken.append(event.wait(5))) for _ in range(3)]
eventlet.sleep(0.05)
assert woken == [] and not event.is_set()
event.set()
event.set()  # a second set changes nothing
for w in waiters:
    w.wait()
late = outcome_event()
print(woken, event.wait(0), event.wait(), late.wait(0.05))

# timed and untimed waiters on one outcome: the timed ones end at the first one's timeout
mixed, results = outcome_event(), []
def wait(name, timeout):
    results.append((name, mixed.wait(timeout), round(time.monotonic() - start, 1)))
start = time.monotonic()
first = eventlet.spawn(wait, "first", 0.3)
eventlet.sleep(0.1)
later = eventlet.spawn(wait, "later", 5)  # shares the first's timer: ends with it
untimed = eventlet.spawn(wait, "untimed", None)
first.wait(); later.wait()
eventlet.sleep(0.1)
mixed.set()
untimed.wait()
again = eventlet.spawn(wait, "after", 0.2)  # set: at once
again.wait()
print(results)
"""


def test_the_outcome_event_under_eventlet_wakes_every_waiter_once_and_times_out():
    """What a journal group's senders wait on: True for each once it is set, False when the timeout passes first
    (the first timed waiter's, for every timed waiter; an untimed one waits for the set)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", OUTCOME_UNDER_EVENTLET], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert lines[-3] == "[True, True, True] True True False"
    assert lines[-2] == str([("first", False, 0.3), ("later", False, 0.3), ("untimed", True, 0.4),
                             ("after", True, 0.4)])
