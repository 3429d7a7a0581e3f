"""Database tables: accounts, messages, conversations, agents' private notes and read markers.

The schema is managed by migrations (soporte/migrations): a change here needs a revision.
"""
from datetime import datetime, timezone

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event,
                        false, true)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from soporte.accounts.names import canonical_username
from soporte.extensions import db
from soporte.search_index import FULLTEXT_INDEX, MYSQL_DIALECTS, MYSQL_TEXT_COLLATION, create_sqlite_fts

ROLES = ("admin", "user")
# utf8mb4 for every character a person can type; _bin so that names compare
# exactly as on SQLite (no "Ana" == "ana" surprises on one database only)
MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
# MySQL's plain DATETIME drops microseconds; the emitted fecha must round-trip
UTC_DATETIME = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class Usuario(db.Model):
    """A person who can log in: a customer (`user`) or a support agent (`admin`)."""

    __tablename__ = "usuarios"
    __table_args__ = (
        # look-alike names ("Ana", "ana.") are one name: see soporte/accounts/names.py
        UniqueConstraint("usuario_canonico", name="uq_usuarios_usuario_canonico"),
        UniqueConstraint("externo_id", name="uq_usuarios_externo_id"),  # one customer per website user
        # the mailer's due offline replies: an index range, not a scan of every account
        Index("ix_usuarios_respuesta_pendiente_id", "respuesta_pendiente_id"),
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    usuario: Mapped[str] = mapped_column(String(64), unique=True)
    # set with usuario; None only for a look-alike older than the rule (migration 0004)
    usuario_canonico: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nombre: Mapped[str] = mapped_column(String(128))
    rol: Mapped[str] = mapped_column(String(8), default="user")
    password_hash: Mapped[str] = mapped_column(String(255))
    # an agent's choices: page language (None: the browser's) and how new messages are announced
    idioma: Mapped[str | None] = mapped_column(String(8), nullable=True)
    avisos_sonido: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    avisos_escritorio: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # an agent who also manages the team (invitations, roles, the audit log, reports)
    supervisor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # a deactivated account cannot log in; its messages and conversations stay
    activo: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    creado_en = mapped_column(UTC_DATETIME, nullable=True, default=lambda: utc_now())  # None: older than 0005
    # an agent owning open conversations seen offline since then (soporte.inbox.assignment's sweep)
    ausente_desde = mapped_column(UTC_DATETIME, nullable=True)
    # the login generation: tokens signed with an older one are refused (a password reset or a
    # deactivation ends every login of the account, on every process); see accounts/tokens.py
    generacion: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # an address to write to (soporte/mail/): a customer's when support is offline, an agent's for
    # their opt-in notices (avisos_correo); emails are written in `idioma`
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    avisos_correo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # a customer's offline replies (soporte/mail/replies.py): the newest agent reply waiting to be
    # emailed, and how far replies are seen or emailed already (message ids)
    respuesta_pendiente_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    respuestas_hasta: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # customers the website widget created, with no password, only their token: a guest (invitado,
    # soporte/accounts/guests.py) or a website's verified user (externo_id, their id on that website:
    # the same customer everywhere; soporte/accounts/identity.py)
    invitado: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    externo_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # the website a guest wrote from (one of WIDGET_ORIGINS): their emails send them back there
    sitio: Mapped[str | None] = mapped_column(String(255), nullable=True)

    @validates("usuario")
    def _keep_canonical(self, _key, usuario):
        """Give every new or renamed account the canonical form its uniqueness is checked on."""
        self.usuario_canonico = canonical_username(usuario)
        return usuario

    def set_password(self, password):
        """Store a salted scrypt hash of the password."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password):
        """Tell whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self):
        return self.rol == "admin"


class Mensaje(db.Model):
    """One chat message; `conversacion` is the customer's side of it, for indexes."""

    __tablename__ = "mensajes"
    __table_args__ = (
        # history of one conversation, by id (paging) and the conversation list
        Index("ix_mensajes_conversacion_id", "conversacion", "id"),
        # a client's retry of the same message (its `cid`) is stored once
        UniqueConstraint("de_usuario", "cid", name="uq_mensajes_de_usuario_cid"),
        # search (soporte/search_index.py): InnoDB FULLTEXT; SQLite gets an FTS5 table instead
        Index(FULLTEXT_INDEX, "mensaje", mysql_prefix="FULLTEXT", mariadb_prefix="FULLTEXT")
        .ddl_if(dialect=MYSQL_DIALECTS),
        MYSQL_TABLE,
    )

    # ids come from soporte.relay.ids, never from the database
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    de_usuario: Mapped[str] = mapped_column(String(64))
    para_usuario: Mapped[str] = mapped_column(String(64))
    conversacion: Mapped[str] = mapped_column(String(64))
    # its own collation on MySQL: the FULLTEXT index matches as the column compares
    mensaje: Mapped[str] = mapped_column(
        Text().with_variant(mysql.TEXT(collation=MYSQL_TEXT_COLLATION), *MYSQL_DIALECTS))
    fecha = mapped_column(UTC_DATETIME, nullable=False)  # UTC, naive
    cid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # its author changed its text (the earlier texts are in ediciones_mensaje, for agents)
    editado_en = mapped_column(UTC_DATETIME, nullable=True)
    # its author deleted it: `mensaje` is then empty, its text kept only in ediciones_mensaje
    eliminado_en = mapped_column(UTC_DATETIME, nullable=True)


event.listen(Mensaje.__table__, "after_create", create_sqlite_fts)

ESTADOS = ("abierta", "resuelta")


class Conversacion(db.Model):
    """One customer's conversation: its latest message and its status, kept by the writer.

    The inbox lists these rather than grouping all messages (an index range, not a
    scan of every conversation's messages).
    """

    __tablename__ = "conversaciones"
    __table_args__ = (
        Index("ix_conversaciones_ultimo_id", "ultimo_id"),  # the list, latest activity first
        Index("ix_conversaciones_estado_ultimo_id", "estado", "ultimo_id"),  # one status tab
        # one agent's conversations (Mías) and the pool (asignado NULL), in one status tab
        Index("ix_conversaciones_asignado_estado_ultimo_id", "asignado", "estado", "ultimo_id"),
        # longest waiting first, of all or of one agent (or of the pool)
        Index("ix_conversaciones_estado_esperando_id", "estado", "esperando_id"),
        Index("ix_conversaciones_asignado_estado_esperando_id", "asignado", "estado", "esperando_id"),
        MYSQL_TABLE,
    )

    usuario: Mapped[str] = mapped_column(String(64), primary_key=True)  # the customer
    ultimo_id: Mapped[int] = mapped_column(BigInteger)
    estado: Mapped[str] = mapped_column(String(10), default="abierta", server_default="abierta")
    estado_por: Mapped[str | None] = mapped_column(String(64), nullable=True)  # who last changed it
    estado_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # ultimo_id at that change
    asignado: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the agent who owns it, if any
    # the customer's first message no agent has answered yet (its id tells when): None when answered
    esperando_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ultimo_agente_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the agents' latest reply
    ciclo_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # its open Ciclo, if any


class Ciclo(db.Model):
    """One cycle of a conversation, from the customer's message that opened it to its resolution.

    The reports and the customer's earlier conversations read these (kept by the writer and
    by status changes), never a scan of the messages.
    """

    __tablename__ = "ciclos"
    __table_args__ = (
        Index("ix_ciclos_conversacion_id", "conversacion", "id"),  # a customer's earlier conversations
        Index("ix_ciclos_abierta_en", "abierta_en"),  # opened per day, over a range
        Index("ix_ciclos_resuelta_en", "resuelta_en"),  # resolved per day, times to resolve
        Index("ix_ciclos_primera_respuesta_en", "primera_respuesta_en"),  # first-response times per day
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversacion: Mapped[str] = mapped_column(String(64))  # the customer
    abierto_id: Mapped[int] = mapped_column(BigInteger)  # the message that opened it
    abierta_en = mapped_column(UTC_DATETIME, nullable=False)
    primera_respuesta_en = mapped_column(UTC_DATETIME, nullable=True)  # an agent's first reply in it
    primera_respuesta_por: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resuelta_en = mapped_column(UTC_DATETIME, nullable=True)
    resuelta_por: Mapped[str | None] = mapped_column(String(64), nullable=True)
    asignado: Mapped[str | None] = mapped_column(String(64), nullable=True)  # its assignee when resolved


class Respuesta(db.Model):
    """A canned reply the whole team shares: a short code to find it, and its text.

    Codes are unique without regard to case ("Saludo" and "saludo" are one code):
    `codigo_canonico` holds the folded form the unique index is checked on.
    """

    __tablename__ = "respuestas"
    __table_args__ = (
        UniqueConstraint("codigo_canonico", name="uq_respuestas_codigo_canonico"),
        # an id is never given again, on SQLite too: a page that heard of a deletion may ignore the id
        {**MYSQL_TABLE, "sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    codigo: Mapped[str] = mapped_column(String(32))  # as its author wrote it
    codigo_canonico: Mapped[str] = mapped_column(String(96))  # casefolded: may grow ("ß" -> "ss")
    texto: Mapped[str] = mapped_column(Text)
    creado_por: Mapped[str] = mapped_column(String(64))  # the agent's username
    creado_en = mapped_column(UTC_DATETIME, nullable=False)
    actualizado_por: Mapped[str] = mapped_column(String(64))  # the last to change it (the author at first)
    actualizado_en = mapped_column(UTC_DATETIME, nullable=False)
class Nota(db.Model):
    """An agent's private note in a customer's conversation: read by agents only, never by the customer.

    Its own table, written straight to the database (never through the message writer),
    so a note can reach no customer path and cannot end the customer's wait. Its id comes
    from the messages' generator, so notes and messages interleave by id.
    """

    __tablename__ = "notas"
    __table_args__ = (
        # one conversation's notes by id, merged with its messages page by page
        Index("ix_notas_conversacion_id", "conversacion", "id"),
        # an agent's retry of the same note (its `cid`) is stored once
        UniqueConstraint("autor", "cid", name="uq_notas_autor_cid"),
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    conversacion: Mapped[str] = mapped_column(String(64))  # the customer
    autor: Mapped[str] = mapped_column(String(64))  # the agent who wrote it
    texto: Mapped[str] = mapped_column(Text)
    fecha = mapped_column(UTC_DATETIME, nullable=False)  # UTC, naive
    cid: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EdicionMensaje(db.Model):
    """One edit or deletion of a message by its author: the text before it, for the agents' audit.

    The only place a deleted message's text is kept; never read by a customer's route.
    """

    __tablename__ = "ediciones_mensaje"
    __table_args__ = (
        Index("ix_ediciones_mensaje_mensaje_id", "mensaje_id", "id"),  # one message's history, in order
        Index("ix_ediciones_mensaje_conversacion", "conversacion"),  # a customer's rows (export, erase)
        # a client's retry of the same edit or deletion (its `cid`) is done once
        UniqueConstraint("por", "cid", name="uq_ediciones_mensaje_por_cid"),
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mensaje_id: Mapped[int] = mapped_column(BigInteger)
    conversacion: Mapped[str] = mapped_column(String(64))  # the customer
    accion: Mapped[str] = mapped_column(String(10))  # "editar" or "eliminar"
    texto_anterior: Mapped[str] = mapped_column(Text)
    por: Mapped[str] = mapped_column(String(64))  # the author (only an author may change a message)
    cuando = mapped_column(UTC_DATETIME, nullable=False)
    cid: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Adjunto(db.Model):
    """A file uploaded to a conversation (soporte/files/): its bytes are in the attachment store under `id`.

    An upload belongs to no message (`mensaje_id` NULL) until the writer stores the message
    that carries it; one still unlinked after ATTACHMENT_ORPHAN_AGE is deleted, row and file.
    """

    __tablename__ = "adjuntos"
    __table_args__ = (
        Index("ix_adjuntos_mensaje_id", "mensaje_id"),  # a page of history's attachments
        Index("ix_adjuntos_conversacion", "conversacion"),  # a customer's files: export and erasure
        Index("ix_adjuntos_creado_en", "creado_en"),  # the sweep of old uploads never sent
        MYSQL_TABLE,
    )

    # secrets.token_urlsafe(32): 256 random bits, the key of the file too; unguessable
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    conversacion: Mapped[str] = mapped_column(String(64))  # the customer
    autor: Mapped[str] = mapped_column(String(64))  # who uploaded it
    nombre: Mapped[str] = mapped_column(String(255))  # the original file name, cleaned
    tipo: Mapped[str] = mapped_column(String(100))  # the MIME type found in the content, never the name's
    tamano: Mapped[int] = mapped_column(BigInteger)
    miniatura: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    creado_en = mapped_column(UTC_DATETIME, nullable=False)
    mensaje_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Lectura(db.Model):
    """How far one agent has read one conversation (the id of the last message read)."""

    __tablename__ = "lecturas"
    __table_args__ = (MYSQL_TABLE,)

    agente: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversacion: Mapped[str] = mapped_column(String(64), primary_key=True)
    ultimo_leido: Mapped[int] = mapped_column(BigInteger)


class Etiqueta(db.Model):
    """A label agents put on conversations (soporte/inbox/labels.py): a name and a colour."""

    __tablename__ = "etiquetas"
    __table_args__ = (
        # "Urgente" and "URGENTE" are one label: the name's folded form is unique (utf8mb4_bin compares exactly)
        UniqueConstraint("nombre_canonico", name="uq_etiquetas_nombre_canonico"),
        # a deleted label's id is never given to a new one (a page that held it must not show the new one)
        {**MYSQL_TABLE, "sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    nombre: Mapped[str] = mapped_column(String(40))
    nombre_canonico: Mapped[str] = mapped_column(String(160))  # labels.canonical_name(nombre); casefold may lengthen it
    color: Mapped[str] = mapped_column(String(7))  # "#rrggbb", lower case
    creada_por: Mapped[str | None] = mapped_column(String(64), nullable=True)
    creada_en = mapped_column(UTC_DATETIME, nullable=True, default=lambda: utc_now())


class ConversacionEtiqueta(db.Model):
    """One label on one customer's conversation."""

    __tablename__ = "conversacion_etiquetas"
    __table_args__ = (
        # the list filtered by a label: every conversation with it, from the index alone
        Index("ix_conversacion_etiquetas_etiqueta_conversacion", "etiqueta_id", "conversacion"),
        MYSQL_TABLE,
    )

    conversacion: Mapped[str] = mapped_column(String(64), primary_key=True)  # the customer
    # MariaDB removes it with its label; SQLite (no foreign keys enforced) has labels.delete_label do it
    etiqueta_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("etiquetas.id", name="fk_conversacion_etiquetas_etiqueta", ondelete="CASCADE"),
        primary_key=True)


class PerfilCliente(db.Model):
    """The agents' shared note on a customer (the customer panel); never shown to the customer."""

    __tablename__ = "perfiles_cliente"
    __table_args__ = (MYSQL_TABLE,)

    usuario: Mapped[str] = mapped_column(String(64), primary_key=True)  # the customer
    nota: Mapped[str] = mapped_column(Text)
    editado_por: Mapped[str] = mapped_column(String(64))
    editado_en = mapped_column(UTC_DATETIME, nullable=False)
class Invitacion(db.Model):
    """A one-time link for an agent to set a password: an invitation or a supervisor's reset.

    Only the SHA-256 of the link's token is kept: a copy of the database opens no account.
    """

    __tablename__ = "invitaciones"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_invitaciones_token_hash"),
        Index("ix_invitaciones_usuario", "usuario"),  # an account's links, to retire the older ones
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))  # hex SHA-256 of the link's token
    usuario: Mapped[str] = mapped_column(String(64))  # the agent who sets the password
    tipo: Mapped[str] = mapped_column(String(16))  # "invitacion" or "restablecer"
    creada_por: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the supervisor
    creada_en = mapped_column(UTC_DATETIME, nullable=False)
    expira_en = mapped_column(UTC_DATETIME, nullable=False)
    usada_en = mapped_column(UTC_DATETIME, nullable=True)  # set once: the link works once


class Auditoria(db.Model):
    """One change to the team, for the supervisors' audit log: who did what to whom, and when."""

    __tablename__ = "auditoria"
    __table_args__ = (
        Index("ix_auditoria_cuando", "cuando"),  # the log, newest first
        Index("ix_auditoria_objetivo_cuando", "objetivo", "cuando"),  # one agent's entries: done to them
        Index("ix_auditoria_actor_cuando", "actor", "cuando"),  # and done by them
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cuando = mapped_column(UTC_DATETIME, nullable=False)
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: the command line
    accion: Mapped[str] = mapped_column(String(32))  # a code of soporte.audit.ACTIONS
    objetivo: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the account changed
    detalle: Mapped[str | None] = mapped_column(Text, nullable=True)  # small JSON object


class ClienteBorrado(db.Model):
    """A tombstone: a customer erased (soporte/privacy/erase.py), so that their rows still in a spool are dropped.

    Another process's spool may hold messages acknowledged before the erase; the storer drops
    the rows of a conversation it does not find in `conversaciones` whose tombstone covers
    their id. Only the SHA-256 of the username is kept (no name), and only ids up to `hasta_id`
    are dropped: a new account that takes the name later is not affected.
    """

    __tablename__ = "clientes_borrados"
    __table_args__ = (MYSQL_TABLE,)

    usuario_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex SHA-256 of the username
    hasta_id: Mapped[int] = mapped_column(BigInteger)  # rows with an id up to this are the erased customer's
    borrado_en = mapped_column(UTC_DATETIME, nullable=False)


class HorarioIntervalo(db.Model):
    """One interval of business hours on one weekday, in the business time zone's wall-clock minutes.

    A day may have several (09:00-14:00 and 16:00-19:00); with none at all support is always
    open (soporte/hours/rules.py). The end is exclusive: 09:00-14:00 closes at 14:00 sharp.
    """

    __tablename__ = "horario_intervalos"
    __table_args__ = (MYSQL_TABLE,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dia: Mapped[int] = mapped_column(Integer)  # 0 Monday .. 6 Sunday (date.weekday())
    inicio: Mapped[int] = mapped_column(Integer)  # minutes after local midnight, 0..1439
    fin: Mapped[int] = mapped_column(Integer)  # minutes after local midnight, inicio+1..1440 (exclusive)


class Festivo(db.Model):
    """A holiday: a local date of the business time zone on which support is closed all day."""

    __tablename__ = "festivos"
    __table_args__ = (MYSQL_TABLE,)

    fecha = mapped_column(Date, primary_key=True)
    nombre: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Ajuste(db.Model):
    """One setting that supervisors change on a page (the business time zone: `horario_zona`)."""

    __tablename__ = "ajustes"
    __table_args__ = (MYSQL_TABLE,)

    clave: Mapped[str] = mapped_column(String(64), primary_key=True)
    valor: Mapped[str] = mapped_column(String(255))


class Valoracion(db.Model):
    """A customer's rating of one resolution (a cycle): 1 to 5 and an optional comment, once per cycle."""

    __tablename__ = "valoraciones"
    __table_args__ = (
        UniqueConstraint("ciclo_id", name="uq_valoraciones_ciclo_id"),  # one rating per resolution
        Index("ix_valoraciones_fecha", "fecha"),  # the reports' range of days
        Index("ix_valoraciones_conversacion_id", "conversacion", "id"),  # a customer's ratings, newest first
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ciclo_id: Mapped[int] = mapped_column(Integer)
    conversacion: Mapped[str] = mapped_column(String(64))  # the customer
    agente: Mapped[str | None] = mapped_column(String(64), nullable=True)  # credited: the cycle's assignee or last agent
    puntuacion: Mapped[int] = mapped_column(Integer)  # 1..5
    comentario: Mapped[str | None] = mapped_column(Text, nullable=True)
    fecha = mapped_column(UTC_DATETIME, nullable=False)


CORREO_ESTADOS = ("pendiente", "enviando", "enviado", "fallido")


class Correo(db.Model):
    """One email in the outbox (soporte/mail/outbox.py): queued in a transaction, sent by the mailer.

    `clave` makes queuing idempotent (the same notice queued twice is one row); `id` gives
    the stable Message-ID every attempt carries, so a resend after a crash is recognisable.
    """

    __tablename__ = "correos"
    __table_args__ = (
        UniqueConstraint("clave", name="uq_correos_clave"),
        Index("ix_correos_estado_proximo_intento", "estado", "proximo_intento"),  # the due ones
        Index("ix_correos_usuario", "usuario"),  # a customer's emails, for export and erasure
        MYSQL_TABLE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clave: Mapped[str] = mapped_column(String(190))
    tipo: Mapped[str] = mapped_column(String(16))  # respuestas, nueva, transcripcion
    usuario: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the customer it concerns
    para: Mapped[str] = mapped_column(String(254))
    idioma: Mapped[str] = mapped_column(String(8))
    asunto: Mapped[str] = mapped_column(String(255))
    texto: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    estado: Mapped[str] = mapped_column(String(10), default="pendiente", server_default="pendiente")
    intentos: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    proximo_intento = mapped_column(UTC_DATETIME, nullable=False)
    bloqueado_hasta = mapped_column(UTC_DATETIME, nullable=True)  # the lease of the sender that claimed it
    reclamado_por: Mapped[str | None] = mapped_column(String(32), nullable=True)  # that claim's random token
    ultimo_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    creado_en = mapped_column(UTC_DATETIME, nullable=False)
    enviado_en = mapped_column(UTC_DATETIME, nullable=True)


def utc_now():
    """Now, as the naive UTC datetime every column holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso_utc(fecha):
    """Format a naive UTC datetime as the protocol's ISO 8601 with a Z (microseconds always present)."""
    return fecha.isoformat(timespec="microseconds") + "Z"  # a quarter of strftime's cost, once per message


def message_json(row, viewer=None):
    """The protocol's message object for a stored row (or a dict with its columns).

    The viewer's own messages carry their `cid` too: a page that lost a message's ack
    recognises the message when history brings it back, instead of showing it twice.
    """
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k, None)
    message = {
        "id": get("id"),
        "de_usuario": get("de_usuario"),
        "para_usuario": get("para_usuario"),
        "mensaje": get("mensaje"),
        "fecha": iso_utc(get("fecha")),
    }
    if viewer is not None and message["de_usuario"] == viewer and get("cid"):
        message["cid"] = get("cid")
    changed(message, get)
    if isinstance(row, dict) and row.get("adjuntos"):  # an unstored row; stored ones get theirs from their table
        message["adjuntos"] = row["adjuntos"]
    return message


def changed(message, get):
    """Add editado_en / eliminado_en to a message object when its author changed it (rows may lack them)."""
    for column in ("editado_en", "eliminado_en"):
        when = get(column)
        if when is not None:
            message[column] = iso_utc(when)
    if "eliminado_en" in message:
        message["mensaje"] = ""  # never the text, whatever a caller's row held
