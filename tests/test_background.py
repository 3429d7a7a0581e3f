"""The background-loop helper: rounds, waits, app context and errors that do not stop it."""
import logging

from flask import current_app

from soporte.background import run_every


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
