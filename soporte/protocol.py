"""The wire vocabulary of docs/protocol.md: event and room names, refusal texts, and the refusal's shape.

Every module that speaks Socket.IO takes its names from here, so a name or a text
is written once and a reader finds the whole protocol in one place.
"""

# events a client sends (each is one row of the event table, soporte.event_table)
CONNECT = "connect"
DISCONNECT = "disconnect"
PRIVATE_MESSAGE = "mensaje_privado"
TYPING = "escribiendo"
FOLLOW_PRESENCE = "seguir_presencia"
MARK_READ = "marcar_leido"
MARK_UNREAD = "marcar_no_leido"
CHANGE_STATUS = "cambiar_estado"
ASSIGN = "asignar_conversacion"
PRIVATE_NOTE = "nota_interna"  # an agent's note in a conversation: agents only, never the customer
EDIT_MESSAGE = "editar_mensaje"  # the author changes the text of their own message, within EDIT_WINDOW
DELETE_MESSAGE = "borrar_mensaje"  # the author deletes their own message, within EDIT_WINDOW

RATE = "valorar_conversacion"  # a customer rates a resolution (a cycle): 1-5 and a comment

# events the server sends (only soporte.realtime.emitter sends them)
MESSAGE_RECEIVED = "mensaje_recibido"
MESSAGE_SENT = "mensaje_enviado"
STATUS_CHANGED = "estado_conversacion"
ASSIGNED = "asignacion"
READ = "leido"
SEEN = "visto"
PRESENCE = "presencia"
SUPPORT_ONLINE = "soporte_en_linea"
SESSION_ENDED = "sesion_terminada"
RESYNCHRONISE = "resincronizar"
CANNED_CHANGED = "respuestas_cambiadas"  # a canned reply created, edited or deleted (REST /api/respuestas)
LABELS = "etiquetas"  # the label catalogue changed (agents only)
CONVERSATION_LABELS = "etiquetas_conversacion"  # a conversation's labels changed (agents only)
CUSTOMER_PROFILE = "perfil_cliente"  # the agents' note on a customer changed (agents only)
NOTE_CREATED = "nota_creada"  # a stored private note, to the agents' room only
MESSAGE_EDITED = "mensaje_editado"  # a message's new text, to the agents and the conversation's customer
MESSAGE_DELETED = "mensaje_eliminado"  # a message deleted (no text), to the agents and the conversation's customer

ASK_RATING = "pedir_valoracion"  # a resolution the customer may rate, to the customer's sockets
RATED = "valoracion"  # a stored rating, to every agent and the customer's own sockets
CUSTOMER_ERASED = "cliente_borrado"  # a customer whose data was erased, to every agent: pages drop them
# TYPING ("escribiendo") goes both ways

# rooms
AGENTS_ROOM = "admins"  # every agent's sockets
PRESENCE_ROOM = "presencia"  # agents that follow presence (seguir_presencia)
CUSTOMERS_ROOM = "clientes"  # customers that follow whether support is online


def user_room(username):
    """The room of every socket of one account."""
    return f"user:{username}"


def token_room(jti):
    """The room of every socket opened with one login token (one browser)."""
    return f"token:{jti}"


MAX_ID = 2**63 - 1  # the largest message id (a signed 64-bit integer)

# refusals that any event may give
ENDED = "Tu sesión ha terminado; vuelve a iniciar sesión"
NO_LONGER_AGENT = "Ya no eres agente de soporte"  # an agent demoted since connecting
AGENTS_ONLY = "Solo para agentes de soporte"  # a customer sending an agents' event (and HTTP 403)
SUPERVISORS_ONLY = "Solo para supervisores"  # an agent sending a supervisors' event (and HTTP 403)
ERASED = "borrada"  # sesion_terminada's motivo for a customer whose data a supervisor erased
TOO_MANY = "Demasiados mensajes; espera un momento"
TOO_MANY_REFUSED = "Demasiados mensajes rechazados; espera un momento"
INTERNAL_ERROR = "Error interno del servidor"
NOT_ALLOWED = "Evento no permitido"  # a reserved or nameless event
NOT_TEXT = "El mensaje contiene caracteres no válidos"
RESTARTING = "El servidor se está reiniciando; inténtalo de nuevo"
NO_NODE = "El servidor no está listo para enviar mensajes; inténtalo de nuevo en unos segundos"
NOT_STORED = "No se pudo guardar el mensaje; inténtalo de nuevo"
NOT_YET_STORED = "El mensaje aún no se ha podido guardar; vuelve a intentarlo en un momento"
# refusals of one event each
READ_NOT_SAVED = "No se pudo guardar la lectura; inténtalo de nuevo"  # marcar_leido, marcar_no_leido
STATUS_AGENTS_ONLY = "Solo los agentes pueden cambiar el estado de una conversación"  # cambiar_estado
STATUS_NOT_SAVED = "No se pudo cambiar el estado; inténtalo de nuevo"  # cambiar_estado
ASSIGN_NOT_SAVED = "No se pudo asignar; inténtalo de nuevo"  # asignar_conversacion
NOTE_NOT_SAVED = "No se pudo guardar la nota; inténtalo de nuevo"  # nota_interna
# editar_mensaje, borrar_mensaje
EDIT_NOT_SAVED = "No se pudo cambiar el mensaje; inténtalo de nuevo"
EDIT_UNKNOWN = "No existe ese mensaje"
EDIT_NOT_AUTHOR = "Solo puedes cambiar tus propios mensajes"
EDIT_TOO_LATE = "Ya no se puede cambiar este mensaje"
EDIT_DELETED = "El mensaje ha sido eliminado"
EDIT_NOTE = "Las notas internas no se pueden editar ni borrar"

# valorar_conversacion
RATING_NOT_YOURS = "Esa conversación no es tuya"  # an agent, another customer's cycle, or no such cycle
RATING_NOT_RESOLVED = "Esa conversación aún no está resuelta"
RATING_ALREADY = "Ya has valorado esta conversación"
RATING_BAD_SCORE = "La puntuación debe ser un número entero del 1 al 5"
RATING_TOO_LONG = "El comentario supera los {max} caracteres"
RATING_NOT_SAVED = "No se pudo guardar la valoración; inténtalo de nuevo"


class Invalid(ValueError):
    """A payload or a sender the server refuses; its message goes back in the acknowledgement."""


def refused(message):
    """The acknowledgement of a socket event that was not accepted."""
    return {"ok": False, "error": message}
