"""Display names: what a person reads for an account, beside the username that stays its id."""
from soporte.extensions import db
from soporte.models import Usuario


def display_names(usernames):
    """username -> display name for these usernames, in one query; a gone account reads as its username."""
    wanted = set(usernames)
    found = dict(db.session.execute(
        db.select(Usuario.usuario, Usuario.nombre).where(Usuario.usuario.in_(wanted))).all()) if wanted else {}
    # MariaDB's PAD SPACE collations match "ana " to "ana": only exact names count
    return {name: found.get(name) or name for name in wanted}


def with_author_names(messages):
    """The protocol's message objects, each with `de_nombre`: its author's display name."""
    names = display_names(m["de_usuario"] for m in messages)
    for message in messages:
        message["de_nombre"] = names[message["de_usuario"]]
    return messages
