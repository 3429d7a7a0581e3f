"""GET /api/horario/estado: whether support is open now, when it opens or closes next, and whether an agent is online.

The customer's page shows from it when support normally answers, and asks again at the
next change it names (docs/protocol.md, "Horario de atención").
"""
from datetime import datetime, timezone

from flask import jsonify

from soporte.hours import rules, storage
from soporte.inbox.api import bp
from soporte.presence.online import get_presence
from soporte.web.auth import token_required


def iso(instant):
    """An aware instant as the protocol's ISO 8601 UTC with a Z, or None."""
    return None if instant is None else instant.astimezone(timezone.utc).replace(tzinfo=None).isoformat(
        timespec="seconds") + "Z"


def opening_now():
    """Open now or not; the next opening (closed) or closing (open) as ISO UTC; the business zone."""
    schedule = storage.current()
    now = datetime.now(timezone.utc)
    open_now = rules.is_open(schedule, now)
    return {
        "abierto": open_now,
        "siempre_abierto": schedule.always_open,
        "proxima_apertura": None if open_now else iso(rules.next_opening(schedule, now)),
        "proximo_cierre": iso(rules.next_closing(schedule, now)) if open_now else None,
        "zona": schedule.zona.key,
    }


def agents_online():
    """Whether any agent has a socket open now."""
    return bool(get_presence().online().get("admin"))


@bp.route("/horario/estado")
@token_required
def horario_estado():
    """Business hours now (opening_now) and whether an agent is online."""
    response = jsonify({**opening_now(), "agentes_en_linea": agents_online()})
    response.headers["Cache-Control"] = "no-store"
    return response
