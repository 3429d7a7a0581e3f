"""The agents' list of conversations: views by assignee, two orders, each row's fields, and the views' counts.

Each row: the customer's display name, the latest message (a preview, and whose), since
when the customer has waited for a reply, the assignee, the labels and the status. Pages are index
ranges (conversaciones' indexes on estado, asignado, ultimo_id and esperando_id), merged
with the writer's unstored rows so that a page is exact while the database catches up.
"""
from flask import g, jsonify, request
from sqlalchemy import func, select

from soporte.accounts.display_names import display_names
from soporte.extensions import db
from soporte.inbox.api import bp
from soporte.inbox.labels import labels_of, with_label
from soporte.inbox.params import MAX_LIMIT, BadParameter, int_param
from soporte.models import ESTADOS, Conversacion, Mensaje, iso_utc
from soporte.protocol import MAX_ID
from soporte.relay import pending
from soporte.relay.conversation_rows import wait_after
from soporte.relay.ids import id_time
from soporte.web.auth import admin_required

BAD_ESTADO = "estado debe ser abierta o resuelta"
VIEWS = ("todas", "mias", "sin_asignar")
ORDERS = ("actividad", "espera")
PREVIEW = 140  # characters of the latest message a row shows
MAX_LABEL_ID = 2**31 - 1
COLUMNS = ("usuario", "ultimo_id", "estado", "estado_por", "estado_id", "asignado", "esperando_id", "ultimo_agente_id")


@bp.route("/conversaciones")  # on the API blueprint: its JSON errors and 401/403 answers
@admin_required
def conversaciones():
    """One page of conversations (agents only): ?estado=, ?vista=todas|mias|sin_asignar, ?orden=actividad|espera, ?etiqueta=."""
    estado = request.args.get("estado") or None
    if estado is not None and estado not in ESTADOS:
        raise BadParameter(BAD_ESTADO)
    vista = choice("vista", VIEWS)
    orden = choice("orden", ORDERS)
    limite = int_param("limite", maximum=MAX_LIMIT)  # none: all of them, as the original list
    antes = int_param("antes", maximum=MAX_ID)
    esperando_despues = int_param("esperando_despues", minimum=0, maximum=MAX_ID)
    etiqueta = int_param("etiqueta", maximum=MAX_LABEL_ID)
    return jsonify(list_conversations(estado, limite, antes, vista=vista, viewer=g.usuario["user"],
                                      orden=orden, esperando_despues=esperando_despues, etiqueta=etiqueta))


@bp.route("/conversaciones/recuento")
@admin_required
def recuento():
    """How many conversations each view holds in one status, or in all (agents only): {todas, mias, sin_asignar}."""
    estado = request.args.get("estado") or "abierta"
    if estado not in (*ESTADOS, "todas"):
        raise BadParameter(BAD_ESTADO)
    count = select(func.count()).select_from(Conversacion)
    if estado != "todas":
        count = count.where(Conversacion.estado == estado)
    return jsonify({
        "estado": estado,
        "todas": db.session.scalar(count),
        "mias": db.session.scalar(count.where(Conversacion.asignado == g.usuario["user"])),
        "sin_asignar": db.session.scalar(count.where(Conversacion.asignado.is_(None))),
    })


def choice(name, allowed):
    """A query parameter among `allowed` (the first when absent), or BadParameter."""
    value = request.args.get(name) or allowed[0]
    if value not in allowed:
        raise BadParameter(f"{name} debe ser {', '.join(allowed)}")
    return value


def list_conversations(estado=None, limite=None, antes=None, vista="todas", viewer=None, orden="actividad",
                       esperando_despues=None, etiqueta=None):
    """One page of the list: stored conversations merged with the writer's unstored rows.

    Latest activity first; or (orden="espera") the waiting ones, longest first, then the
    others by latest activity (`antes` pages those, `esperando_despues` the waiting ones).
    A conversation with unstored activity may rank elsewhere, or (a resolved one the
    customer wrote to again) be open already: the database page asks for that many more
    rows, so the merged page is still exact.
    """
    unstored = pending.unstored()
    by_conversation = {}
    for row in sorted(unstored, key=lambda r: r["id"]):
        by_conversation.setdefault(row["conversacion"], []).append(row)
    extra = None if limite is None else limite + len(by_conversation)
    found = {row["usuario"]: row for row in stored_page(estado, extra, antes, vista, viewer, orden, esperando_despues,
                                                        etiqueta)}
    missing = sorted(set(by_conversation) - set(found))
    if missing:  # their stored state, whatever the filter
        table = Conversacion.__table__
        found.update((r.usuario, r._asdict()) for r in db.session.execute(
            select(*(table.c[c] for c in COLUMNS)).where(table.c.usuario.in_(missing))))
    for name, rows in by_conversation.items():
        row = found.setdefault(name, {"usuario": name, "ultimo_id": 0, "estado": "abierta", "estado_por": None,
                                      "estado_id": None, "asignado": None, "esperando_id": None,
                                      "ultimo_agente_id": None})
        follow_unstored(row, rows)
    rows = [r for r in found.values() if in_view(r, estado, vista, viewer)]
    labels = labels_of([r["usuario"] for r in rows])
    if etiqueta is not None:  # the unstored ones' stored rows were read whatever their labels
        rows = [r for r in rows if etiqueta in labels[r["usuario"]]]
    rows = ordered(rows, orden, antes, esperando_despues)[:limite]
    return described(rows, {r["id"]: r for r in unstored}, labels)


def stored_page(estado, limite, antes, vista, viewer, orden, esperando_despues, etiqueta=None):
    """The database's part of a page, by index range: a list of row dicts."""
    table = Conversacion.__table__
    base = select(*(table.c[c] for c in COLUMNS))
    if estado:
        base = base.where(table.c.estado == estado)
    if vista == "mias":
        base = base.where(table.c.asignado == viewer)
    elif vista == "sin_asignar":
        base = base.where(table.c.asignado.is_(None))
    if etiqueta is not None:
        base = base.where(with_label(etiqueta))
    queries = []
    answered = base.order_by(table.c.ultimo_id.desc())
    if orden == "espera":
        answered = answered.where(table.c.esperando_id.is_(None))
        if antes is None:  # the waiting ones come first, then the others
            waiting = base.where(table.c.esperando_id.is_not(None)).order_by(table.c.esperando_id)
            if esperando_despues is not None:
                waiting = waiting.where(table.c.esperando_id > esperando_despues)
            queries.append(waiting)
    if antes is not None:
        answered = answered.where(table.c.ultimo_id < antes)
    queries.append(answered)
    found = []
    for query in queries:
        if limite is not None:
            if len(found) >= limite:
                break
            query = query.limit(limite - len(found))
        found += [row._asdict() for row in db.session.execute(query)]
    return found


def follow_unstored(row, rows):
    """What the writer will store for a conversation's unstored rows (in id order)."""
    name = row["usuario"]
    for message in rows:
        row["ultimo_id"] = max(row["ultimo_id"], message["id"])
        row["esperando_id"], row["ultimo_agente_id"] = wait_after(row["esperando_id"], row["ultimo_agente_id"], message)
        if message["de_usuario"] == name and row["estado"] == "resuelta" and message["id"] > (row["estado_id"] or 0):
            row.update(estado="abierta", estado_por=name, estado_id=message["id"])


def in_view(row, estado, vista, viewer):
    """Whether a merged row belongs on the page asked for."""
    if estado is not None and row["estado"] != estado:
        return False
    if vista == "mias":
        return row["asignado"] == viewer
    return vista != "sin_asignar" or row["asignado"] is None


def ordered(rows, orden, antes, esperando_despues):
    """The merged rows in the page's order, from its cursor."""
    if orden == "espera":
        waiting = sorted((r for r in rows if r["esperando_id"] and antes is None
                          and r["esperando_id"] > (esperando_despues or 0)), key=lambda r: r["esperando_id"])
        answered = [r for r in rows if not r["esperando_id"]]
    else:
        waiting, answered = [], rows
    answered = sorted((r for r in answered if antes is None or r["ultimo_id"] < antes),
                      key=lambda r: r["ultimo_id"], reverse=True)
    return waiting + answered


def described(rows, unstored, labels):
    """The rows as the API gives them: names, the latest message's preview, the wait's start, the labels."""
    ids = [r["ultimo_id"] for r in rows if r["ultimo_id"] not in unstored]
    latest = dict(unstored)
    if ids:
        latest.update((m.id, m._asdict()) for m in db.session.execute(
            select(Mensaje.id, Mensaje.de_usuario, Mensaje.mensaje, Mensaje.fecha, Mensaje.eliminado_en)
            .where(Mensaje.id.in_(ids))))
    people = {r["usuario"] for r in rows} | {r["asignado"] for r in rows if r["asignado"]}
    people |= {latest[r["ultimo_id"]]["de_usuario"] for r in rows if r["ultimo_id"] in latest}
    names = display_names(people)
    listed = []
    for r in rows:
        message = latest.get(r["ultimo_id"])
        listed.append({
            "usuario": r["usuario"], "nombre": names.get(r["usuario"], r["usuario"]),
            "ultimo_id": r["ultimo_id"], "estado": r["estado"], "estado_por": r["estado_por"],
            "asignado": r["asignado"], "asignado_nombre": names.get(r["asignado"], r["asignado"]),
            "esperando_id": r["esperando_id"], "etiquetas": labels.get(r["usuario"], []),
            "esperando_desde": iso_utc(id_time(r["esperando_id"]).replace(tzinfo=None)) if r["esperando_id"] else None,
            "ultimo": message and {"id": r["ultimo_id"], "de_usuario": message["de_usuario"],
                                   "de_nombre": names.get(message["de_usuario"], message["de_usuario"]),
                                   "mensaje": message["mensaje"][:PREVIEW], "fecha": iso_utc(message["fecha"]),
                                   "eliminado": message.get("eliminado_en") is not None},
        })
    return listed
