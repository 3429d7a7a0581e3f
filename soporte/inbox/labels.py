"""Labels: the team's catalogue (name, colour) and which conversations carry which.

The rules (names, colours) and every query live here; labels_api.py holds the routes.
For the conversation list:
- `labels_of(customers)` -> {customer: [label ids]}: one query on the key
  (conversacion, etiqueta_id) of conversacion_etiquetas;
- `with_label(etiqueta_id)`: a WHERE clause on Conversacion that keeps the conversations
  carrying that label, answered from the index (etiqueta_id, conversacion).
"""
import re
import unicodedata

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from soporte.extensions import db
from soporte.models import Conversacion, ConversacionEtiqueta, Etiqueta, Usuario

MAX_NAME = 40  # characters of a label's name
MAX_LABELS = 200  # labels in the catalogue
MAX_PER_CONVERSATION = 20  # labels on one conversation
# the palette the page offers: each reads (4.5:1 or more) with the text colour text_colour() gives it
PALETTE = ("#c62828", "#ef6c00", "#f9a825", "#2e7d32", "#00838f", "#1565c0", "#6a1b9a", "#ad1457",
           "#6d4c41", "#546e7a")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")  # fullmatch: "$" would let a final newline through
_SPACES = re.compile(r"\s+")

NAME_REQUIRED = "Falta el nombre de la etiqueta"
NAME_TOO_LONG = f"El nombre de la etiqueta supera los {MAX_NAME} caracteres"
NAME_INVALID = "El nombre de la etiqueta contiene caracteres no válidos"
COLOR_INVALID = "El color debe ser uno de la paleta o #rrggbb"
DUPLICATE = "Ya existe una etiqueta con ese nombre"
TOO_MANY_LABELS = f"Ya hay {MAX_LABELS} etiquetas; borra alguna antes de crear otra"
TOO_MANY_ON_CONVERSATION = f"Una conversación admite como mucho {MAX_PER_CONVERSATION} etiquetas"
NO_SUCH_LABEL = "No existe esa etiqueta"


class LabelError(ValueError):
    """A label request the rules refuse; `status` is the HTTP answer (400, 404 or 409)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def clean_name(nombre):
    """The name as stored: spaces trimmed and runs of them made one; LabelError when it is no name."""
    if not isinstance(nombre, str):
        raise LabelError(NAME_REQUIRED)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in nombre):
        raise LabelError(NAME_INVALID)  # control, invisible, unassigned or lone surrogate characters
    name = _SPACES.sub(" ", nombre).strip()
    if not name:
        raise LabelError(NAME_REQUIRED)
    if len(name) > MAX_NAME:
        raise LabelError(NAME_TOO_LONG)
    return name


def canonical_name(name):
    """The form two names are compared in ("Urgente", "URGENTE" and "ｕｒｇｅｎｔｅ" are one label)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


def clean_color(color):
    """A colour as stored ("#rrggbb", lower case); LabelError unless it is one."""
    if not isinstance(color, str) or not COLOR.fullmatch(color):
        raise LabelError(COLOR_INVALID)
    return color.lower()  # any: its text colour reads on it (text_colour)


def luminance(color):
    """WCAG relative luminance of "#rrggbb"."""
    def channel(hex2):
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(color[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(color):
    """Black or white, whichever reads better on the colour.

    The worse of the two best choices is at luminance 0.179, where both give 4.58:1: every
    "#rrggbb" has a text colour that reaches WCAG AA (4.5:1).
    """
    return "#000000" if contrast(color, "#000000") >= contrast(color, "#ffffff") else "#ffffff"


def label_json(label):
    """A label as the API and the events show it."""
    return {"id": label.id, "nombre": label.nombre, "color": label.color, "texto": text_colour(label.color)}


def catalogue():
    """Every label, by name (as a reader sorts them, case aside)."""
    labels = db.session.scalars(select(Etiqueta)).all()
    return [label_json(label) for label in sorted(labels, key=lambda l: (l.nombre_canonico, l.id))]


def get_label(etiqueta_id):
    """The stored label, or LabelError 404."""
    label = db.session.get(Etiqueta, etiqueta_id)
    if label is None:
        raise LabelError(NO_SUCH_LABEL, 404)
    return label


def _name_taken(canonical, but=None):
    query = select(Etiqueta.id).where(Etiqueta.nombre_canonico == canonical)
    return any(found != but for found in db.session.scalars(query))


def create_label(nombre, color, agent):
    """Add a label to the catalogue; LabelError for a bad or taken name, a bad colour, a full catalogue."""
    name, color = clean_name(nombre), clean_color(color)
    canonical = canonical_name(name)
    if _name_taken(canonical):
        raise LabelError(DUPLICATE, 409)
    if db.session.scalar(select(func.count()).select_from(Etiqueta)) >= MAX_LABELS:
        raise LabelError(TOO_MANY_LABELS, 409)
    label = Etiqueta(nombre=name, nombre_canonico=canonical, color=color, creada_por=agent)
    db.session.add(label)
    _commit_or_duplicate()
    return label


def change_label(etiqueta_id, nombre=None, color=None):
    """Rename and/or recolour a label; LabelError as for create_label, or 404."""
    label = get_label(etiqueta_id)
    if nombre is not None:
        name = clean_name(nombre)
        canonical = canonical_name(name)
        if _name_taken(canonical, but=label.id):
            raise LabelError(DUPLICATE, 409)
        label.nombre, label.nombre_canonico = name, canonical
    if color is not None:
        label.color = clean_color(color)
    _commit_or_duplicate()
    return label


def _commit_or_duplicate():
    """Commit; two agents creating one name at the same instant: the unique key refuses the second."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LabelError(DUPLICATE, 409) from None


def delete_label(etiqueta_id):
    """Delete a label and take it off every conversation; returns those conversations' customers."""
    get_label(etiqueta_id)
    table = ConversacionEtiqueta.__table__
    customers = sorted(db.session.scalars(select(table.c.conversacion).where(table.c.etiqueta_id == etiqueta_id)))
    # SQLite enforces no foreign keys here: delete the rows ourselves (MariaDB's cascade then finds none)
    db.session.execute(delete(table).where(table.c.etiqueta_id == etiqueta_id))
    db.session.execute(delete(Etiqueta).where(Etiqueta.id == etiqueta_id))
    db.session.commit()
    return customers


def is_customer(username):
    """Whether the username is exactly a customer's (MariaDB's collations pad "ana " to "ana")."""
    stored = db.session.execute(select(Usuario.usuario, Usuario.rol).where(Usuario.usuario == username)).first()
    return stored is not None and stored.usuario == username and stored.rol == "user"


def put_label(customer, etiqueta_id):
    """Put a label on a customer's conversation (again: nothing changes); its labels now."""
    get_label(etiqueta_id)
    table = ConversacionEtiqueta.__table__
    have = labels_of([customer])[customer]
    if etiqueta_id in have:
        return have
    if len(have) >= MAX_PER_CONVERSATION:
        raise LabelError(TOO_MANY_ON_CONVERSATION, 409)
    try:
        db.session.execute(table.insert().values(conversacion=customer, etiqueta_id=etiqueta_id))
        db.session.commit()
    except IntegrityError:  # another agent put it on meanwhile, or (MariaDB) the label was just deleted
        db.session.rollback()
        get_label(etiqueta_id)
    return labels_of([customer])[customer]


def remove_label(customer, etiqueta_id):
    """Take a label off a customer's conversation (not there: nothing changes); its labels now."""
    get_label(etiqueta_id)
    table = ConversacionEtiqueta.__table__
    db.session.execute(delete(table).where(table.c.conversacion == customer, table.c.etiqueta_id == etiqueta_id))
    db.session.commit()
    return labels_of([customer])[customer]


def labels_of(customers):
    """{customer: [label ids, ascending]} for every customer asked (an empty list when none), in one query.

    Uses the key (conversacion, etiqueta_id): an index range per customer, for a page of the list.
    """
    wanted = list(dict.fromkeys(customers))
    found = {customer: [] for customer in wanted}
    if not wanted:
        return found
    table = ConversacionEtiqueta.__table__
    rows = db.session.execute(select(table.c.conversacion, table.c.etiqueta_id)
                              .where(table.c.conversacion.in_(wanted))
                              .order_by(table.c.conversacion, table.c.etiqueta_id))
    for customer, etiqueta_id in rows:
        if customer in found:  # MariaDB's padding may match "ana" to a stored "ana ": exact names only
            found[customer].append(etiqueta_id)
    return found


def with_label(etiqueta_id):
    """A WHERE clause on Conversacion: the conversations that carry this label (index etiqueta_id, conversacion)."""
    table = ConversacionEtiqueta.__table__
    # IN (subquery), not a correlated EXISTS: the planner starts from the label's index range
    # instead of probing every conversation of the list
    return Conversacion.usuario.in_(select(table.c.conversacion).where(table.c.etiqueta_id == etiqueta_id))
