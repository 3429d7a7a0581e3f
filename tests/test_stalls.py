"""Event-loop stalls under eventlet and gevent: the watcher logs the stack of the code holding the loop, and nothing else.

Each case runs in a fresh interpreter, since monkey-patching cannot be undone.
"""
import subprocess
import sys
import textwrap

import pytest

from conftest import TEST_SECRETS

PATCH = {"eventlet": "import eventlet\neventlet.monkey_patch()",
         "gevent": "from gevent import monkey\nmonkey.patch_all()"}
SCRIPT = textwrap.dedent("""
    import logging
    import sys
    import time
    from soporte import create_app
    from soporte.extensions import socketio
    from soporte.ops import stalls

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    create_app({"TESTING": True, "ASYNC_MODE": %(mode)r, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SECRET_KEY": %(secret)r, "JWT_SECRET": %(jwt)r})
    watch = stalls.for_async_mode(20, %(mode)r)
    watch.start()
    socketio.sleep(0.1)

    def hold_the_loop():
        end = time.perf_counter() + %(hold)s
        while time.perf_counter() < end:  # computing: no greenthread runs meanwhile
            pass

    hold_the_loop()
    for _ in range(20):
        socketio.sleep(0.01)  # a loop that yields, as it should
    print(watch.stalls, round(watch.longest_ms))
""")


def run(hold, mode):
    """Run the script under `mode`, holding the loop `hold` seconds once; (stalls, longest ms, stderr)."""
    code = PATCH[mode] + SCRIPT % {"secret": TEST_SECRETS["SECRET_KEY"], "jwt": TEST_SECRETS["JWT_SECRET"],
                                   "hold": hold, "mode": mode}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    stalls, longest = map(int, done.stdout.split())
    return stalls, longest, done.stderr


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_a_stall_is_logged_once_with_the_stack_that_held_the_loop(mode):
    """200 ms of computing: one stall, about that long, its stack naming the function that held the loop."""
    stalls, longest, log = run(0.2, mode)
    assert stalls == 1
    assert 150 <= longest <= 400
    assert "event loop held for" in log and "in hold_the_loop" in log
    assert log.count("event loop stall ended") == 1


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_a_loop_that_yields_logs_nothing(mode):
    """Short work between yields (5 ms, under the 20 ms threshold) is no stall."""
    stalls, _, log = run(0.005, mode)
    assert stalls == 0
    assert "event loop" not in log
