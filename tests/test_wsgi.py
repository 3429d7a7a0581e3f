"""The production entry point (wsgi.py, what gunicorn loads)."""
import os
import subprocess
import sys
from pathlib import Path

from conftest import TEST_SECRETS

ROOT = Path(__file__).resolve().parent.parent


def test_start_up_leaves_its_objects_out_of_the_collectors_sight(tmp_path):
    """After wsgi.py the collector's full collections skip what start-up made (gc.freeze): they held the loop 100+ ms under load."""
    env = {**os.environ, **{f"SOPORTE_{k}": v for k, v in TEST_SECRETS.items()},
           "SOPORTE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "SOPORTE_SPOOL_DIR": str(tmp_path / "spool"), "SOPORTE_STORER_PROCESS": "false"}
    done = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count(), gc.get_count()[2])"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    frozen, oldest = (int(n) for n in done.stdout.split()[-2:])
    assert frozen > 50_000 and oldest == 0


def test_with_gevent_asked_for_it_patches_gevent_and_serves_in_that_mode(tmp_path):
    """SOPORTE_ASYNC_MODE=gevent: wsgi.py monkey-patches gevent, not eventlet, and Socket.IO runs on gevent."""
    env = {**os.environ, **{f"SOPORTE_{k}": v for k, v in TEST_SECRETS.items()},
           "SOPORTE_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "SOPORTE_SPOOL_DIR": str(tmp_path / "spool"), "SOPORTE_STORER_PROCESS": "false",
           "SOPORTE_ASYNC_MODE": "gevent"}
    script = ("import sys, wsgi; from gevent import monkey; from soporte.extensions import socketio; "
              "print(monkey.is_module_patched('socket'), 'eventlet' in sys.modules, socketio.server.eio.async_mode)")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["True", "False", "gevent"]
