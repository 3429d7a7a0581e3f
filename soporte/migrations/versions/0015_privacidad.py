"""The customer's data: tombstones of erased customers.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

- clientes_borrados: one row per erased customer (the SHA-256 of the username, the last
  message id that was theirs, when): the storer drops a late row of theirs that another
  process's spool still held (soporte/privacy/erase.py).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "clientes_borrados",
        sa.Column("usuario_sha256", sa.String(64), primary_key=True),
        sa.Column("hasta_id", sa.BigInteger(), nullable=False),
        sa.Column("borrado_en", UTC_DATETIME, nullable=False),
        mysql_charset="utf8mb4", mysql_collate="utf8mb4_bin",
    )


def downgrade():
    op.drop_table("clientes_borrados")
