"""The in-memory order of conversations behind /api/usuarios-conversaciones, against the database's."""
import random
import time

from sqlalchemy import func, select

from soporte.extensions import db
from soporte.models import Mensaje
from soporte.relay.writer import store
from soporte.relay.recent import FULL_REFRESH, OVERLAP, RecentConversations


def row(message_id, customer, fecha):
    return {"id": message_id, "de_usuario": customer, "para_usuario": "admin", "conversacion": customer,
            "mensaje": "m", "fecha": fecha, "cid": None}


def database_order():
    """Customers by their latest message, newest first, straight from the messages."""
    latest = func.max(Mensaje.id)
    return db.session.scalars(select(Mensaje.conversacion).group_by(Mensaje.conversacion)
                              .order_by(latest.desc())).all()


def test_the_order_follows_every_store_and_merges_pending_rows(app):
    """After each batch of stores (in random conversations) the order is the database's."""
    ids = app.extensions["soporte"].ids
    recent = RecentConversations()
    randomness = random.Random(7)
    with app.app_context():
        for _ in range(30):
            batch = []
            for _ in range(randomness.randint(1, 5)):
                message_id, fecha = ids.next()
                batch.append(row(message_id, f"c{randomness.randrange(12)}", fecha))
            store(db.session, batch)
            db.session.commit()
            assert recent.names(db.session) == database_order()
        # a pending row (delivered, not stored) moves its conversation to the top
        message_id, fecha = ids.next()
        last = database_order()[-1]
        assert recent.names(db.session, [row(message_id, last, fecha)])[0] == last
        assert recent.names(db.session)[-1] == last  # and only for that answer


def test_a_store_that_comes_later_than_the_overlap_is_found_by_the_next_full_read(app):
    """A message stored long after it was sent (the database was away) is not missed for long."""
    ids = app.extensions["soporte"].ids
    recent = RecentConversations()
    with app.app_context():
        old_id, old_fecha = ids.next()
        late = row(old_id - 2 * OVERLAP, "tarde", old_fecha)  # sent long before, stored only now
        new_id, new_fecha = ids.next()
        store(db.session, [row(new_id, "ana", new_fecha)])
        db.session.commit()
        assert recent.names(db.session) == ["ana"]
        store(db.session, [late])
        db.session.commit()
        assert recent.names(db.session) == ["ana"]  # outside the range read between full reads
        recent._full_at = time.monotonic() - FULL_REFRESH - 1  # as if a minute had passed
        assert recent.names(db.session) == ["ana", "tarde"]
