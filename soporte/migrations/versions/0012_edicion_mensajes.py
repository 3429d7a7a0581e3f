"""Editing and deleting a message: when it changed, and the agents' audit of what it said.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

- mensajes: `editado_en` and `eliminado_en` (NULL for every existing message). A deleted
  message's `mensaje` is emptied; SQLite's FTS5 update trigger (0003) and MariaDB's
  FULLTEXT index follow the column, so search cannot find it.
- ediciones_mensaje: one row per edit or deletion (the message, its conversation, the
  action, the text before it, who and when, and the client's `cid`, unique per author so a
  retried edit is done once).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    # plain ALTER TABLE, not a batch: SQLite's copy-and-move would drop the FTS5 triggers of 0003
    op.add_column("mensajes", sa.Column("editado_en", UTC_DATETIME, nullable=True))
    op.add_column("mensajes", sa.Column("eliminado_en", UTC_DATETIME, nullable=True))
    op.create_table(
        "ediciones_mensaje",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("mensaje_id", sa.BigInteger(), nullable=False),
        sa.Column("conversacion", sa.String(64), nullable=False),
        sa.Column("accion", sa.String(10), nullable=False),
        sa.Column("texto_anterior", sa.Text(), nullable=False),
        sa.Column("por", sa.String(64), nullable=False),
        sa.Column("cuando", UTC_DATETIME, nullable=False),
        sa.Column("cid", sa.String(64), nullable=True),
        sa.UniqueConstraint("por", "cid", name="uq_ediciones_mensaje_por_cid"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_ediciones_mensaje_mensaje_id", "ediciones_mensaje", ["mensaje_id", "id"])
    op.create_index("ix_ediciones_mensaje_conversacion", "ediciones_mensaje", ["conversacion"])


def downgrade():
    op.drop_table("ediciones_mensaje")
    op.drop_column("mensajes", "eliminado_en")  # SQLite 3.35+ drops a column in place
    op.drop_column("mensajes", "editado_en")
