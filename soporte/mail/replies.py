"""Offline replies: an agent's replies a customer has not seen are emailed after REPLY_EMAIL_DELAY, one email per burst.

Nothing is added to the message path. The mailer's round reads the messages stored since its
last round (a primary-key range: every message is read once per process that holds the
mailer's lock, never a scan of a conversation) and notes on the customer's account the newest
agent reply (usuarios.respuesta_pendiente_id; only accounts with an address). A later reply
moves it forward, so a burst is one email. Once the newest reply is REPLY_EMAIL_DELAY old
(an index range on that column), the replies after usuarios.respuestas_hasta go out in one
email, queued in the outbox in the same transaction that moves respuestas_hasta on.

Seen, and not emailed: a customer online at that moment sees the replies live; a customer who
goes offline has seen everything sent until then (the presence listener notes the time, and
the next round of this process moves respuestas_hasta there). A visit shorter than a round
whose offline transition another process announced and which then died is the one way to get
an email for replies already seen.
"""
import collections
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select, update

from soporte.accounts.display_names import display_names
from soporte.extensions import db
from soporte.mail import compose, outbox
from soporte.models import Mensaje, Usuario
from soporte.relay.ids import first_id_at

LOOKBACK = 600  # seconds: how far back a process that has not scanned (a new one) reads messages
STORE_LAG = 10  # seconds: messages newer than this may still be on their way into the database
MAX_REPLIES = 50  # replies in one email; the link leads to the rest


def id_at(seconds_ago):
    """The smallest message id that can be assigned at `seconds_ago` seconds before now."""
    return first_id_at(datetime.now(timezone.utc) - timedelta(seconds=seconds_ago))


class ReplyScan:
    """One process's reading position in the messages, and the customers it saw go offline."""

    def __init__(self):
        self.cursor = None  # messages up to this id are noted
        self.store_lag = STORE_LAG
        self.gone = collections.deque()  # (customer, id at the moment they went offline), from presence

    def customer_left(self, rol, user, en_linea):
        """Presence listener: a customer went offline, having seen every reply sent until now."""
        if rol == "user" and not en_linea:
            self.gone.append((user, id_at(0)))

    def note_seen(self):
        """Move respuestas_hasta of the customers who went offline to that moment; drop what they saw."""
        while self.gone:
            user, seen = self.gone.popleft()
            db.session.execute(update(Usuario).where(
                Usuario.usuario == user, Usuario.email.is_not(None),
                func.coalesce(Usuario.respuestas_hasta, 0) < seen).values(respuestas_hasta=seen))
            db.session.execute(update(Usuario).where(
                Usuario.usuario == user, Usuario.respuesta_pendiente_id <= seen).values(respuesta_pendiente_id=None))
        db.session.commit()

    def note_replies(self, unstored_ids=()):
        """Note the newest agent reply of each conversation among the messages stored since the last round."""
        until = id_at(self.store_lag)
        if unstored_ids:  # this process's writer still holds these: read no further than the oldest
            until = min(until, min(unstored_ids) - 1)
        since = max(self.cursor or 0, id_at(LOOKBACK))
        if until <= since:
            return 0
        newest = db.session.execute(
            select(Mensaje.conversacion, func.max(Mensaje.id))
            .where(Mensaje.id > since, Mensaje.id <= until, Mensaje.de_usuario != Mensaje.conversacion)
            .group_by(Mensaje.conversacion)).all()
        # one query for who can be emailed at all: most customers give no address, and an UPDATE
        # per conversation every round cost the event loop a round trip per busy conversation
        addressed = set(db.session.scalars(select(Usuario.usuario).where(
            Usuario.usuario.in_([con for con, _ in newest]), Usuario.rol == "user", Usuario.email.is_not(None))))
        for con, reply in newest:
            if con not in addressed:
                continue
            db.session.execute(update(Usuario).where(
                Usuario.usuario == con, Usuario.email.is_not(None),
                func.coalesce(Usuario.respuestas_hasta, 0) < reply,
                func.coalesce(Usuario.respuesta_pendiente_id, 0) < reply).values(respuesta_pendiente_id=reply))
        db.session.commit()
        self.cursor = until
        return len(newest)

    def email_due(self, online_customers):
        """Queue one email per customer whose newest unseen reply is REPLY_EMAIL_DELAY old; how many."""
        due_before = id_at(current_app.config["REPLY_EMAIL_DELAY"])
        customers = db.session.execute(select(Usuario).where(
            Usuario.respuesta_pendiente_id.is_not(None), Usuario.respuesta_pendiente_id <= due_before)
            .order_by(Usuario.respuesta_pendiente_id).limit(200)).scalars().all()
        queued = 0
        for customer in customers:
            newest = customer.respuesta_pendiente_id
            if customer.usuario not in online_customers and customer.email:
                queued += queue_replies(customer, newest)
            customer.respuestas_hasta = max(customer.respuestas_hasta or 0, newest)
            customer.respuesta_pendiente_id = None
            db.session.commit()  # the email and the marker together: queued once, never lost
        return queued


def queue_replies(customer, newest):
    """Queue the replies after the customer's respuestas_hasta, up to `newest`, as one email; 1 if queued."""
    rows = db.session.execute(select(Mensaje).where(
        Mensaje.conversacion == customer.usuario, Mensaje.id > (customer.respuestas_hasta or 0),
        Mensaje.id <= newest, Mensaje.de_usuario != customer.usuario,
        Mensaje.eliminado_en.is_(None))  # a reply its author deleted is not sent
        .order_by(Mensaje.id.desc()).limit(MAX_REPLIES)).scalars().all()[::-1]
    if not rows:
        return 0
    names = display_names(row.de_usuario for row in rows)
    mensajes = [(names[row.de_usuario], compose.when(row.fecha, customer.idioma), compose.message_text(row.mensaje))
                for row in rows]
    contenido = compose.replies_email(customer, mensajes)
    return int(outbox.queue(f"respuestas:{customer.usuario}:{newest}", "respuestas", customer.email,
                            compose.language(customer.idioma), contenido, usuario=customer.usuario))


def unstored_ids(writer):
    """The ids this process's writer has accepted and not stored yet."""
    return [row["id"] for row in writer.pending_rows(None)]


