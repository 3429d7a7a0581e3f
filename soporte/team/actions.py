"""The changes a supervisor makes to the team: each checked, written to the audit log, and put into effect.

Every function commits its change with its audit entry in one transaction, then ends
the logins it must (sockets closed on every process). A refused change raises
TeamError with the text to show.
"""
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from soporte.accounts import links
from soporte.accounts.directory import get_directory
from soporte.accounts.lookup import find_account, reserved_for_support, username_taken
from soporte.accounts.names import username_format_error
from soporte.audit import audit, role_code
from soporte.extensions import db
from soporte.inbox.assignment import release_agent
from soporte.models import Usuario
from soporte.realtime.sessions import get_sessions

MAX_NAME = 128
DEACTIVATED = "desactivada"  # sesion_terminada's motivo for a deactivated agent
RESET = "logout"  # and for one whose password a supervisor reset: log in again


class TeamError(ValueError):
    """A change the team page refuses; its message is what the supervisor reads."""


def random_password():
    """A password nobody knows: an invited or reset account cannot log in until its link is used."""
    return secrets.token_urlsafe(32)


def agent(username):
    """The agent account a form names, or TeamError."""
    usuario = find_account(username) if username else None
    if usuario is None or usuario.rol != "admin":
        raise TeamError(_("No hay ningún agente «%(name)s»", name=username))
    return usuario


def check_new_agent(username, nombre):
    """Refuse a username or display name an invited agent cannot have."""
    error = username_format_error(username)
    if error:
        raise TeamError(error)
    if username_taken(username) or reserved_for_support(username):
        raise TeamError(_("Ese nombre de usuario ya existe"))
    if not nombre.strip() or len(nombre) > MAX_NAME:
        raise TeamError(_("El nombre visible debe tener de 1 a %(n)s caracteres", n=MAX_NAME))


def invite(actor, username, nombre, supervisor=False):
    """Create an agent account that logs in only once its link is used; the link's token."""
    nombre = nombre.strip()
    check_new_agent(username, nombre)
    usuario = Usuario(usuario=username, nombre=nombre, rol="admin", supervisor=supervisor, activo=True)
    usuario.set_password(random_password())
    db.session.add(usuario)
    token = links.new_link(username, links.INVITE, actor)
    audit(actor, "invitar", username, nombre=nombre, rol=role_code(supervisor))
    try:
        db.session.commit()
    except IntegrityError:  # someone took the name meanwhile
        db.session.rollback()
        raise TeamError(_("Ese nombre de usuario ya existe"))
    get_directory().forget(username)  # a cached "no such account" goes
    return token


def active_supervisors(locked=False):
    """How many active supervisors there are (locked: their rows, until the transaction ends)."""
    query = select(Usuario.id).where(Usuario.rol == "admin", Usuario.supervisor.is_(True), Usuario.activo.is_(True))
    if locked:
        return len(db.session.execute(query.with_for_update()).all())
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def keep_a_supervisor(usuario):
    """Refuse a change that would take away the last active supervisor (checked under a lock)."""
    if usuario.supervisor and usuario.activo and active_supervisors(locked=True) <= 1:
        db.session.rollback()
        raise TeamError(_("%(name)s es el último supervisor activo: nombra antes a otro", name=usuario.nombre))


def set_role(actor, username, supervisor):
    """Make an agent a supervisor, or a supervisor an agent again."""
    usuario = agent(username)
    if usuario.supervisor == supervisor:
        return False
    if not supervisor:
        keep_a_supervisor(usuario)
    audit(actor, "rol", usuario.usuario, de=role_code(usuario.supervisor), a=role_code(supervisor))
    usuario.supervisor = supervisor
    db.session.commit()
    return True


def deactivate(actor, username):
    """Deactivate an agent: no login, every token and link ended, every socket closed at once."""
    usuario = agent(username)
    if not usuario.activo:
        return False
    keep_a_supervisor(usuario)
    usuario.activo = False
    usuario.generacion += 1  # reactivated later, the old tokens still do not come back
    links.retire_links(usuario.usuario)
    audit(actor, "desactivar", usuario.usuario)
    db.session.commit()
    get_sessions().end_account(usuario.usuario, DEACTIVATED)
    release_agent(usuario.usuario, motivo="deactivated")  # their open conversations, back to the pool at once
    return True


def reactivate(actor, username):
    """Let a deactivated agent log in again (with their password; their old logins stay ended)."""
    usuario = agent(username)
    if usuario.activo:
        return False
    usuario.activo = True
    audit(actor, "reactivar", usuario.usuario)
    db.session.commit()
    get_sessions().end_account(usuario.usuario)  # no login to end: every process forgets "no role"
    return True


def reset_password(actor, username):
    """Give an agent a new link to set a password: the old password and every login end now; the token."""
    usuario = agent(username)
    if not usuario.activo:
        raise TeamError(_("%(name)s está desactivado: reactívalo antes", name=usuario.nombre))
    usuario.set_password(random_password())
    usuario.generacion += 1
    token = links.new_link(usuario.usuario, links.RESET, actor)
    audit(actor, "restablecer_contrasena", usuario.usuario)
    db.session.commit()
    get_sessions().end_account(usuario.usuario, RESET)
    return token


def set_password_with_link(link, password):
    """Use a one-time link: the account gets this password (checked by the caller), the link is spent."""
    usuario = db.session.execute(select(Usuario).filter_by(usuario=link.usuario)).scalar_one_or_none()
    if usuario is None or usuario.rol != "admin" or not usuario.activo:
        raise TeamError(_("Esta cuenta ya no puede usar el enlace; habla con un supervisor"))
    if not links.use_link(link):
        db.session.rollback()
        raise TeamError(_("Este enlace ya se ha usado"))
    usuario.set_password(password)
    audit(usuario.usuario, "invitacion_usada" if link.tipo == links.INVITE else "contrasena_cambiada",
          usuario.usuario)
    db.session.commit()
    get_directory().forget(usuario.usuario)
    return usuario
