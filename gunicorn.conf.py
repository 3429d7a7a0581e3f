"""gunicorn settings, read from the working directory by `gunicorn -k eventlet -w 1 wsgi:app`."""

# SIGTERM: stop, give open requests a moment, then the hook below flushes the writer
graceful_timeout = 5


def worker_exit(server, worker):
    """Journal and store what the worker still holds before it exits."""
    app = getattr(worker, "wsgi", None)
    chat = getattr(app, "extensions", {}).get("soporte")
    if chat is not None:
        stored = chat.writer.close(timeout=3)
        server.log.info("soporte writer closed (%s)", "all stored" if stored else "rest stays in the spool")
