"""Labels on conversations and the agents' note on a customer (the customer panel).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

- etiquetas: a label (name, its case-folded form unique, colour "#rrggbb").
- conversacion_etiquetas: which labels a customer's conversation has; its key
  (conversacion, etiqueta_id) answers "labels of these conversations", the index
  (etiqueta_id, conversacion) "conversations with this label". Deleting a label deletes its rows.
- perfiles_cliente: one free-text note per customer, shared by the agents.
Nothing existing changes; downgrade drops the three tables.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "etiquetas",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("nombre", sa.String(40), nullable=False),
        sa.Column("nombre_canonico", sa.String(160), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("creada_por", sa.String(64), nullable=True),
        sa.Column("creada_en", UTC_DATETIME, nullable=True),
        sa.UniqueConstraint("nombre_canonico", name="uq_etiquetas_nombre_canonico"),
        sqlite_autoincrement=True,  # a deleted label's id is never reused
        **MYSQL_TABLE,
    )
    op.create_table(
        "conversacion_etiquetas",
        sa.Column("conversacion", sa.String(64), primary_key=True),
        sa.Column("etiqueta_id", sa.Integer(), primary_key=True),
        sa.ForeignKeyConstraint(["etiqueta_id"], ["etiquetas.id"], name="fk_conversacion_etiquetas_etiqueta",
                                ondelete="CASCADE"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_conversacion_etiquetas_etiqueta_conversacion", "conversacion_etiquetas",
                    ["etiqueta_id", "conversacion"])
    op.create_table(
        "perfiles_cliente",
        sa.Column("usuario", sa.String(64), primary_key=True),
        sa.Column("nota", sa.Text(), nullable=False),
        sa.Column("editado_por", sa.String(64), nullable=False),
        sa.Column("editado_en", UTC_DATETIME, nullable=False),
        **MYSQL_TABLE,
    )


def downgrade():
    op.drop_table("perfiles_cliente")
    op.drop_table("conversacion_etiquetas")
    op.drop_table("etiquetas")
