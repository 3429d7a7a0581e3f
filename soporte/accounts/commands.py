"""The operator's account commands: create-user and reset-password, with the rules of /registro."""
import functools
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_migrate import upgrade
from sqlalchemy import select

from soporte.accounts.directory import get_directory
from soporte.accounts.lookup import customer_display_name_error, find_account, reserved_for_support
from soporte.accounts.names import canonical_username, password_error, username_format_error
from soporte.audit import audit, role_code
from soporte.extensions import db
from soporte.models import Usuario


def operator_language():
    """The operator's language, from the locale: Spanish for es_*, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "es" if value.startswith("es") else "en"
    return "en"


def in_operator_language(command):
    """Run a command with its texts (the same as the pages') in the operator's language."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        with force_locale(operator_language()):
            return command(*args, **kwargs)

    return wrapped


def checked_password(password):
    """The password given or typed (twice, hidden), if /registro would accept it."""
    if password is None:
        password = click.prompt(_("Contraseña"), hide_input=True,
                                confirmation_prompt=_("Repite la contraseña"))
    error = password_error(password)
    if error:
        raise click.BadParameter(error, param_hint="--password")
    return password


def new_account_error(username, agent, nombre):
    """Why a new account cannot have this username and display name, or None (agents may take any)."""
    error = username_format_error(username)
    if error or agent:
        return error
    if canonical_username(username) == canonical_username(current_app.config["SUPPORT_INBOX"]):
        return _("El nombre del buzón de soporte es para agentes (usa --admin)")
    if reserved_for_support(username):
        return _("Ese nombre está reservado para el equipo de soporte")
    return customer_display_name_error(nombre)


@click.command("create-user")
@click.argument("username")
@click.option("--admin/--no-admin", "admin", default=None,
              help="A support agent, or a customer (the default for a new account). "
                   "With --update the role changes only when one of these is given.")
@click.option("--supervisor/--no-supervisor", "supervisor", default=None,
              help="An agent who also manages the team (the team page, the audit log). The first agent "
                   "created while no active supervisor exists becomes one unless --no-supervisor is given.")
@click.option("--name", "nombre", help="Display name (default: the username).")
@click.option("--password", help="Password, 8 characters or more (asked for when not given).")
@click.option("--update", is_flag=True, help="Change an existing account: only what is given.")
@with_appcontext
@in_operator_language
def create_user_command(username, admin, supervisor, nombre, password, update):
    """Create an account; with --update, change the password, name or role of an existing one."""
    upgrade()
    usuario = find_account(username)
    if update:
        if usuario is None:
            raise click.BadParameter(_("No hay ninguna cuenta «%(name)s»", name=username), param_hint="USERNAME")
        update_account(usuario, admin, nombre, password, supervisor)
        return
    if usuario is not None:
        raise click.BadParameter(
            _("«%(name)s» ya existe; --update cambia su contraseña, nombre o rol", name=usuario.usuario),
            param_hint="USERNAME")
    error = new_account_error(username, bool(admin), nombre or username)
    if error:
        raise click.BadParameter(error, param_hint="USERNAME" if nombre is None else "USERNAME / --name")
    if supervisor and not admin:
        raise click.BadParameter(_("Solo un agente puede ser supervisor (usa --admin)"), param_hint="--supervisor")
    if admin and supervisor is None:
        supervisor = not has_active_supervisor()  # the first agent manages the team
    usuario = Usuario(usuario=username, nombre=nombre or username, rol="admin" if admin else "user",
                      supervisor=bool(supervisor))
    usuario.set_password(checked_password(password))
    db.session.add(usuario)
    if admin:
        audit(None, "crear_cuenta", username, rol=role_code(usuario.supervisor))
    db.session.commit()
    click.echo(_("Cuenta creada: %(name)s (%(rol)s)", name=username, rol=usuario.rol))
    echo_supervisor(usuario)


def has_active_supervisor():
    """Whether an active agent already manages the team."""
    return db.session.scalar(select(Usuario.id).where(
        Usuario.rol == "admin", Usuario.supervisor.is_(True), Usuario.activo.is_(True)).limit(1)) is not None


def echo_supervisor(usuario):
    """Say whether an agent manages the team (nothing for a customer)."""
    if usuario.rol != "admin":
        return
    click.echo(_("%(name)s es supervisor: gestiona el equipo en /equipo", name=usuario.usuario) if usuario.supervisor
               else _("%(name)s no es supervisor", name=usuario.usuario))


def update_account(usuario, admin, nombre, password, supervisor=None):
    """Change only what the operator gave: never the role by leaving a flag out."""
    if admin is None and nombre is None and password is None and supervisor is None:
        raise click.UsageError(
            _("Nada que cambiar: da --password, --name, --admin, --no-admin, --supervisor o --no-supervisor"))
    rol = usuario.rol if admin is None else ("admin" if admin else "user")
    if supervisor and rol != "admin":
        raise click.BadParameter(_("Solo un agente puede ser supervisor (usa --admin)"), param_hint="--supervisor")
    if nombre is not None and rol == "user":
        error = customer_display_name_error(nombre)
        if error:
            raise click.BadParameter(error, param_hint="--name")
    if password is not None:
        usuario.set_password(checked_password(password))
    usuario.nombre = nombre if nombre is not None else usuario.nombre
    was = role_code(usuario.supervisor) if usuario.rol == "admin" else "cliente"
    usuario.rol = rol
    if rol != "admin":
        usuario.supervisor = False  # a customer manages nothing
    elif supervisor is not None:
        usuario.supervisor = supervisor
    now = role_code(usuario.supervisor) if rol == "admin" else "cliente"
    if now != was:
        audit(None, "rol", usuario.usuario, de=was, a=now)
    db.session.commit()
    get_directory().forget(usuario.usuario)
    click.echo(_("Cuenta actualizada: %(name)s (%(rol)s)", name=usuario.usuario, rol=usuario.rol))
    if supervisor is not None or was != now:
        echo_supervisor(usuario)


@click.command("reset-password")
@click.argument("username")
@click.option("--password", help="The new password, 8 characters or more (asked for when not given).")
@with_appcontext
@in_operator_language
def reset_password_command(username, password):
    """Give an account a new password (the name may be typed in any case)."""
    upgrade()
    usuario = find_account(username)
    if usuario is None:
        raise click.BadParameter(_("No hay ninguna cuenta «%(name)s»", name=username), param_hint="USERNAME")
    usuario.set_password(checked_password(password))
    db.session.commit()
    click.echo(_("Contraseña cambiada: %(name)s", name=usuario.usuario))
