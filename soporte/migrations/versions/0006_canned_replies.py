"""Canned replies: the team's shared replies, each with a short code.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

- respuestas: `codigo` (as written), `codigo_canonico` (casefolded, unique: codes are
  unique without regard to case), `texto`, and who created and last changed it, when.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "respuestas",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("codigo", sa.String(32), nullable=False),
        sa.Column("codigo_canonico", sa.String(96), nullable=False),
        sa.Column("texto", sa.Text(), nullable=False),
        sa.Column("creado_por", sa.String(64), nullable=False),
        sa.Column("creado_en", UTC_DATETIME, nullable=False),
        sa.Column("actualizado_por", sa.String(64), nullable=False),
        sa.Column("actualizado_en", UTC_DATETIME, nullable=False),
        sa.UniqueConstraint("codigo_canonico", name="uq_respuestas_codigo_canonico"),
        sqlite_autoincrement=True,  # ids never given twice (InnoDB keeps its counter too)
        **MYSQL_TABLE,
    )


def downgrade():
    op.drop_table("respuestas")
