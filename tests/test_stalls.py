"""Event-loop stalls under eventlet: the watcher logs the stack of the code holding the loop, and nothing else.

Each case runs in a fresh interpreter, since eventlet's monkey-patching cannot be undone.
"""
import subprocess
import sys
import textwrap

from conftest import TEST_SECRETS

SCRIPT = textwrap.dedent("""
    import eventlet
    eventlet.monkey_patch()
    import logging
    import sys
    from eventlet import patcher
    from soporte import create_app
    from soporte.ops.stalls import StallWatch

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    create_app({"TESTING": True, "ASYNC_MODE": "eventlet", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SECRET_KEY": %(secret)r, "JWT_SECRET": %(jwt)r})
    real_sleep = patcher.original("time").sleep
    watch = StallWatch(20, patcher.original("threading"), real_sleep)
    watch.start()
    eventlet.sleep(0.1)

    def hold_the_loop():
        real_sleep(%(hold)s)  # computing or a blocking call: no greenthread runs meanwhile

    hold_the_loop()
    for _ in range(20):
        eventlet.sleep(0.01)  # a loop that yields, as it should
    print(watch.stalls, round(watch.longest_ms))
""")


def run(hold):
    """Run the script holding the loop `hold` seconds once; (stalls, longest ms, stderr)."""
    code = SCRIPT % {"secret": TEST_SECRETS["SECRET_KEY"], "jwt": TEST_SECRETS["JWT_SECRET"], "hold": hold}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    stalls, longest = map(int, done.stdout.split())
    return stalls, longest, done.stderr


def test_a_stall_is_logged_once_with_the_stack_that_held_the_loop():
    """200 ms of blocking: one stall, about that long, its stack naming the function that blocked."""
    stalls, longest, log = run(0.2)
    assert stalls == 1
    assert 150 <= longest <= 400
    assert "event loop held for" in log and "in hold_the_loop" in log
    assert log.count("event loop stall ended") == 1


def test_a_loop_that_yields_logs_nothing():
    """Short work between yields (5 ms, under the 20 ms threshold) is no stall."""
    stalls, _, log = run(0.005)
    assert stalls == 0
    assert "event loop" not in log
