"""Development's demo accounts: made on an empty database, their passwords shown once, framed, last."""
import atexit
import logging
import secrets
import sys

import click
from flask_migrate import upgrade
from sqlalchemy import inspect

from soporte.extensions import db
from soporte.models import Usuario

DEMO_ACCOUNTS = (("admin", "Soporte", "admin"), ("cliente", "Cliente de prueba", "user"))
# Werkzeug's last start-up line in the process that binds the port (the reloader's parent too)
SERVER_BANNER_END = "Press CTRL+C to quit"


def bootstrap_development_database(app):
    """In development, give an empty database its schema and two demo accounts.

    Shows the generated passwords once: the accounts are created only when the
    database has no tables yet, so a restart never resets them.
    """
    with app.app_context():
        if inspect(db.engine).has_table(Usuario.__tablename__):
            return
        upgrade()
        accounts = []
        for username, nombre, rol in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            # the demo agent supervises (as the first agent the CLI creates): every page is there to try
            usuario = Usuario(usuario=username, nombre=nombre, rol=rol, supervisor=rol == "admin")
            usuario.set_password(password)
            db.session.add(usuario)
            accounts.append((rol, username, password))
        db.session.commit()
    show_last(password_box(accounts))


def password_box(accounts):
    """The (rol, username, password) rows in a frame of ═, every line the same width."""
    title = " soporte: new database, demo accounts (shown only this once) "
    rows = [f"{rol:5}  user: {username:8}  password: {password}" for rol, username, password in accounts]
    width = max(len(title), *(len(row) for row in rows)) + 4
    return "\n".join(["╔" + title.center(width, "═") + "╗",
                      *("║  " + row.ljust(width - 2) + "║" for row in rows),
                      "╚" + "═" * width + "╝"])


def show_last(text):
    """Print text at once, or under the development server right after its banner.

    First-run output is pip's hundred lines, the migrations' and then the server's
    own banner: printed when the accounts are made, the passwords scroll away.
    """
    if not under_development_server():
        click.secho(text, fg="yellow")
        return
    shown = []

    def show():
        if not shown:
            shown.append(True)
            click.secho(text, fg="yellow")

    logging.getLogger("werkzeug").addFilter(_AfterBannerEnd(show))
    atexit.register(show)  # the server never started (a busy port): the passwords are not lost


class _AfterBannerEnd(logging.Filter):
    """On Werkzeug's last start-up line, add a handler behind every other that calls `show`.

    A filter, not a handler added now: Werkzeug adds its console handler only to a
    logger that has none, and only a handler reached last prints after its line.
    """

    def __init__(self, show):
        super().__init__()
        self.show = show

    def filter(self, record):
        if SERVER_BANNER_END in record.getMessage():
            logging.getLogger("werkzeug").removeFilter(self)
            # the root's handlers are the last that a record reaches (Werkzeug's own, or the
            # console handler of alembic.ini that the migrations set up, come before)
            logging.getLogger().addHandler(_CallOnce(self.show))
        return True


class _CallOnce(logging.Handler):
    """A handler that calls a function on the first record it gets, then leaves the root logger."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def emit(self, record):
        logging.getLogger().removeHandler(self)
        self.function()


def under_development_server():
    """Whether this process is `flask run` or `python -m soporte`, whose Werkzeug prints a banner."""
    command = click.get_current_context(silent=True)
    if command is not None and command.info_name == "run":
        return True
    main = sys.modules.get("__main__")
    return getattr(getattr(main, "__spec__", None), "name", None) == "soporte.__main__"
