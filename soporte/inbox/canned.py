"""Canned replies ("respuestas rápidas"): the rules a code and a text follow, and their storage.

A reply is shared by the whole team. Its code is what an agent types after `/` in the
composer: letters (any script), digits, `-` and `_`, unique without regard to case.
"""
import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from soporte.extensions import db
from soporte.models import Respuesta, iso_utc, utc_now
from soporte.relay.validation import encodable

CODE_MAX_LENGTH = 32
MAX_ID = 2**31 - 1  # the id column's range: a larger id names no reply (404), never a database error
MAX_REPLIES = 500  # the list every agent's page holds stays small
CODE = re.compile(r"[\w-]+")  # \w on str: letters and digits of any script, and _

NOT_AN_OBJECT = "Se esperaba un objeto JSON con codigo y texto"
CODE_NOT_TEXT = "codigo debe ser una cadena de texto"
TEXT_NOT_TEXT = "texto debe ser una cadena de texto"
NO_CODE = "Falta el código"
CODE_TOO_LONG = f"El código no puede tener más de {CODE_MAX_LENGTH} caracteres"
BAD_CODE = "El código solo puede tener letras, números, guiones (-) y guiones bajos (_)"
NO_TEXT = "Falta el texto"
BAD_TEXT = "El texto contiene caracteres no válidos"
DUPLICATE = "Ya existe una respuesta rápida con ese código"
NOT_FOUND = "Esa respuesta rápida ya no existe"
TOO_MANY_REPLIES = f"Ya hay {MAX_REPLIES} respuestas rápidas; borra alguna antes de crear otra"


def text_too_long(max_length):
    """The refusal of a text over the message limit (a canned reply must be sendable)."""
    return f"El texto supera los {max_length} caracteres"


class Refused(ValueError):
    """A change the server will not make: its HTTP status, its text, and the field at fault (or None)."""

    def __init__(self, status, message, campo=None):
        super().__init__(message)
        self.status, self.campo = status, campo


def canonical_code(codigo):
    """The form a code's uniqueness is checked on: "Saludo", "SALUDO" and "saludo" are one code."""
    return unicodedata.normalize("NFC", codigo.casefold())


def parse(data, max_length):
    """(codigo, texto) from a request body, cleaned, or Refused(400) saying what is wrong."""
    if not isinstance(data, dict):
        raise Refused(400, NOT_AN_OBJECT)
    return parse_code(data.get("codigo")), parse_text(data.get("texto"), max_length)


def parse_code(codigo):
    """A code as stored: trimmed, without the `/` an agent may type before it, in NFC."""
    if not isinstance(codigo, str):
        raise Refused(400, NO_CODE if codigo is None else CODE_NOT_TEXT, "codigo")
    codigo = unicodedata.normalize("NFC", codigo.strip().removeprefix("/"))
    if not codigo:
        raise Refused(400, NO_CODE, "codigo")
    if len(codigo) > CODE_MAX_LENGTH:
        raise Refused(400, CODE_TOO_LONG, "codigo")
    if not CODE.fullmatch(codigo):
        raise Refused(400, BAD_CODE, "codigo")
    return codigo


def parse_text(texto, max_length):
    """A text as stored: trimmed, line breaks as \\n, no other control character, within the message limit."""
    if not isinstance(texto, str):
        raise Refused(400, NO_TEXT if texto is None else TEXT_NOT_TEXT, "texto")
    texto = texto.replace("\r\n", "\n").strip()
    if not texto:
        raise Refused(400, NO_TEXT, "texto")
    if len(texto) > max_length:
        raise Refused(400, text_too_long(max_length), "texto")
    if not encodable(texto) or any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in texto):
        raise Refused(400, BAD_TEXT, "texto")
    return texto


def as_json(respuesta):
    """A stored reply as the API and the event show it."""
    return {
        "id": respuesta.id, "codigo": respuesta.codigo, "texto": respuesta.texto,
        "creado_por": respuesta.creado_por, "creado_en": iso_utc(respuesta.creado_en),
        "actualizado_por": respuesta.actualizado_por, "actualizado_en": iso_utc(respuesta.actualizado_en),
    }


def all_replies():
    """Every canned reply, by code."""
    return [as_json(r) for r in db.session.scalars(select(Respuesta).order_by(Respuesta.codigo_canonico))]


def create(codigo, texto, agent):
    """Store a new reply; its JSON, or Refused(409) for a code in use or a full list."""
    if db.session.scalar(select(func.count()).select_from(Respuesta)) >= MAX_REPLIES:
        raise Refused(409, TOO_MANY_REPLIES)
    now = utc_now()
    respuesta = Respuesta(codigo=codigo, codigo_canonico=canonical_code(codigo), texto=texto,
                          creado_por=agent, creado_en=now, actualizado_por=agent, actualizado_en=now)
    db.session.add(respuesta)
    commit_unique()
    return as_json(respuesta)


def edit(respuesta_id, codigo, texto, agent):
    """Change a reply's code and text; its JSON, or Refused (404 gone, 409 code in use)."""
    respuesta = the_reply(respuesta_id)
    respuesta.codigo, respuesta.codigo_canonico, respuesta.texto = codigo, canonical_code(codigo), texto
    respuesta.actualizado_por, respuesta.actualizado_en = agent, utc_now()
    commit_unique()
    return as_json(respuesta)


def delete(respuesta_id):
    """Delete a reply; what the others need to forget it ({id, codigo}), or Refused(404)."""
    respuesta = the_reply(respuesta_id)
    gone = {"id": respuesta.id, "codigo": respuesta.codigo}
    db.session.delete(respuesta)
    db.session.commit()
    return gone


def the_reply(respuesta_id):
    """The stored reply with that id, or Refused(404)."""
    respuesta = db.session.get(Respuesta, respuesta_id) if 0 < respuesta_id <= MAX_ID else None
    if respuesta is None:
        raise Refused(404, NOT_FOUND)
    return respuesta


def commit_unique():
    """Commit; a code taken meanwhile (the unique index, not a prior look) is Refused(409)."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Refused(409, DUPLICATE, "codigo") from None
