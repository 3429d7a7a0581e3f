"""The customer panel beside a conversation (agents only): who the customer is, and their history with us.

One GET gives the profile (display name, username, registration date, language, online
state, labels, the agents' shared note) and the first page of the customer's earlier
conversations: their closed cycles (table ciclos) newest first, each opened at its first
message. The note is edited with PUT and announced to every agent (`perfil_cliente`).
"""
from flask import g, jsonify, request
from sqlalchemy import delete, select

from soporte.accounts.display_names import display_names
from soporte.extensions import db
from soporte.inbox import ratings
from soporte.inbox.api import bp
from soporte.inbox.labels import labels_of
from soporte.inbox.limits import agent_writes
from soporte.inbox.params import BadParameter, int_param
from soporte.models import Ciclo, PerfilCliente, Usuario, iso_utc, utc_now
from soporte.presence.online import get_presence
from soporte.realtime import emitter
from soporte.upsert import upsert
from soporte.web.auth import admin_required
from soporte.web.errors import error_response

MAX_NOTE = 2000  # characters of the shared note
PAGE, MAX_PAGE = 10, 50  # earlier conversations per page
NOT_A_CUSTOMER = "No existe el cliente {}"
BAD_NOTE = "Se esperaba un objeto JSON {nota: texto}"
NOTE_TOO_LONG = f"La nota supera los {MAX_NOTE} caracteres"
NOTE_INVALID = "La nota contiene caracteres no válidos"
ALLOWED_CONTROLS = "\n\r\t"


def the_customer(usuario):
    """The customer's stored account (exactly that username, rol user), or None."""
    account = db.session.scalars(select(Usuario).where(Usuario.usuario == usuario)).first()
    if account is None or account.usuario != usuario or account.rol != "user":
        return None  # unknown, an agent, or MariaDB's padding matching "ana " to "ana"
    return account


def note_json(perfil):
    """The shared note as the API and `perfil_cliente` show it, or None when there is none."""
    if perfil is None:
        return None
    return {"texto": perfil.nota, "editado_por": perfil.editado_por,
            "editado_por_nombre": display_names([perfil.editado_por])[perfil.editado_por],
            "editado_en": iso_utc(perfil.editado_en)}


def earlier_conversations(customer, antes=None, limite=PAGE):
    """One page of the customer's closed cycles, newest first, and whether there are older ones.

    An index range on ix_ciclos_conversacion_id (conversacion, id), read backwards.
    """
    query = (select(Ciclo).where(Ciclo.conversacion == customer, Ciclo.resuelta_en.is_not(None))
             .order_by(Ciclo.id.desc()).limit(limite + 1))
    if antes is not None:
        query = query.where(Ciclo.id < antes)
    cycles = db.session.scalars(query).all()
    page = [c for c in cycles if c.conversacion == customer][:limite]
    names = display_names(c.resuelta_por for c in page if c.resuelta_por)
    return [{"ciclo": c.id, "abierto_id": c.abierto_id, "abierta_en": iso_utc(c.abierta_en),
             "resuelta_en": iso_utc(c.resuelta_en), "resuelta_por": c.resuelta_por,
             "resuelta_por_nombre": names.get(c.resuelta_por)} for c in page], len(cycles) > limite


def page_params():
    """antes (a cycle id) and limite (1 to MAX_PAGE) of a page of earlier conversations."""
    return int_param("antes", maximum=2**31 - 1), int_param("limite", maximum=MAX_PAGE, default=PAGE)


@bp.route("/clientes/<usuario>")
@admin_required
def cliente(usuario):
    """The customer panel: profile, labels, shared note and the first page of earlier conversations."""
    antes, limite = page_params()
    account = the_customer(usuario)
    if account is None:
        return error_response(404, NOT_A_CUSTOMER.format(usuario))
    conversations, more = earlier_conversations(usuario, antes, limite)
    return jsonify({
        "usuario": account.usuario,
        "nombre": account.nombre or account.usuario,
        "registrado": iso_utc(account.creado_en) if account.creado_en else None,
        "idioma": account.idioma,
        # came through the website widget: a guest, or a website's verified user (docs/protocol.md, "El widget")
        "invitado": bool(account.invitado),
        "verificado": account.externo_id is not None,
        "en_linea": usuario in get_presence().online().get("user", ()),
        "etiquetas": labels_of([usuario])[usuario],
        "nota": note_json(db.session.get(PerfilCliente, usuario)),
        "conversaciones": conversations,
        "mas": more,
        "valoraciones": ratings.recent(usuario),
    })


@bp.route("/clientes/<usuario>/conversaciones")
@admin_required
def conversaciones_anteriores(usuario):
    """A further page of the customer's earlier conversations (?antes=<the last cycle shown>)."""
    antes, limite = page_params()
    if the_customer(usuario) is None:
        return error_response(404, NOT_A_CUSTOMER.format(usuario))
    conversations, more = earlier_conversations(usuario, antes, limite)
    return jsonify({"conversaciones": conversations, "mas": more})


def clean_note(data):
    """The note's text from a request body; BadParameter when it is not one."""
    if not isinstance(data, dict) or set(data) != {"nota"} or not isinstance(data["nota"], str):
        raise BadParameter(BAD_NOTE)
    text = data["nota"]
    if any(("\ud800" <= c <= "\udfff") or (c < " " and c not in ALLOWED_CONTROLS) or c == "\x7f" for c in text):
        raise BadParameter(NOTE_INVALID)
    if len(text) > MAX_NOTE:
        raise BadParameter(NOTE_TOO_LONG)
    return text if text.strip() else ""


@bp.route("/clientes/<usuario>/nota", methods=["PUT"])
@admin_required
@agent_writes("perfiles")
def guardar_nota(usuario):
    """Replace the agents' note on a customer (blank: remove it); every agent sees it change."""
    text = clean_note(request.get_json(silent=True))
    if the_customer(usuario) is None:
        return error_response(404, NOT_A_CUSTOMER.format(usuario))
    table = PerfilCliente.__table__
    if text:
        row = {"usuario": usuario, "nota": text, "editado_por": g.usuario["user"], "editado_en": utc_now()}
        db.session.execute(upsert(db.engine.dialect.name, table, ["usuario"],
                                  lambda new: {c: new[c] for c in ("nota", "editado_por", "editado_en")}, row))
    else:
        db.session.execute(delete(table).where(table.c.usuario == usuario))
    db.session.commit()
    nota = note_json(db.session.get(PerfilCliente, usuario))
    emitter.announce_customer_note(usuario, nota)
    return jsonify({"usuario": usuario, "nota": nota})
