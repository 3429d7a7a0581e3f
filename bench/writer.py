"""Storage capacity alone: the writer (spool journal, then batched inserts) fed at a fixed rate, no sockets.

    python bench/writer.py RATE SECONDS DATABASE_URL SPOOL_DIR

Prints one JSON object. Run by bench/run.py (--scenario writer) in its own eventlet
process, as the server runs the writer.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (the writer runs as in production)

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from soporte import create_app  # noqa: E402

SECRET = "bench-" + "x" * 40


def main(rate, seconds, url, spool):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "JWT_SECRET": SECRET,
                      "SPOOL_DIR": spool})
    chat = app.extensions["soporte"]
    writer = chat.writer
    writer.start()
    eventlet.sleep(1)  # the storer's first (empty) replay
    stored_before = writer.stored
    started = time.monotonic()
    submitted = 0
    while (elapsed := time.monotonic() - started) < seconds:
        while submitted < int(rate * elapsed):
            message_id, fecha = chat.ids.next()
            customer = f"u{submitted % 200:05d}"
            writer.submit({"id": message_id, "de_usuario": customer, "para_usuario": "admin",
                           "conversacion": customer, "mensaje": f"mensaje {submitted}", "fecha": fecha,
                           "cid": f"w{message_id}"})
            submitted += 1
        eventlet.sleep(0.005)
    window = time.monotonic() - started
    stored_in_window = writer.stored - stored_before
    backlog = writer.backlog
    drained = writer.flush(timeout=120)
    total = time.monotonic() - started
    print(json.dumps({
        "offered_per_s": rate, "submitted": submitted,
        "stored_per_s_in_window": round(stored_in_window / window),
        "backlog_at_end_of_window": backlog,
        "stored_total": writer.stored - stored_before, "drained": drained,
        "stored_per_s_overall": round((writer.stored - stored_before) / total),
    }))
    writer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4])
