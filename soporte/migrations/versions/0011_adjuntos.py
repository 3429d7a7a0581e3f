"""Attachments: files and images uploaded to a conversation.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

- adjuntos: one row per upload (a random unguessable id, also the file's key in the
  attachment store), the conversation (the customer), who uploaded it, the original name,
  the MIME type found in the content, the size, whether a thumbnail was made, when, and
  the message that carries it (NULL until the writer stores that message; an upload that
  stays unlinked is deleted after ATTACHMENT_ORPHAN_AGE).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "adjuntos",
        sa.Column("id", sa.String(43), primary_key=True),
        sa.Column("conversacion", sa.String(64), nullable=False),
        sa.Column("autor", sa.String(64), nullable=False),
        sa.Column("nombre", sa.String(255), nullable=False),
        sa.Column("tipo", sa.String(100), nullable=False),
        sa.Column("tamano", sa.BigInteger(), nullable=False),
        sa.Column("miniatura", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("creado_en", UTC_DATETIME, nullable=False),
        sa.Column("mensaje_id", sa.BigInteger(), nullable=True),
        **MYSQL_TABLE,
    )
    op.create_index("ix_adjuntos_mensaje_id", "adjuntos", ["mensaje_id"])
    op.create_index("ix_adjuntos_conversacion", "adjuntos", ["conversacion"])
    op.create_index("ix_adjuntos_creado_en", "adjuntos", ["creado_en"])


def downgrade():
    op.drop_table("adjuntos")
