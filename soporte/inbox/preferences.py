"""An agent's choice of how new messages are announced: a sound, a desktop notification."""
from flask import g, jsonify, request

from soporte.extensions import db
from soporte.inbox.api import bp
from soporte.inbox.params import BadParameter
from soporte.models import Usuario
from soporte.web.auth import admin_required

FIELDS = {"sonido": "avisos_sonido", "escritorio": "avisos_escritorio"}


def as_json(usuario):
    """The switches of an account, as the API shows them."""
    return {name: bool(getattr(usuario, column)) for name, column in FIELDS.items()}


def the_account():
    """The calling agent's stored account."""
    return db.session.execute(db.select(Usuario).filter_by(usuario=g.usuario["user"])).scalar_one()


@bp.route("/preferencias")
@admin_required
def preferencias():
    """The calling agent's notification switches: {"sonido": bool, "escritorio": bool}."""
    return jsonify(as_json(the_account()))


@bp.route("/preferencias", methods=["PUT"])
@admin_required
def guardar_preferencias():
    """Change some of the calling agent's notification switches; answer all of them."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not data:
        raise BadParameter("Se esperaba un objeto JSON con sonido y/o escritorio")
    for name, value in data.items():
        if name not in FIELDS:
            raise BadParameter(f"Preferencia desconocida: {name}")
        if not isinstance(value, bool):
            raise BadParameter(f"{name} debe ser true o false")
    usuario = the_account()
    for name, value in data.items():
        setattr(usuario, FIELDS[name], value)
    db.session.commit()
    return jsonify(as_json(usuario))
