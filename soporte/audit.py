"""The team's audit log: one function, audit(), that every change to the team (and to a customer's data) calls.

An entry joins the caller's transaction (db.session), so it is written exactly when the
change itself is committed, and never for a change that was rolled back.
"""
import json

from flask_babel import lazy_gettext as _l

from soporte.extensions import db
from soporte.models import Auditoria, utc_now

# every accion code, and how the log page shows it (codes are stored: never rename one)
ACTIONS = {
    "invitar": _l("Invitación enviada"),
    "invitacion_usada": _l("Invitación aceptada"),
    "rol": _l("Cambio de rol"),
    "desactivar": _l("Cuenta desactivada"),
    "reactivar": _l("Cuenta reactivada"),
    "restablecer_contrasena": _l("Contraseña restablecida"),
    "contrasena_cambiada": _l("Contraseña elegida con el enlace"),
    "crear_cuenta": _l("Cuenta creada"),
    "exportar_cliente": _l("Datos de un cliente descargados"),
    "borrar_cliente": _l("Cliente borrado con todos sus datos"),

    "horario": _l("Horario de atención cambiado"),
}
MAX_DETAIL = 2000  # characters of JSON: a detail is a few fields, never a document


def audit(actor, accion, objetivo, **detalle):
    """Add an entry to the audit log in the current transaction; the caller's commit writes it.

    actor: the username who made the change (None: the command line); accion: a code of
    ACTIONS; objetivo: the account changed (or None); detalle: a few JSON-able fields.
    """
    if accion not in ACTIONS:
        raise ValueError(f"unknown audit action {accion!r}")
    text = json.dumps(detalle, ensure_ascii=False, sort_keys=True, default=str) if detalle else None
    if text is not None and len(text) > MAX_DETAIL:
        raise ValueError("audit detail too large")
    entry = Auditoria(cuando=utc_now(), actor=actor, accion=accion, objetivo=objetivo, detalle=text)
    db.session.add(entry)
    return entry


def role_code(supervisor):
    """How an agent's role is written in an entry's detail: "supervisor" or "agente"."""
    return "supervisor" if supervisor else "agente"


def action_label(accion):
    """The words for an accion code, in the reader's language (an unknown code shows as itself)."""
    label = ACTIONS.get(accion)
    return str(label) if label is not None else accion


def detail_of(entry):
    """An entry's detalle as a dict ({} when none, or not a JSON object)."""
    try:
        value = json.loads(entry.detalle) if entry.detalle else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
