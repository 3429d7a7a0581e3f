"""Agent management: one-time links to set a password, the audit log, and login generations.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

- usuarios: `generacion` (0 for every account: tokens signed before it carry none and count as 0).
- invitaciones: a link's token hash (SHA-256), its account, kind, expiry and use.
- auditoria: who changed what in the team, and when (indexed by time, and by the account changed or changing, and time).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("generacion", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "invitaciones",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("usuario", sa.String(64), nullable=False),
        sa.Column("tipo", sa.String(16), nullable=False),
        sa.Column("creada_por", sa.String(64), nullable=True),
        sa.Column("creada_en", UTC_DATETIME, nullable=False),
        sa.Column("expira_en", UTC_DATETIME, nullable=False),
        sa.Column("usada_en", UTC_DATETIME, nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_invitaciones_token_hash"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_invitaciones_usuario", "invitaciones", ["usuario"])
    op.create_table(
        "auditoria",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("cuando", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("accion", sa.String(32), nullable=False),
        sa.Column("objetivo", sa.String(64), nullable=True),
        sa.Column("detalle", sa.Text(), nullable=True),
        **MYSQL_TABLE,
    )
    op.create_index("ix_auditoria_cuando", "auditoria", ["cuando"])
    op.create_index("ix_auditoria_objetivo_cuando", "auditoria", ["objetivo", "cuando"])
    op.create_index("ix_auditoria_actor_cuando", "auditoria", ["actor", "cuando"])


def downgrade():
    op.drop_table("auditoria")
    op.drop_table("invitaciones")
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_column("generacion")
