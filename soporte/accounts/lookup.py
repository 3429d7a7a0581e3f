"""Accounts in the database: finding one by the name a person types, and who may take which name."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from soporte.accounts.names import (SUPPORT_WORDS, canonical_username, display_key, generated_username,
                                    username_format_error)
from soporte.extensions import db
from soporte.models import Usuario


def find_account(name):
    """The account a typed name means: its exact username first, else the one it canonicalises to.

    Exact first: an account that an upgrade left without its canonical form (a
    look-alike older than the rule, see migration 0004) still logs in by its own name.
    """
    exact = db.session.execute(select(Usuario).filter_by(usuario=name)).scalar_one_or_none()
    if exact is not None:
        return exact
    canonical = canonical_username(name)
    if not canonical:
        return None
    return db.session.execute(select(Usuario).filter_by(usuario_canonico=canonical)).scalar_one_or_none()


def username_taken(username):
    """Whether an account already has this username, or one that canonicalises the same."""
    canonical = canonical_username(username)
    found = db.session.execute(select(Usuario.id).where(
        or_(Usuario.usuario == username, Usuario.usuario_canonico == canonical))).first()
    return found is not None


def reserved_for_support(username):
    """Whether a username is the inbox's or the team's ("soporte", "support"), in any case."""
    canonical = canonical_username(username)
    return canonical in {canonical_username(current_app.config["SUPPORT_INBOX"]), *SUPPORT_WORDS}


def customer_username_error(username):
    """Why a customer account cannot have this username, or None."""
    error = username_format_error(username)
    if error:
        return error
    if canonical_username(username) == canonical_username(current_app.config["SUPPORT_INBOX"]):
        return _("Ese nombre de usuario ya existe")  # as if an account had it, whether or not one does
    if reserved_for_support(username):
        return _("Ese nombre está reservado para el equipo de soporte")
    if generated_username(username):  # the widget's visitors are named so (accounts/widget_customers.py)
        return _("Ese nombre de usuario está reservado")
    return _("Ese nombre de usuario ya existe") if username_taken(username) else None


def support_display_keys():
    """What the team's names read as: the inbox, "soporte"/"support", and every agent's username and name."""
    keys = {display_key(current_app.config["SUPPORT_INBOX"]), *SUPPORT_WORDS}
    for usuario, nombre in db.session.execute(select(Usuario.usuario, Usuario.nombre).filter_by(rol="admin")):
        keys.update((display_key(usuario), display_key(nombre)))
    keys.discard("")
    return keys


def customer_display_name_error(nombre):
    """Why a customer may not show this display name (it reads as support or an agent), or None."""
    if display_key(nombre) in support_display_keys():
        return _("Ese nombre se parece al del equipo de soporte; elige otro")
    return None
