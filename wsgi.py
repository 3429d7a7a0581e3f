"""Production entry point: `gunicorn -k eventlet -w 1 wsgi:app`."""
import eventlet

eventlet.monkey_patch()  # before every other import, or sockets stay blocking

from soporte import create_app  # noqa: E402

app = create_app()
