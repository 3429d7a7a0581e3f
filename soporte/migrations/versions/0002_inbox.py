"""The agents' inbox: conversations with status, per-agent read markers, agents' preferences.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing messages are kept as they are; each conversation gets its row (open, its
latest message), and every existing agent starts with every existing conversation
read: before this revision unread marks lived only in the page, so nothing is lost,
and an upgraded inbox does not greet its agents with years of old badges.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("idioma", sa.String(8), nullable=True))
        usuarios.add_column(sa.Column("avisos_sonido", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        usuarios.add_column(sa.Column("avisos_escritorio", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        "conversaciones",
        sa.Column("usuario", sa.String(64), primary_key=True),
        sa.Column("ultimo_id", sa.BigInteger(), nullable=False),
        sa.Column("estado", sa.String(10), nullable=False, server_default="abierta"),
        sa.Column("estado_por", sa.String(64), nullable=True),
        sa.Column("estado_id", sa.BigInteger(), nullable=True),
        **MYSQL_TABLE,
    )
    op.create_index("ix_conversaciones_ultimo_id", "conversaciones", ["ultimo_id"])
    op.create_index("ix_conversaciones_estado_ultimo_id", "conversaciones", ["estado", "ultimo_id"])
    op.create_table(
        "lecturas",
        sa.Column("agente", sa.String(64), primary_key=True),
        sa.Column("conversacion", sa.String(64), primary_key=True),
        sa.Column("ultimo_leido", sa.BigInteger(), nullable=False),
        **MYSQL_TABLE,
    )
    op.execute("INSERT INTO conversaciones (usuario, ultimo_id, estado) "
               "SELECT conversacion, MAX(id), 'abierta' FROM mensajes GROUP BY conversacion")
    op.execute("INSERT INTO lecturas (agente, conversacion, ultimo_leido) "
               "SELECT u.usuario, c.usuario, c.ultimo_id FROM usuarios u, conversaciones c "
               "WHERE u.rol = 'admin'")


def downgrade():
    op.drop_table("lecturas")
    op.drop_table("conversaciones")
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_column("avisos_escritorio")
        usuarios.drop_column("avisos_sonido")
        usuarios.drop_column("idioma")
