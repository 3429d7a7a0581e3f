"""Agents' search over customers and message texts (and, asked with notas=1, their private notes)."""
import re

from flask import jsonify, request
from sqlalchemy import column, or_, select, table

from soporte.accounts.display_names import with_author_names
from soporte.extensions import db
from soporte.inbox.api import bp
from soporte.inbox.note_history import NOTE_COLUMNS, note_json
from soporte.inbox.params import BadParameter, flag_param, int_param
from soporte.models import Mensaje, Nota, Usuario, message_json
from soporte.search_index import FTS_TABLE, MYSQL_DIALECTS, fold, folded
from soporte.web.auth import admin_required

MIN_QUERY, MAX_QUERY = 2, 200
DEFAULT_RESULTS, MAX_RESULTS = 20, 100
MAX_TERMS = 10
# words as the indexes see them: letters and digits; everything else (FTS5 and
# boolean-mode operators, quotes, brackets) only separates words, so it cannot error
WORD = re.compile(r"[^\W_]+")
# InnoDB skips these and words shorter than innodb_ft_min_token_size (3) when it
# indexes, so a required (+) one would match nothing: they are left out of the query
INNODB_MIN_TOKEN = 3
INNODB_STOPWORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this "
    "to was what when where who will with und www".split())
fts = table(FTS_TABLE, column("rowid"), column("mensaje"))


@bp.route("/buscar")
@admin_required
def buscar():
    """Customers whose username or a word of whose name starts with q, and messages with q's words, newest first.

    notas=1 adds `notas`: the agents' private notes with q's words (agents only, as the route).
    """
    q = request.args.get("q", "").strip()
    if not MIN_QUERY <= len(q) <= MAX_QUERY:
        raise BadParameter(f"q debe tener de {MIN_QUERY} a {MAX_QUERY} caracteres")
    limite = int_param("limite", maximum=MAX_RESULTS, default=DEFAULT_RESULTS)
    found = {"usuarios": find_customers(q, limite), "mensajes": find_messages(q, limite)}
    if flag_param("notas"):
        found["notas"] = find_notes(q, limite)
    return jsonify(found)


def find_customers(q, limite):
    """Customers whose username, or the start of any word of their name, begins with q.

    Case and accents are ignored, as in message search: MariaDB through an
    accent-insensitive collation on the expression, SQLite through search_index.fold().
    """
    pattern = re.sub(r"([!%_])", r"!\1", q) + "%"  # q's own % and _ are literal
    dialect = db.engine.dialect.name
    if dialect not in MYSQL_DIALECTS:
        pattern = fold(pattern)  # MariaDB's collation folds the pattern itself
    nombre = folded(Usuario.nombre, dialect)
    rows = db.session.execute(
        select(Usuario.usuario, Usuario.nombre)
        .where(Usuario.rol == "user", or_(folded(Usuario.usuario, dialect).like(pattern, escape="!"),
                                          nombre.like(pattern, escape="!"),
                                          nombre.like("% " + pattern, escape="!")))
        .order_by(Usuario.usuario).limit(limite)
    ).all()
    return [{"usuario": usuario, "nombre": nombre} for usuario, nombre in rows]


def find_messages(q, limite):
    """Messages containing every word of q (each as a word prefix), newest first, through the index."""
    words = WORD.findall(q)[:MAX_TERMS]
    query = select(Mensaje)
    if db.engine.dialect.name in MYSQL_DIALECTS:
        words = [w for w in words if len(w) >= INNODB_MIN_TOKEN and w.lower() not in INNODB_STOPWORDS]
        if not words:
            return []
        # BOOLEAN MODE: every word required, as a prefix; the collation ignores case and accents
        query = query.where(Mensaje.mensaje.match(" ".join(f"+{w}*" for w in words))).order_by(Mensaje.id.desc())
    else:
        if not words:
            return []
        # each word quoted (a string, never syntax), then * for a prefix; rowid order straight from FTS5
        match = " ".join(f'"{w}"*' for w in words)
        query = (query.join(fts, fts.c.rowid == Mensaje.id).where(fts.c.mensaje.op("MATCH")(match))
                 .order_by(fts.c.rowid.desc()))
    return with_author_names([{**message_json(m), "conversacion": m.conversacion}
                              for m in db.session.scalars(query.limit(limite))])


def find_notes(q, limite):
    """Private notes containing every word of q (anywhere, case and accents ignored), newest first.

    No full-text index: notes are few beside messages, so the newest are scanned by
    primary key until limite match. WORD's words are letters and digits: no LIKE wildcard in them.
    """
    words = WORD.findall(q)[:MAX_TERMS]
    if not words:
        return []
    dialect = db.engine.dialect.name
    texto = folded(Nota.texto, dialect)
    query = select(*NOTE_COLUMNS, Nota.conversacion)
    for word in words:
        pattern = f"%{word}%"
        query = query.where(texto.like(pattern if dialect in MYSQL_DIALECTS else fold(pattern)))
    rows = db.session.execute(query.order_by(Nota.id.desc()).limit(limite))
    return with_author_names([{**note_json(row), "conversacion": row.conversacion} for row in rows])
