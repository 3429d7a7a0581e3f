"""Verified identity: a website's logged-in user, proved by the HMAC of their id (POST /api/widget/identidad).

The website computes HMAC-SHA256(IDENTITY_SECRET, id) on its server and gives it to the
widget with the id; whoever does not know the secret cannot make one, so the id is theirs.
The same id is the same customer on every device and browser (usuarios.externo_id).
"""
import hashlib
import hmac
import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from soporte.accounts.directory import get_directory
from soporte.accounts.names import VERIFIED_PREFIX
from soporte.accounts.widget_customers import clean_details, create_customer
from soporte.extensions import db
from soporte.models import Usuario

# a website's user id: what ids and e-mail-like ids are made of, up to usuarios.externo_id's length
EXTERNAL_ID = re.compile(r"[A-Za-z0-9._@:+=|-]{1,128}")
HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def valid_external_id(value):
    """Whether a website's user id has the allowed length and characters."""
    return isinstance(value, str) and EXTERNAL_ID.fullmatch(value) is not None


def signature(external_id, secret=None):
    """The hex HMAC-SHA256 of an id with the identity secret: what the website sends as `hash`."""
    secret = secret or current_app.config["IDENTITY_SECRET"]
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def proved(external_id, digest):
    """Whether `digest` is the id's HMAC (in constant time); False when identity is off."""
    if not current_app.config["IDENTITY_SECRET"] or not isinstance(digest, str) or not HEX_DIGEST.fullmatch(digest):
        return False
    return hmac.compare_digest(signature(external_id), digest.lower())


def verified_customer(external_id, data):
    """The customer bound to a proved id, created the first time; a name or address given updates it.

    Raises BadCustomerData for a bad name or address. Two devices calling at once for a new
    id make one customer: the second insert meets the unique externo_id and reads the first.
    """
    nombre, email = clean_details(data)
    usuario = db.session.execute(select(Usuario).filter_by(externo_id=external_id)).scalar_one_or_none()
    if usuario is None:
        try:
            return create_customer(VERIFIED_PREFIX, nombre, email, externo_id=external_id)
        except IntegrityError:  # another device's call created it meanwhile (or, rarely, the name was taken)
            usuario = db.session.execute(select(Usuario).filter_by(externo_id=external_id)).scalar_one_or_none()
            if usuario is None:
                return create_customer(VERIFIED_PREFIX, nombre, email, externo_id=external_id)
    changed = {k: v for k, v in (("nombre", nombre), ("email", email)) if v and getattr(usuario, k) != v}
    if changed:
        for column, value in changed.items():
            setattr(usuario, column, value)
        db.session.commit()
        get_directory().forget(usuario.usuario)
    return usuario
