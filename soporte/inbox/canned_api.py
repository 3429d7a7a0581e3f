"""/api/respuestas: the team's canned replies, listed and changed by agents, every change told to all of them."""
from flask import current_app, g, jsonify, request

from soporte.inbox import canned
from soporte.inbox.api import bp
from soporte.inbox.limits import agent_writes
from soporte.realtime import emitter
from soporte.web.auth import admin_required


limited = agent_writes("respuestas")  # under admin_required: checked once the caller is known to be an agent


@bp.errorhandler(canned.Refused)
def refused(error):
    """A change refused: its status and `{"error": text}`, with `"campo"` when one field is at fault."""
    body = {"error": str(error)}
    if error.campo:
        body["campo"] = error.campo
    return jsonify(body), error.status


@bp.route("/respuestas")
@admin_required
def respuestas():
    """Every canned reply, by code (agents only)."""
    return jsonify(canned.all_replies())


@bp.route("/respuestas", methods=["POST"])
@admin_required
@limited
def crear_respuesta():
    """Create a canned reply from {codigo, texto}; 201 with it, and every agent hears of it."""
    codigo, texto = canned.parse(request.get_json(silent=True), current_app.config["MAX_MESSAGE_LENGTH"])
    respuesta = canned.create(codigo, texto, g.usuario["user"])
    emitter.announce_canned("creada", respuesta, g.usuario["user"])
    return jsonify(respuesta), 201


@bp.route("/respuestas/<int:respuesta_id>", methods=["PUT"])
@admin_required
@limited
def editar_respuesta(respuesta_id):
    """Replace a canned reply's code and text with {codigo, texto}; every agent hears of it."""
    codigo, texto = canned.parse(request.get_json(silent=True), current_app.config["MAX_MESSAGE_LENGTH"])
    respuesta = canned.edit(respuesta_id, codigo, texto, g.usuario["user"])
    emitter.announce_canned("editada", respuesta, g.usuario["user"])
    return jsonify(respuesta)


@bp.route("/respuestas/<int:respuesta_id>", methods=["DELETE"])
@admin_required
@limited
def borrar_respuesta(respuesta_id):
    """Delete a canned reply; answers {id, codigo}, and every agent hears of it."""
    gone = canned.delete(respuesta_id)
    emitter.announce_canned("borrada", gone, g.usuario["user"])
    return jsonify(gone)
