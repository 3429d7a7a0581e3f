"""A message's edits and deletion as its author made them: the agents' audit, and the customer's data.

Rows of `ediciones_mensaje` (soporte/inbox/edits.py writes them) hold the text each change
replaced, a deleted message's text among them: agents read them (GET
/api/mensajes/<id>/ediciones); no customer route does.
"""
import json

from flask import jsonify
from sqlalchemy import delete, select

from soporte.accounts.display_names import display_names
from soporte.extensions import db
from soporte.inbox.api import bp
from soporte.models import EdicionMensaje, iso_utc
from soporte.web.auth import admin_required


@bp.route("/mensajes/<int:mensaje_id>/ediciones")
@admin_required
def ediciones(mensaje_id):
    """A message's changes, oldest first: each one's action, the text it replaced, who and when (agents only)."""
    rows = db.session.scalars(select(EdicionMensaje).where(EdicionMensaje.mensaje_id == mensaje_id)
                              .order_by(EdicionMensaje.id)).all()
    names = display_names(row.por for row in rows)
    return jsonify([{**change_json(row), "nombre": names[row.por]} for row in rows])


def change_json(row):
    """One change as the API and the export give it."""
    return {"mensaje_id": row.mensaje_id, "accion": row.accion, "texto_anterior": row.texto_anterior,
            "por": row.por, "cuando": iso_utc(row.cuando)}


def export_customer(customer):
    """The customer's own changes to their messages, as one JSON file (a privacy holder's export).

    Only the customer's own: the texts agents replaced or deleted were never the customer's to keep.
    """
    rows = db.session.scalars(select(EdicionMensaje).where(EdicionMensaje.conversacion == customer.usuario,
                                                           EdicionMensaje.por == customer.usuario)
                              .order_by(EdicionMensaje.id)).all()
    body = json.dumps([change_json(row) for row in rows], ensure_ascii=False, indent=1)
    return [("ediciones_mensaje.json", body.encode("utf-8"))]


def erase_customer(customer):
    """Delete every change in the customer's conversation, in the caller's transaction (a privacy holder's erase)."""
    db.session.execute(delete(EdicionMensaje).where(EdicionMensaje.conversacion == customer.usuario))
    return []
