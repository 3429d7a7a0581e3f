"""Read markers: how far each agent has read each conversation, and the customer's "visto".

A marker (table `lecturas`) is the id of the last message an agent has read in one
customer's conversation. Unread means: after the marker and not written by that agent.
Counting reads the index range (conversacion, id > marker) of the conversations whose
latest id is past the marker only, plus the writer's rows not stored yet.
"""
import collections

from sqlalchemy import and_, func, or_, select, update

from soporte.extensions import db
from soporte.models import Conversacion, Lectura, Mensaje
from soporte.relay import pending
from soporte.upsert import forward, upsert

CHUNK = 100  # conversations per counting statement (one index range each)
WHOLE_CHUNK = 1000  # conversations never read, per counting statement


def marker_of(agent, con):
    """The agent's marker in one conversation, or None when it never read it."""
    return db.session.scalar(select(Lectura.ultimo_leido).where(Lectura.agente == agent,
                                                                Lectura.conversacion == con))


def latest_id(con, rows):
    """The newest message id of a conversation, stored or pending (0: none)."""
    stored = db.session.scalar(select(Conversacion.ultimo_id).where(Conversacion.usuario == con)) or 0
    return max(stored, pending.newest_ids(rows).get(con, 0))


def unread_counts(agent, markers, rows):
    """{conversation: messages after its marker not written by `agent`} for the given markers.

    Pending rows are counted from memory and left out of the stored count, so a row
    committed while this runs is counted once.
    """
    found = collections.Counter()
    in_memory = collections.defaultdict(list)
    for row in rows:
        con = row["conversacion"]
        if con in markers:
            in_memory[con].append(row["id"])
            if row["id"] > markers[con] and row["de_usuario"] != agent:
                found[con] += 1
    never = sorted(con for con, hasta in markers.items() if not hasta)  # all of it: a plain IN list
    ranges = sorted(con for con, hasta in markers.items() if hasta)  # one index range each
    chunks = [(never[i:i + WHOLE_CHUNK], lambda chunk: Mensaje.conversacion.in_(chunk))
              for i in range(0, len(never), WHOLE_CHUNK)]
    chunks += [(ranges[i:i + CHUNK], lambda chunk: or_(*(and_(Mensaje.conversacion == con, Mensaje.id > markers[con])
                                                         for con in chunk)))
               for i in range(0, len(ranges), CHUNK)]
    for chunk, where in chunks:
        query = (select(Mensaje.conversacion, func.count())
                 .where(where(chunk), Mensaje.de_usuario != agent)
                 .group_by(Mensaje.conversacion))
        skip = [message_id for con in chunk for message_id in in_memory.get(con, ())]
        if skip:
            query = query.where(Mensaje.id.not_in(skip))
        for con, count in db.session.execute(query):
            found[con] += count
    return found


def state(agent, con):
    """What `leido` and the acknowledgements say of one conversation for one agent."""
    unstored = pending.unstored()  # a snapshot, taken before reading the database
    hasta = marker_of(agent, con) or 0
    ultimo = latest_id(con, unstored)
    sin_leer = unread_counts(agent, {con: hasta}, unstored)[con] if ultimo > hasta else 0
    return {"con": con, "hasta": hasta, "sin_leer": sin_leer, "ultimo": ultimo}


def unread_for(agent):
    """{customer: {leido_hasta, sin_leer, ultimo}} for every conversation with unread messages for `agent`."""
    unstored = pending.unstored()  # a snapshot, taken before reading the database
    marker = func.coalesce(Lectura.ultimo_leido, 0)
    rows = db.session.execute(  # every conversation once, its marker by primary key
        select(Conversacion.usuario, Conversacion.ultimo_id, marker)
        .outerjoin(Lectura, and_(Lectura.agente == agent, Lectura.conversacion == Conversacion.usuario))
        .where(Conversacion.ultimo_id > marker)
    ).all()
    markers = {con: hasta for con, _, hasta in rows}
    latest = {con: ultimo for con, ultimo, _ in rows}
    newer = pending.newest_ids(unstored)  # conversations with unstored rows: their newest unstored id
    others = sorted(set(newer) - set(markers))
    if others:  # the stored side of these is read: only pending rows may be new
        known = dict(db.session.execute(select(Lectura.conversacion, Lectura.ultimo_leido)
                                        .where(Lectura.agente == agent, Lectura.conversacion.in_(others))).all())
        for con in others:
            if newer[con] > known.get(con, 0):
                markers[con] = known.get(con, 0)
    for con in markers:
        latest[con] = max(latest.get(con, 0), newer.get(con, 0))
    counts = unread_counts(agent, markers, unstored)
    return {con: {"leido_hasta": markers[con], "sin_leer": n, "ultimo": latest[con]}
            for con, n in counts.items() if n > 0}


def marker_upsert(dialect, agent, con, hasta):
    """INSERT a marker, or move it forward (never back: tabs and processes race)."""
    table = Lectura.__table__
    return upsert(dialect, table, ["agente", "conversacion"],
                  lambda new: {"ultimo_leido": forward(table.c.ultimo_leido, new)},
                  values={"agente": agent, "conversacion": con, "ultimo_leido": hasta})


def mark_read(agent, con, hasta):
    """Move the agent's marker forward to `hasta`; return (marker before, marker after)."""
    before = marker_of(agent, con)
    db.session.execute(marker_upsert(db.session.get_bind().dialect.name, agent, con, hasta))
    after = marker_of(agent, con)
    db.session.commit()
    return before, after


def mark_unread(agent, con):
    """Move the agent's marker back to just before the customer's latest message.

    Returns (the marker now or None, whether there was a message to go back before).
    Never forward: an agent who had read less keeps its marker. A conversation the
    customer never wrote in goes back to before the latest message of someone else.
    """
    unstored = pending.unstored()  # a snapshot, taken before reading the database
    target = last_message_by(con, unstored, Mensaje.de_usuario == con, lambda de: de == con)
    if target is None:
        target = last_message_by(con, unstored, Mensaje.de_usuario != agent, lambda de: de != agent)
    if target is None:
        return None, False
    db.session.execute(update(Lectura)
                       .where(Lectura.agente == agent, Lectura.conversacion == con,
                              Lectura.ultimo_leido > target - 1)
                       .values(ultimo_leido=target - 1))
    db.session.commit()
    return marker_of(agent, con), True


def last_message_by(con, rows, condition, test):
    """The newest id in a conversation among messages whose author passes the test (stored or pending)."""
    stored = db.session.scalar(select(Mensaje.id).where(Mensaje.conversacion == con, condition)
                               .order_by(Mensaje.id.desc()).limit(1))
    ids = [row["id"] for row in pending.matching(rows, con, author=test)]
    return max(ids + ([stored] if stored is not None else []), default=None)


def seen_up_to(con, except_agent=None):
    """The largest marker any agent (but `except_agent`) has in a conversation, or None.

    The agents are taken from the markers' own primary key (agente first), so each
    marker is then one primary-key lookup instead of a scan of every agent's markers.
    """
    agents = select(Lectura.agente).distinct()
    if except_agent is not None:
        agents = agents.where(Lectura.agente != except_agent)
    names = db.session.scalars(agents).all()
    if not names:
        return None
    return db.session.scalar(select(func.max(Lectura.ultimo_leido))
                             .where(Lectura.agente.in_(names), Lectura.conversacion == con))
