"""The core service's schema (accounts and messages), as `init-db` created it.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

A database made by the core service's `init-db` (create_all, no alembic_version)
already has these tables: they are created only where missing, so `db upgrade`
takes such a database forward without a manual `stamp`.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    existing = sa.inspect(op.get_bind()).get_table_names()
    if "usuarios" not in existing:
        op.create_table(
            "usuarios",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("usuario", sa.String(64), nullable=False, unique=True),
            sa.Column("nombre", sa.String(128), nullable=False),
            sa.Column("rol", sa.String(8), nullable=False),
            sa.Column("password_hash", sa.String(255), nullable=False),
            **MYSQL_TABLE,
        )
    if "mensajes" not in existing:
        op.create_table(
            "mensajes",
            sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
            sa.Column("de_usuario", sa.String(64), nullable=False),
            sa.Column("para_usuario", sa.String(64), nullable=False),
            sa.Column("conversacion", sa.String(64), nullable=False),
            sa.Column("mensaje", sa.Text(), nullable=False),
            sa.Column("fecha", UTC_DATETIME, nullable=False),
            sa.Column("cid", sa.String(64), nullable=True),
            sa.UniqueConstraint("de_usuario", "cid", name="uq_mensajes_de_usuario_cid"),
            **MYSQL_TABLE,
        )
        op.create_index("ix_mensajes_conversacion_id", "mensajes", ["conversacion", "id"])


def downgrade():
    op.drop_table("mensajes")
    op.drop_table("usuarios")
