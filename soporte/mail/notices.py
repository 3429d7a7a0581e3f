"""The other emails: a new conversation waiting for agents who opted in, and a customer's transcript."""
import collections
import hashlib

from sqlalchemy import select

from soporte.accounts.display_names import display_names
from soporte.extensions import db
from soporte.mail import compose, outbox
from soporte.models import Conversacion, Mensaje, Usuario

TRANSCRIPT_LIMIT = 2000  # messages in one transcript: the newest ones


class Openings:
    """Conversations this process's storer opened, until the mailer's next round looks at them."""

    def __init__(self):
        self.opened = collections.deque(maxlen=10_000)  # (customer, message id) from the storer's thread

    def heard(self, opened):
        """Chat.opened_listeners: remember the openings (a deque append: the storer does not wait)."""
        self.opened.extend((customer, message_id) for customer, message_id, _reopened in opened)

    def email_agents(self, agents_online):
        """With no agent online, queue for every opted-in agent one email per conversation still waiting; how many."""
        openings = []
        while self.opened:
            openings.append(self.opened.popleft())
        if not openings or agents_online:
            return 0
        agents = db.session.scalars(select(Usuario).where(
            Usuario.rol == "admin", Usuario.activo.is_(True), Usuario.avisos_correo.is_(True),
            Usuario.email.is_not(None))).all()
        waiting = set(db.session.scalars(select(Conversacion.usuario).where(
            Conversacion.usuario.in_({c for c, _ in openings}), Conversacion.esperando_id.is_not(None))).all())
        queued = 0
        for customer, message_id in openings:
            if customer not in waiting:
                continue
            texto = db.session.scalar(select(Mensaje.mensaje).where(Mensaje.id == message_id)) or ""
            texto = compose.message_text(texto)
            nombre = display_names([customer])[customer]
            for agent in agents:
                contenido = compose.new_conversation_email(agent.nombre, agent.idioma, nombre, texto)
                queued += outbox.queue(f"nueva:{customer}:{message_id}:{agent.usuario}", "nueva", agent.email,
                                       compose.language(agent.idioma), contenido, usuario=customer)
        db.session.commit()
        return queued


def address_tag(email):
    """A short fixed-length tag of an address, for keys (an address may be 254 characters)."""
    return hashlib.sha256(email.encode()).hexdigest()[:12]


def queue_transcript(customer):
    """Queue the transcript of a customer's conversation to their address (committed); False if already queued.

    The key is the conversation's newest message: asking again with nothing new sends nothing new.
    """
    rows = db.session.execute(select(Mensaje).where(Mensaje.conversacion == customer.usuario,
                                                    Mensaje.eliminado_en.is_(None))  # deleted: never shown again
                              .order_by(Mensaje.id.desc()).limit(TRANSCRIPT_LIMIT)).scalars().all()[::-1]
    newest = rows[-1].id if rows else 0
    names = display_names(row.de_usuario for row in rows)
    mensajes = [(names[row.de_usuario], compose.when(row.fecha, customer.idioma), compose.message_text(row.mensaje))
                for row in rows]
    contenido = compose.transcript_email(customer, mensajes)
    queued = outbox.queue(f"transcripcion:{customer.usuario}:{newest}:{address_tag(customer.email)}", "transcripcion",
                          customer.email, compose.language(customer.idioma), contenido, usuario=customer.usuario)
    db.session.commit()
    return queued
