"""The event table: every Socket.IO event a client may send, its handler, and who may send it.

The factory binds this table once per app (soporte.realtime.binder); no module registers a
handler of its own. Adding an event is adding a row (docs/architecture.md).
"""
from soporte.inbox import assignment, conversations, edits, notes, ratings, reading_events
from soporte.presence import online, typing
from soporte.protocol import (AGENTS_ONLY, ASSIGN, ASSIGN_NOT_SAVED, CHANGE_STATUS, CONNECT, DELETE_MESSAGE,
                              DISCONNECT, EDIT_MESSAGE, EDIT_NOT_SAVED, FOLLOW_PRESENCE, MARK_READ, MARK_UNREAD,
                              NOTE_NOT_SAVED, PRIVATE_MESSAGE, PRIVATE_NOTE, RATE, RATING_NOT_SAVED, READ_NOT_SAVED,
                              STATUS_AGENTS_ONLY, STATUS_NOT_SAVED, TYPING)
from soporte.realtime import connection
from soporte.realtime.binder import Event
from soporte.relay import accept

EVENTS = (
    # the handshake and its end: given the sid and the handshake's environ (cookies) or the reason
    Event(CONNECT, connection.on_connect, handshake=True),
    Event(DISCONNECT, connection.on_disconnect, handshake=True),
    # limited: a refused payload spends the socket's allowance of refusals
    Event(PRIVATE_MESSAGE, accept.relay, limited=True),
    Event(TYPING, typing.relay_typing, limited=True),
    Event(FOLLOW_PRESENCE, online.follow),
    Event(MARK_READ, reading_events.marcar_leido, agents_only=AGENTS_ONLY, not_saved=READ_NOT_SAVED),
    Event(MARK_UNREAD, reading_events.marcar_no_leido, agents_only=AGENTS_ONLY, not_saved=READ_NOT_SAVED),
    Event(CHANGE_STATUS, conversations.on_cambiar_estado, agents_only=STATUS_AGENTS_ONLY, not_saved=STATUS_NOT_SAVED),
    Event(ASSIGN, assignment.on_asignar, agents_only=AGENTS_ONLY, not_saved=ASSIGN_NOT_SAVED),
    # a private note: its own table, committed before the ack, never through the message writer
    Event(PRIVATE_NOTE, notes.on_nota_interna, limited=True, agents_only=AGENTS_ONLY, not_saved=NOTE_NOT_SAVED),
    # the author's own message, within EDIT_WINDOW: changed in place, the earlier text audited for agents
    Event(EDIT_MESSAGE, edits.on_editar_mensaje, limited=True, not_saved=EDIT_NOT_SAVED),
    Event(DELETE_MESSAGE, edits.on_borrar_mensaje, limited=True, not_saved=EDIT_NOT_SAVED),
    # a customer's rating of a resolution: once per cycle (unique in valoraciones)
    Event(RATE, ratings.on_valorar, limited=True, not_saved=RATING_NOT_SAVED),
)
