"""The holders of a customer's data: one entry per table (or store) that keeps something about a customer.

Every holder exports its part of the archive (soporte/privacy/export.py) and erases its
rows (soporte/privacy/erase.py). A module that adds a table holding a customer's data appends
its Holder to HOLDERS; the account's own row is always erased last (in_erase_order), so every
other holder can still read it.
"""
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import delete, or_, select

from soporte.accounts.display_names import display_names
from soporte.audit import detail_of
from soporte.extensions import db
from soporte.files import privacy as files_privacy
from soporte.inbox import edit_history, ratings
from soporte.mail import privacy as mail_privacy
from soporte.models import (Auditoria, Ciclo, Conversacion, ConversacionEtiqueta, Etiqueta, Lectura, Mensaje, Nota,
                            PerfilCliente, Usuario, iso_utc)
from soporte.relay import pending

CHUNK = 1000  # messages per query: memory stays flat for a long history


@dataclass(frozen=True)
class Holder:
    """What one table or store keeps about a customer: how to export it and how to erase it."""

    name: str  # folder/file name in the archive
    export: Callable[[Usuario], Iterable[tuple[str, bytes]]]  # (path inside the zip, content)
    # erase deletes the customer's rows in the CURRENT db.session transaction (no commit)
    # and returns what to do after the commit (e.g. delete files); [] if nothing
    erase: Callable[[Usuario], list[Callable[[], None]]]
    # False: only the supervisors' archive has it (the agents' private notes), not the customer's own download
    customer_sees: bool = True


def as_json(value):
    """A holder's data as the archive's UTF-8 JSON (dates in the protocol's ISO 8601 UTC)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=_plain).encode("utf-8")


def _plain(value):
    """JSON for what json cannot write itself: a naive UTC datetime."""
    if isinstance(value, datetime):
        return iso_utc(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def rows_of(model, where, *columns):
    """Rows of a table as dicts of the given columns (every column when none is named)."""
    columns = columns or tuple(model.__table__.columns)
    return [dict(row._mapping) for row in db.session.execute(select(*columns).where(where))]


def deleting(model, where):
    """An erase that deletes a table's rows matching `where`; nothing to do after the commit."""
    def erase(customer):
        """Delete the customer's rows of this table."""
        db.session.execute(delete(model).where(where(customer.usuario)))
        return []
    return erase


# --- the account -------------------------------------------------------------

# never the password's hash nor the login generation; the website's id for them is theirs
ACCOUNT_COLUMNS = (Usuario.id, Usuario.usuario, Usuario.nombre, Usuario.rol, Usuario.idioma, Usuario.creado_en,
                   Usuario.activo, Usuario.invitado, Usuario.externo_id, Usuario.sitio)


def export_account(customer):
    """The account: username, display name, language, registration date."""
    yield "cuenta.json", as_json(rows_of(Usuario, Usuario.id == customer.id, *ACCOUNT_COLUMNS)[0])


def erase_account(customer):
    """The account's row (the last holder: the others read the username first)."""
    db.session.execute(delete(Usuario).where(Usuario.id == customer.id))
    return []


# --- messages: both directions of the conversation ---------------------------

def of_customer(name):
    """Every message of the customer's conversation, written by them or to them.

    `conversacion` is the customer for both directions (relay/accept.py), so one index range
    (ix_mensajes_conversacion_id) finds them all: an OR over the sender and recipient would scan,
    and lock on MariaDB, the whole table. tests/test_privacy.py checks every column afterwards.
    """
    return Mensaje.conversacion == name


def customer_messages(name):
    """The customer's messages in id order, stored ones a page at a time plus this process's unstored ones."""
    def stored():
        """The stored rows, by id, CHUNK at a time (no offset scans)."""
        cursor = -1
        while True:
            page = db.session.scalars(select(Mensaje).where(of_customer(name), Mensaje.id > cursor)
                                      .order_by(Mensaje.id).limit(CHUNK)).all()
            yield from page
            if len(page) < CHUNK:
                return
            cursor = page[-1].id
    for row in pending.interleave(stored(), pending.unstored(name)):
        get = row.get if isinstance(row, dict) else lambda k, r=row: getattr(r, k)
        yield {"id": get("id"), "de_usuario": get("de_usuario"), "para_usuario": get("para_usuario"),
               "mensaje": get("mensaje"), "fecha": get("fecha")}


def export_messages(customer):
    """Every message as JSON, and the same as a transcript a person reads."""
    messages = list(customer_messages(customer.usuario))
    names = display_names({m["de_usuario"] for m in messages})
    yield "mensajes/mensajes.json", as_json([{**m, "de_nombre": names[m["de_usuario"]]} for m in messages])
    lines = [f"[{iso_utc(m['fecha'])}] {names[m['de_usuario']]} ({m['de_usuario']}):\n"
             + "".join(f"    {line}\n" for line in m["mensaje"].splitlines() or [""]) for m in messages]
    yield "mensajes/transcripcion.txt", "".join(lines).encode("utf-8")


# --- the conversation, its cycles, read markers, labels ---------------------------

def export_conversation(customer):
    """The conversation's row: status, assignee, latest ids."""
    rows = rows_of(Conversacion, Conversacion.usuario == customer.usuario)
    yield "conversacion.json", as_json(rows[0] if rows else None)


def export_cycles(customer):
    """Each cycle of the conversation: opened, first answered, resolved."""
    yield "ciclos.json", as_json(rows_of(Ciclo, Ciclo.conversacion == customer.usuario))


def read_markers(name):
    """The agents' read markers of the conversation, as primary-key lookups (agente, conversacion), not a scan."""
    agents = db.session.scalars(select(Lectura.agente).distinct()).all()  # a few: the key's first column
    return Lectura.agente.in_(agents) & (Lectura.conversacion == name)


def export_read_markers(customer):
    """How far each agent has read the conversation."""
    yield "lecturas.json", as_json(rows_of(Lectura, read_markers(customer.usuario)))


def export_labels(customer):
    """The labels agents put on the conversation (their names and colours)."""
    rows = db.session.execute(select(Etiqueta.id, Etiqueta.nombre, Etiqueta.color)
                              .join(ConversacionEtiqueta, ConversacionEtiqueta.etiqueta_id == Etiqueta.id)
                              .where(ConversacionEtiqueta.conversacion == customer.usuario).order_by(Etiqueta.id))
    yield "etiquetas.json", as_json([dict(row._mapping) for row in rows])


# --- what agents keep about the customer (never shown to the customer) ----------

def export_notes(customer):
    """The agents' private notes in the customer's conversation."""
    yield "notas.json", as_json(rows_of(Nota, Nota.conversacion == customer.usuario))


def export_profile(customer):
    """The agents' shared note on the customer (the customer panel)."""
    rows = rows_of(PerfilCliente, PerfilCliente.usuario == customer.usuario)
    yield "perfil.json", as_json(rows[0] if rows else None)


def quoted(value):
    """A value as an audit entry's JSON detail writes it (a whole string, quotes included)."""
    return json.dumps(value, ensure_ascii=False)


def naming(*names):
    """Audit entries that name the customer: as the account changed, or as a whole value in their detail."""
    return or_(Auditoria.objetivo.in_(names), Auditoria.actor.in_(names),
               *(Auditoria.detalle.contains(quoted(name), autoescape=True) for name in names))


def export_audit(customer):
    """The audit log's entries about the customer (a download of their data, say)."""
    yield "auditoria.json", as_json(rows_of(Auditoria, naming(customer.usuario)))


def anonymise_audit(customer):
    """Keep the audit log's entries about the customer, with no name of theirs: "cliente #<id>" instead."""
    anonymous = quoted(f"cliente #{customer.id}")
    names = {customer.usuario, customer.nombre}
    for entry in db.session.scalars(select(Auditoria).where(naming(*names))):
        for name in names:
            if entry.detalle:
                entry.detalle = entry.detalle.replace(quoted(name), anonymous)
        if entry.objetivo in names or entry.actor in names:  # who it was stays known by number only
            entry.objetivo = None if entry.objetivo in names else entry.objetivo
            entry.actor = None if entry.actor in names else entry.actor
            entry.detalle = json.dumps({**detail_of(entry), "cliente": customer.id}, ensure_ascii=False, sort_keys=True)
    return []


HOLDERS = [
    # the conversation's row first: on MariaDB its lock waits for a storer storing a batch of theirs
    Holder("conversacion", export_conversation, deleting(Conversacion, lambda n: Conversacion.usuario == n)),
    Holder("mensajes", export_messages, deleting(Mensaje, of_customer)),
    Holder("ciclos", export_cycles, deleting(Ciclo, lambda n: Ciclo.conversacion == n)),
    Holder("lecturas", export_read_markers, deleting(Lectura, read_markers)),
    Holder("etiquetas", export_labels, deleting(ConversacionEtiqueta, lambda n: ConversacionEtiqueta.conversacion == n)),
    Holder("notas", export_notes, deleting(Nota, lambda n: Nota.conversacion == n), customer_sees=False),
    Holder("perfil", export_profile, deleting(PerfilCliente, lambda n: PerfilCliente.usuario == n), customer_sees=False),
    Holder("auditoria", export_audit, anonymise_audit, customer_sees=False),
    Holder("cuenta", export_account, erase_account),
    Holder("adjuntos", files_privacy.export_customer, files_privacy.erase_customer),
    Holder("ediciones_mensaje", edit_history.export_customer, edit_history.erase_customer),
    Holder("valoraciones", ratings.export_customer, ratings.erase_customer),
    Holder("correo", mail_privacy.export_customer, mail_privacy.erase_customer),
]


def in_erase_order():
    """The holders as an erase runs them: the account's own row last, whatever was appended after it."""
    return sorted(HOLDERS, key=lambda holder: holder.erase is erase_account)
