"""The storer as an OS process of its own, so that storing uses another core and never holds the event loop.

The server process journals accepted messages to the spool and seals a segment every
WRITER_INTERVAL (soporte/relay/writer.py); with STORER_PROCESS it starts this program
beside it (StorerProcess, restarted if it dies). The program stores every sealed segment
as the in-process storer does (writer.store: batches, idempotent inserts, conversations
brought up to date), tells the server what it stored, then deletes the segment:

    stdout, a JSON line each: {"stored": [ids], "opened": [[customer, id, reopened], ...]}
                              {"failed": rows}      the database refused; retried with backoff
                              {"replayed": true}    what was in the spool at its start is stored
    stdin:  a line when the server sealed a segment (store now); end of file: the server is gone.

Telling before deleting: a crash in between replays the segment, which stores nothing twice.
"""
import json
import logging
import os
import subprocess
import sys
import threading
import time

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from soporte import config
from soporte.relay.spool import Spool
from soporte.relay.writer import IDLE_POLL, MAX_RETRY_DELAY, store

log = logging.getLogger(__name__)


def can_run_apart(uri):
    """Whether another process can reach this database (an in-memory SQLite one it cannot)."""
    return not (uri.startswith("sqlite") and (uri in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in uri))


class StorerProcess:
    """The server's side: start the program, wake it, hear what it stored, start it again if it ends."""

    def __init__(self, uri, spool_dir, batch_size, heard):
        self.command = [sys.executable, "-m", __name__, uri, spool_dir, str(batch_size)]
        self.heard = heard  # called with each message the program writes
        self.proc = None
        self.stopped = False

    def run(self):
        """Run the program until stop(), hearing its lines; a program that ends is started again."""
        while not self.stopped:
            # the server's environment and working folder: the same settings and relative paths
            self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for line in self.proc.stdout:
                self.heard(json.loads(line))
            code = self.proc.wait()
            if not self.stopped:
                log.error("storer process ended with code %s; starting another", code)
                time.sleep(1)  # green under eventlet

    def wake(self):
        """Tell the program a segment was sealed."""
        try:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
        except (AttributeError, OSError, ValueError):  # not started yet, or ending: it polls anyway
            pass

    def stop(self, timeout=1.0):
        """End the program: its stdin closes, it finishes the segment at hand and exits.

        Past `timeout` (a database that does not answer) it is killed: the segment stays in
        the spool for the next storer, and the worker must exit within gunicorn's graceful_timeout.
        """
        self.stopped = True
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def store_sealed(engine, spool, batch_size, tell):
    """Store every sealed segment nobody else holds, oldest first; False when the database failed."""
    for path in spool.sealed():
        taken = spool.take(path)
        if taken is None:
            continue
        segment, rows = taken
        opened = []
        try:
            with Session(engine) as session:
                for i in range(0, len(rows), batch_size):
                    opened += store(session, rows[i:i + batch_size])
                    session.commit()
        except Exception:  # any driver or pool error: keep the segment, try again later
            log.exception("storer: could not store %d messages", len(rows))
            spool.release(segment, path, stored=False)
            tell({"failed": len(rows)})
            return False
        tell({"stored": [row["id"] for row in rows], "opened": opened})
        spool.release(segment, path, stored=True)
    return True


def main(uri, spool_dir, batch_size):
    """Store sealed segments when woken (or every IDLE_POLL), until stdin ends."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = create_engine(uri, **config.engine_options(uri, {}))
    spool = Spool(spool_dir)
    wake, gone = threading.Event(), threading.Event()

    def tell(message):
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def listen():
        for _ in sys.stdin:
            wake.set()
        gone.set()
        wake.set()

    threading.Thread(target=listen, daemon=True).start()
    replayed, delay = False, 0.0
    while True:
        stopping = gone.is_set()
        if store_sealed(engine, spool, batch_size, tell):
            if not replayed:
                replayed = True
                tell({"replayed": True})
            if stopping:
                return
            delay = 0.0
            wake.wait(IDLE_POLL)
            wake.clear()
        elif stopping:
            return  # the server is gone: the next one replays what is left
        else:
            delay = min(MAX_RETRY_DELAY, delay * 2 or 0.25)
            gone.wait(delay)


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    except BrokenPipeError:  # the server went away while it was being told
        os._exit(0)
