"""The only sender of Socket.IO events: one named function per thing the server tells clients.

Handlers, the writer and presence call these; none of them calls Socket.IO's emit,
so every event a client can receive, and the rooms it goes to, are listed here.
"""
import logging

import socketio as python_socketio

from soporte.extensions import socketio
from soporte.protocol import (AGENTS_ROOM, ASK_RATING, ASSIGNED, CANNED_CHANGED, CONVERSATION_LABELS, CUSTOMERS_ROOM,
                              CUSTOMER_ERASED, CUSTOMER_PROFILE, LABELS, MESSAGE_DELETED, MESSAGE_EDITED,
                              MESSAGE_RECEIVED, MESSAGE_SENT, NOTE_CREATED, PRESENCE, PRESENCE_ROOM, RATED, READ,
                              RESYNCHRONISE, SEEN, SESSION_ENDED, STATUS_CHANGED, SUPPORT_ONLINE, TYPING, user_room)


log = logging.getLogger(__name__)


def deliver(sender, payload):
    """A relayed message to its recipients, one copy per socket, and copies to the sender's side."""
    emit, sid = socketio.server.emit, sender.sid
    if sender.rol == "admin":
        emit(MESSAGE_RECEIVED, payload, to=user_room(payload["para"]))
        # the other agents, and this agent's other tabs, see the reply
        emit(MESSAGE_SENT, payload, to=AGENTS_ROOM, skip_sid=sid)
    else:
        # a list of rooms reaches each socket once, even an agent named like the inbox
        emit(MESSAGE_RECEIVED, payload, to=[AGENTS_ROOM, user_room(payload["para"])])
        own_room = user_room(sender.user)
        if not alone_in(own_room, sid):  # most customers have one tab: skip encoding for nobody
            emit(MESSAGE_SENT, payload, to=own_room, skip_sid=sid)


def alone_in(room, sid):
    """Whether sid is the room's only socket anywhere: in this process, with no queue to others."""
    manager = socketio.server.manager
    if isinstance(manager, python_socketio.PubSubManager):
        return False  # other processes may hold the room's other sockets
    members = manager.rooms.get("/", {}).get(room)
    return members is not None and len(members) == 1 and sid in members


def relay_typing(typist, payload, to_customer):
    """escribiendo to the agents (and to the customer, from an agent), never to the typist's tabs here."""
    rooms = [AGENTS_ROOM, user_room(to_customer)] if to_customer else AGENTS_ROOM
    # tabs on other processes drop events `de` themselves
    socketio.server.emit(TYPING, payload, to=rooms, skip_sid=local_sockets(user_room(typist.user)))


def announce_status(customer, estado, por, estado_id):
    """A conversation's new status, to every agent."""
    socketio.server.emit(STATUS_CHANGED, {"usuario": customer, "estado": estado, "por": por, "id": estado_id},
                         to=AGENTS_ROOM)


def announce_assignment(customer, asignado, por, anterior):
    """A conversation's new assignee (None: back to the pool; por None: the automatic assigner), to every agent."""
    socketio.server.emit(ASSIGNED, {"usuario": customer, "asignado": asignado, "por": por, "anterior": anterior},
                         to=AGENTS_ROOM)


def announce_reopened(reopened):
    """Conversations the writer reopened (a customer wrote again): each one's new status, to every agent."""
    for customer, message_id in reopened:
        announce_status(customer, "abierta", customer, message_id)


def announce_canned(accion, respuesta, por):
    """A canned reply created, edited or deleted (accion), to every agent: no picker goes stale."""
    socketio.server.emit(CANNED_CHANGED, {"accion": accion, "respuesta": respuesta, "por": por}, to=AGENTS_ROOM)


def announce_labels(catalogue):
    """The whole label catalogue after a label was created, renamed, recoloured or deleted, to every agent."""
    socketio.server.emit(LABELS, {"etiquetas": catalogue}, to=AGENTS_ROOM)


def announce_conversation_labels(customer, label_ids):
    """A conversation's labels after one was put on or taken off, to every agent."""
    socketio.server.emit(CONVERSATION_LABELS, {"usuario": customer, "etiquetas": label_ids}, to=AGENTS_ROOM)


def announce_customer_note(customer, nota):
    """The agents' note on a customer after an agent edited it (None: cleared), to every agent."""
    socketio.server.emit(CUSTOMER_PROFILE, {"usuario": customer, "nota": nota}, to=AGENTS_ROOM)


def announce_note(note, skip_sid=None):
    """A stored private note, to the agents' room only: never to a customer's room."""
    socketio.server.emit(NOTE_CREATED, note, to=AGENTS_ROOM, skip_sid=skip_sid)


def announce_edited(customer, message_id, mensaje, editado_en, por):
    """A message's new text, to every agent and the conversation's customer (the author's tabs among them)."""
    socketio.server.emit(MESSAGE_EDITED, {"id": message_id, "usuario": customer, "mensaje": mensaje,
                                          "editado_en": editado_en, "por": por},
                         to=[AGENTS_ROOM, user_room(customer)])


def announce_deleted(customer, message_id, eliminado_en, por):
    """A deleted message (its id, never its text), to every agent and the conversation's customer."""
    socketio.server.emit(MESSAGE_DELETED, {"id": message_id, "usuario": customer, "eliminado_en": eliminado_en,
                                           "por": por}, to=[AGENTS_ROOM, user_room(customer)])


def announce_erased(customer):
    """A customer whose data a supervisor erased, to every agent: their pages drop the conversation."""
    socketio.server.emit(CUSTOMER_ERASED, {"usuario": customer}, to=AGENTS_ROOM)


def ask_rating(customer, ciclo):
    """A resolution the customer may rate (its cycle), to the customer's sockets."""
    socketio.server.emit(ASK_RATING, {"ciclo": ciclo}, to=user_room(customer))


def announce_rating(rating):
    """A stored rating, to every agent and to the customer's own tabs (each one's prompt closes)."""
    socketio.server.emit(RATED, rating, to=[AGENTS_ROOM, user_room(rating["usuario"])])


def tell_read(agent, state):
    """An agent's read marker of one conversation, to all that agent's tabs."""
    socketio.server.emit(READ, state, to=user_room(agent))


def tell_seen(customer, hasta):
    """How far the agents have read, to the customer."""
    socketio.server.emit(SEEN, {"hasta": hasta}, to=user_room(customer))


def announce_presence(rol, user, en_linea, n):
    """One account came online or went; n is how many of that role are online after it."""
    emit = socketio.server.emit
    emit(PRESENCE, {"usuario": user, "en_linea": en_linea, "rol": rol}, to=PRESENCE_ROOM)
    # the first agent on, or the last off: customers learn whether support is there
    if rol == "admin" and n == (1 if en_linea else 0):
        emit(SUPPORT_ONLINE, {"en_linea": en_linea}, to=CUSTOMERS_ROOM)


def end_session(sid, reason):
    """Tell one local socket why its login ended, then disconnect it."""
    log.info("closing sid=%s: %s", sid, reason)
    socketio.server.emit(SESSION_ENDED, {"motivo": reason}, to=sid, ignore_queue=True)
    socketio.server.disconnect(sid, namespace="/", ignore_queue=True)


def end_account(username, reason):
    """Close every socket of an account on every process: this one's at once, the others' when the queue brings it.

    Other processes also forget the account's cached role; reason None closes nothing and only
    does that (an account reactivated). A process of an earlier version ignores the queue's
    message; its sweep closes the sockets within TOKEN_SWEEP_INTERVAL, once the role directory
    says the login has ended.
    """
    if reason is not None:
        end_account_here(username, reason)
    tell_others = getattr(socketio.server.manager, "end_account", None)  # only the Redis queue has it
    if tell_others is not None:
        tell_others(username, reason)


def end_account_here(username, reason):
    """Close this process's sockets of an account, each told why (sesion_terminada)."""
    for sid in local_sockets(user_room(username)):
        end_session(sid, reason)


def resynchronise_local(manager):
    """Ask this process's sockets (only: the others missed nothing) to catch up over REST."""
    python_socketio.Manager.emit(manager, RESYNCHRONISE, {}, namespace="/")


def join(sid, *rooms):
    """Put a socket in rooms, so the events above reach it."""
    for room in rooms:
        socketio.server.enter_room(sid, room, namespace="/")


def local_sockets(room):
    """The sids of a room's sockets on this process."""
    try:
        return [sid for sid, _ in socketio.server.manager.get_participants("/", room)]
    except KeyError:  # no such room here any more
        return []
