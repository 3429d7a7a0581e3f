"""Command-line tasks: create the schema, seed demo accounts; the account commands are in account_commands."""
import secrets

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect

from .account_commands import create_user_command, reset_password_command
from .extensions import db
from .models import Usuario

DEMO_ACCOUNTS = (("admin", "Soporte", "admin"), ("cliente", "Cliente de prueba", "user"))


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Bring the schema up to date (safe to run again; the same as `flask db upgrade`)."""
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


def bootstrap_development_database(app):
    """In development, give an empty database its schema and two demo accounts.

    Prints the generated passwords once: the accounts are created only when the
    database has no tables yet, so a restart never resets them.
    """
    with app.app_context():
        if inspect(db.engine).has_table(Usuario.__tablename__):
            return
        upgrade()
        lines = []
        for username, nombre, rol in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            usuario = Usuario(usuario=username, nombre=nombre, rol=rol)
            usuario.set_password(password)
            db.session.add(usuario)
            lines.append(f"   {rol:5}  user: {username:8}  password: {password}")
        db.session.commit()
        click.secho(" * soporte: new database, demo accounts (shown only this once):",
                    fg="yellow")
        click.echo("\n".join(lines))


def register(app):
    """Add the commands to `flask --app soporte`."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_password_command)
