"""Customers the website widget creates: no password, a generated username, what the visitor gave.

Two kinds (soporte/accounts/guests.py, identity.py): a guest (usuarios.invitado) and a
website's verified user (usuarios.externo_id). Their usernames start with a prefix that
no one may register (accounts/names.py), so a generated name never meets a real one.
"""
import secrets

from flask import current_app
from flask_babel import get_locale, gettext as _
from sqlalchemy.exc import IntegrityError

from soporte.accounts.directory import get_directory
from soporte.accounts.lookup import customer_display_name_error
from soporte.extensions import db
from soporte.mail.addresses import address_error, normalized
from soporte.models import Usuario

NO_PASSWORD = "!"  # no scrypt hash: check_password is False for every password
MAX_NAME = 128  # usuarios.nombre
NAME_TRIES = 5  # generated usernames tried before giving up (32 random bits each)


class BadCustomerData(ValueError):
    """A name or address the widget sent that cannot be stored; its message is for the visitor."""


def clean_details(data):
    """The visitor's (nombre, email) from a JSON body, checked and normalized; None for what is missing.

    Raises BadCustomerData for a name too long or reading as support, or a bad address.
    """
    nombre, email = data.get("nombre"), data.get("email")
    if not isinstance(nombre, (str, type(None))) or not isinstance(email, (str, type(None))):
        raise BadCustomerData(_("El nombre y el correo deben ser texto"))
    nombre = " ".join((nombre or "").split()) or None  # no line breaks or runs of spaces in a name
    if nombre and len(nombre) > MAX_NAME:
        raise BadCustomerData(_("El nombre es demasiado largo"))
    if nombre and customer_display_name_error(nombre):
        raise BadCustomerData(customer_display_name_error(nombre))
    email = normalized(email)
    if address_error(email):
        raise BadCustomerData(_("La dirección de correo no es válida"))
    return nombre, email


def create_customer(prefix, nombre, email, **columns):
    """Store a new widget customer under a fresh username with this prefix; returns it.

    The display name defaults to "Visitante" and the username's first characters, which
    tells two visitors apart in the inbox. Another generated name is tried on a collision.
    """
    visitor = _("Visitante")
    for _try in range(NAME_TRIES):
        suffix = secrets.token_hex(4)
        usuario = Usuario(usuario=prefix + suffix, nombre=nombre or f"{visitor} {suffix[:4]}", rol="user",
                          password_hash=NO_PASSWORD, email=email,
                          idioma=str(get_locale()) if email else None,  # emails are written in it
                          **columns)
        db.session.add(usuario)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if columns.get("externo_id"):
                raise  # the caller looks the other device's customer up
            current_app.logger.warning("widget: generated username %s taken, trying another", usuario.usuario)
            continue
        get_directory().forget(usuario.usuario)  # agents may write to them at once
        return usuario
    raise RuntimeError("no free generated username")
