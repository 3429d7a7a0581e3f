"""Guests: a visitor of a website who chats at once, without registering (POST /api/widget/invitado)."""
from flask import current_app
from flask_babel import gettext as _

from soporte.accounts.names import GUEST_PREFIX
from soporte.accounts.widget_customers import BadCustomerData, clean_details, create_customer


def missing(field):
    """What the visitor reads when a required pre-chat field is empty."""
    return _("Escribe tu nombre") if field == "nombre" else _("Escribe tu dirección de correo")


def create_guest(data):
    """A new guest customer from the pre-chat form's answers (a JSON object); BadCustomerData if they fall short.

    The fields PRECHAT_FIELDS marks required must be there; the others are optional.
    """
    nombre, email = clean_details(data)
    given = {"nombre": nombre, "email": email}
    for field, required in current_app.config["PRECHAT_FIELDS"]:
        if required and not given[field]:
            raise BadCustomerData(missing(field))
    return create_customer(GUEST_PREFIX, nombre, email, invitado=True, sitio=allowed_site(data.get("sitio")))


def allowed_site(origin):
    """The website the widget says it is on, if WIDGET_ORIGINS allows it; else None.

    Only an allowed one: the guest's emails link to it, and soporte must not mail anyone a
    link a visitor chose. None (the widget opened outside a frame, an unknown site) is no error.
    """
    return origin if isinstance(origin, str) and origin in current_app.config["WIDGET_ORIGINS"] else None
