"""The team's inbox: assignment, the customer's wait, conversation cycles, supervisors and deactivation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

- conversaciones: `asignado` (the owner, none yet), `esperando_id` (the customer's first
  unanswered message) and `ultimo_agente_id` (the agents' latest reply), both filled from the
  history, `ciclo_id` (the open cycle).
- ciclos: one row per conversation's cycle (opened by a customer's message, resolved by
  an agent). Each existing conversation gets one, from its first message since its last
  status change; a resolved one is closed at that change (its time is the change's id).
- usuarios: `supervisor` (the oldest agent becomes one, so that a team can manage itself
  after the upgrade), `activo` (every existing account stays active), `creado_en`
  (unknown, NULL, for existing accounts), `ausente_desde` (for the assignment's offline sweep).
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
ID_TIME_SHIFT, EPOCH_MS = 12, 1735689600000  # soporte.relay.ids, frozen as of this revision


def id_time(message_id):
    """The naive UTC time an id was issued at."""
    ms = (message_id >> ID_TIME_SHIFT) + EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, timezone.utc).replace(tzinfo=None)


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("supervisor", sa.Boolean(), nullable=False, server_default=sa.false()))
        usuarios.add_column(sa.Column("activo", sa.Boolean(), nullable=False, server_default=sa.true()))
        usuarios.add_column(sa.Column("creado_en", UTC_DATETIME, nullable=True))
        usuarios.add_column(sa.Column("ausente_desde", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("conversaciones") as conversaciones:
        conversaciones.add_column(sa.Column("asignado", sa.String(64), nullable=True))
        conversaciones.add_column(sa.Column("esperando_id", sa.BigInteger(), nullable=True))
        conversaciones.add_column(sa.Column("ultimo_agente_id", sa.BigInteger(), nullable=True))
        conversaciones.add_column(sa.Column("ciclo_id", sa.Integer(), nullable=True))
    op.create_index("ix_conversaciones_asignado_estado_ultimo_id", "conversaciones",
                    ["asignado", "estado", "ultimo_id"])
    op.create_index("ix_conversaciones_estado_esperando_id", "conversaciones", ["estado", "esperando_id"])
    op.create_index("ix_conversaciones_asignado_estado_esperando_id", "conversaciones",
                    ["asignado", "estado", "esperando_id"])
    ciclos = op.create_table(
        "ciclos",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversacion", sa.String(64), nullable=False),
        sa.Column("abierto_id", sa.BigInteger(), nullable=False),
        sa.Column("abierta_en", UTC_DATETIME, nullable=False),
        sa.Column("primera_respuesta_en", UTC_DATETIME, nullable=True),
        sa.Column("primera_respuesta_por", sa.String(64), nullable=True),
        sa.Column("resuelta_en", UTC_DATETIME, nullable=True),
        sa.Column("resuelta_por", sa.String(64), nullable=True),
        sa.Column("asignado", sa.String(64), nullable=True),
        **MYSQL_TABLE,
    )
    op.create_index("ix_ciclos_conversacion_id", "ciclos", ["conversacion", "id"])
    op.create_index("ix_ciclos_abierta_en", "ciclos", ["abierta_en"])
    op.create_index("ix_ciclos_resuelta_en", "ciclos", ["resuelta_en"])
    fill(ciclos)


def fill(ciclos):
    """The oldest agent supervises; each conversation gets its wait and its current cycle."""
    conn = op.get_bind()
    first_agent = conn.execute(sa.text("SELECT MIN(id) FROM usuarios WHERE rol = 'admin'")).scalar()
    if first_agent is not None:
        conn.execute(sa.text("UPDATE usuarios SET supervisor = :yes WHERE id = :id"),
                     {"yes": True, "id": first_agent})
    conn.execute(sa.text(
        "UPDATE conversaciones SET ultimo_agente_id = (SELECT MAX(a.id) FROM mensajes a"
        " WHERE a.conversacion = conversaciones.usuario AND a.de_usuario <> a.conversacion)"))
    conn.execute(sa.text(
        "UPDATE conversaciones SET esperando_id = (SELECT MIN(m.id) FROM mensajes m"
        " WHERE m.conversacion = conversaciones.usuario AND m.de_usuario = m.conversacion"
        " AND m.id > COALESCE(conversaciones.ultimo_agente_id, 0))"))
    rows = conn.execute(sa.text(
        "SELECT c.usuario, c.estado, c.estado_por, c.estado_id,"
        " (SELECT MIN(m.id) FROM mensajes m WHERE m.conversacion = c.usuario"
        "  AND m.id > CASE WHEN c.estado = 'abierta' THEN COALESCE(c.estado_id, 0) ELSE 0 END) AS desde"
        " FROM conversaciones c")).all()
    for usuario, estado, estado_por, estado_id, desde in rows:
        if desde is None:
            continue
        resolved = estado == "resuelta"
        result = conn.execute(ciclos.insert().values(
            conversacion=usuario, abierto_id=desde, abierta_en=id_time(desde),
            resuelta_en=id_time(estado_id) if resolved and estado_id else None,
            resuelta_por=estado_por if resolved else None))
        if not resolved:
            conn.execute(sa.text("UPDATE conversaciones SET ciclo_id = :ciclo WHERE usuario = :usuario"),
                         {"ciclo": result.inserted_primary_key[0], "usuario": usuario})


def downgrade():
    op.drop_table("ciclos")
    op.drop_index("ix_conversaciones_asignado_estado_esperando_id", "conversaciones")
    op.drop_index("ix_conversaciones_estado_esperando_id", "conversaciones")
    op.drop_index("ix_conversaciones_asignado_estado_ultimo_id", "conversaciones")
    with op.batch_alter_table("conversaciones") as conversaciones:
        conversaciones.drop_column("ciclo_id")
        conversaciones.drop_column("ultimo_agente_id")
        conversaciones.drop_column("esperando_id")
        conversaciones.drop_column("asignado")
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_column("ausente_desde")
        usuarios.drop_column("creado_en")
        usuarios.drop_column("activo")
        usuarios.drop_column("supervisor")
