"""Command-line tasks: create the schema, create accounts, seed demo accounts."""
import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect

from .account_names import USERNAME
from .extensions import db
from .models import Usuario

DEMO_ACCOUNTS = (("admin", "Soporte", "admin"), ("cliente", "Cliente de prueba", "user"))


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Bring the schema up to date (safe to run again; the same as `flask db upgrade`)."""
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--admin", is_flag=True, help="Create a support agent instead of a customer.")
@click.option("--name", "nombre", help="Display name (default: the username).")
@click.option("--password", help="Password (asked for when not given).")
def create_user_command(username, admin, nombre, password):
    """Create an account, or reset the password and role of an existing one."""
    if not USERNAME.match(username):
        raise click.BadParameter("3 to 64 letters, digits, '.', '_' or '-'", param_hint="USERNAME")
    if not admin and username == current_app.config["SUPPORT_INBOX"]:
        raise click.BadParameter("the support inbox's name is for agents (use --admin)",
                                 param_hint="USERNAME")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    upgrade()
    usuario = db.session.execute(db.select(Usuario).filter_by(usuario=username)).scalar_one_or_none()
    created = usuario is None
    if created:
        usuario = Usuario(usuario=username)
        db.session.add(usuario)
    usuario.nombre = nombre or usuario.nombre or username
    usuario.rol = "admin" if admin else "user"
    usuario.set_password(password)
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} {usuario.rol} {username}")


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
