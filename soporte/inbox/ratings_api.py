"""GET /api/mios/valoracion: the customer's resolution still waiting for a rating, so that a reload asks again."""
from flask import g, jsonify

from soporte.inbox import ratings
from soporte.inbox.api import bp
from soporte.models import iso_utc
from soporte.web.auth import token_required


@bp.route("/mios/valoracion")
@token_required
def valoracion_pendiente():
    """{ciclo, resuelta_en} of the latest resolution the caller has not rated, or {ciclo: null}."""
    cycle = ratings.pending(g.usuario["user"]) if g.usuario["rol"] == "user" else None
    response = jsonify({"ciclo": cycle.id if cycle else None,
                        "resuelta_en": iso_utc(cycle.resuelta_en) if cycle else None})
    response.headers["Cache-Control"] = "no-store"
    return response
