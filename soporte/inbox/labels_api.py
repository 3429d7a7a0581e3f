"""Labels over REST, for agents: the catalogue, and labels on a customer's conversation.

Every write needs the page's CSRF token (X-CSRFToken), is rate-limited per agent
(INBOX_WRITE_RATE_LIMIT), and is announced to every agent: `etiquetas` for the catalogue,
`etiquetas_conversacion` for one conversation's labels.
"""
from flask import g, jsonify, request

from soporte.inbox import labels
from soporte.inbox.api import bp
from soporte.inbox.labels import LabelError
from soporte.inbox.limits import agent_writes
from soporte.realtime import emitter
from soporte.web.auth import admin_required
from soporte.web.errors import error_response

NOT_A_CUSTOMER = "No existe el cliente {}"
BAD_BODY = "Se esperaba un objeto JSON con nombre y/o color"


@bp.errorhandler(LabelError)
def label_refused(error):
    """A label request the rules refuse: its status and text."""
    return error_response(error.status, str(error))


def json_body(allowed):
    """The request's JSON object, with only allowed fields; LabelError otherwise."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not data or set(data) - set(allowed):
        raise LabelError(BAD_BODY)
    return data


def announce_catalogue():
    """Every agent's page gets the catalogue as it is now."""
    emitter.announce_labels(labels.catalogue())


@bp.route("/etiquetas")
@admin_required
def etiquetas():
    """The label catalogue and the palette the page offers."""
    return jsonify({"etiquetas": labels.catalogue(), "paleta": list(labels.PALETTE)})


@bp.route("/etiquetas", methods=["POST"])
@admin_required
@agent_writes("etiquetas")
def crear_etiqueta():
    """Create a label {nombre, color}: 201 with it; 400 a bad field, 409 a name taken (case aside)."""
    data = json_body(("nombre", "color"))
    label = labels.create_label(data.get("nombre"), data.get("color"), g.usuario["user"])
    announce_catalogue()
    return jsonify(labels.label_json(label)), 201


@bp.route("/etiquetas/<int:etiqueta_id>", methods=["PATCH"])
@admin_required
@agent_writes("etiquetas")
def cambiar_etiqueta(etiqueta_id):
    """Rename and/or recolour a label {nombre?, color?}: 200 with it; 404 an unknown label."""
    data = json_body(("nombre", "color"))
    label = labels.change_label(etiqueta_id, data.get("nombre"), data.get("color"))
    announce_catalogue()
    return jsonify(labels.label_json(label))


@bp.route("/etiquetas/<int:etiqueta_id>", methods=["DELETE"])
@admin_required
@agent_writes("etiquetas")
def borrar_etiqueta(etiqueta_id):
    """Delete a label: it leaves every conversation that had it (named in the answer)."""
    customers = labels.delete_label(etiqueta_id)
    announce_catalogue()  # pages drop the ids the catalogue no longer has
    return jsonify({"id": etiqueta_id, "conversaciones": customers})


def change_on_conversation(usuario, etiqueta_id, change):
    """Put a label on a customer's conversation or take it off, and tell every agent."""
    if not labels.is_customer(usuario):
        return error_response(404, NOT_A_CUSTOMER.format(usuario))
    ids = change(usuario, etiqueta_id)
    emitter.announce_conversation_labels(usuario, ids)
    return jsonify({"usuario": usuario, "etiquetas": ids})


@bp.route("/conversaciones/<usuario>/etiquetas")
@admin_required
def etiquetas_de_conversacion(usuario):
    """The label ids on a customer's conversation."""
    if not labels.is_customer(usuario):
        return error_response(404, NOT_A_CUSTOMER.format(usuario))
    return jsonify({"usuario": usuario, "etiquetas": labels.labels_of([usuario])[usuario]})


@bp.route("/conversaciones/<usuario>/etiquetas/<int:etiqueta_id>", methods=["PUT"])
@admin_required
@agent_writes("etiquetas")
def poner_etiqueta(usuario, etiqueta_id):
    """Put a label on a customer's conversation (idempotent): its label ids now."""
    return change_on_conversation(usuario, etiqueta_id, labels.put_label)


@bp.route("/conversaciones/<usuario>/etiquetas/<int:etiqueta_id>", methods=["DELETE"])
@admin_required
@agent_writes("etiquetas")
def quitar_etiqueta(usuario, etiqueta_id):
    """Take a label off a customer's conversation (idempotent): its label ids now."""
    return change_on_conversation(usuario, etiqueta_id, labels.remove_label)
