"""Command-line tasks: the schema; the account commands are in account_commands."""
import click
from flask.cli import with_appcontext
from flask_migrate import upgrade

from soporte.accounts.commands import create_user_command, reset_password_command
from soporte.extensions import db


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Bring the schema up to date (safe to run again; the same as `flask db upgrade`)."""
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


def register(app):
    """Add the commands to `flask --app soporte`."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_password_command)
