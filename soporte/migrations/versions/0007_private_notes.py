"""Private notes: an agent's note in a customer's conversation, for agents only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

- notas: one row per note (id from the messages' generator, so notes interleave with
  messages by id), the conversation (the customer), its author (an agent), its text and
  time, and the client's `cid`, unique per author so that a retried note is stored once.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "notas",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("conversacion", sa.String(64), nullable=False),
        sa.Column("autor", sa.String(64), nullable=False),
        sa.Column("texto", sa.Text(), nullable=False),
        sa.Column("fecha", UTC_DATETIME, nullable=False),
        sa.Column("cid", sa.String(64), nullable=True),
        sa.UniqueConstraint("autor", "cid", name="uq_notas_autor_cid"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_notas_conversacion_id", "notas", ["conversacion", "id"])


def downgrade():
    op.drop_table("notas")
