"""Business hours and satisfaction ratings.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

- horario_intervalos: opening intervals per weekday, in wall-clock minutes of the business zone.
- festivos: holidays (a local date, an optional name).
- ajustes: settings supervisors change on a page (the business time zone, `horario_zona`).
- valoraciones: a customer's rating (1-5, comment) of one resolution, unique per cycle; indexed
  by time (reports) and by customer.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    op.create_table(
        "horario_intervalos",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dia", sa.Integer(), nullable=False),
        sa.Column("inicio", sa.Integer(), nullable=False),
        sa.Column("fin", sa.Integer(), nullable=False),
        **MYSQL_TABLE,
    )
    op.create_table(
        "festivos",
        sa.Column("fecha", sa.Date(), primary_key=True),
        sa.Column("nombre", sa.String(80), nullable=True),
        **MYSQL_TABLE,
    )
    op.create_table(
        "ajustes",
        sa.Column("clave", sa.String(64), primary_key=True),
        sa.Column("valor", sa.String(255), nullable=False),
        **MYSQL_TABLE,
    )
    op.create_table(
        "valoraciones",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ciclo_id", sa.Integer(), nullable=False),
        sa.Column("conversacion", sa.String(64), nullable=False),
        sa.Column("agente", sa.String(64), nullable=True),
        sa.Column("puntuacion", sa.Integer(), nullable=False),
        sa.Column("comentario", sa.Text(), nullable=True),
        sa.Column("fecha", UTC_DATETIME, nullable=False),
        sa.UniqueConstraint("ciclo_id", name="uq_valoraciones_ciclo_id"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_valoraciones_fecha", "valoraciones", ["fecha"])
    op.create_index("ix_valoraciones_conversacion_id", "valoraciones", ["conversacion", "id"])


def downgrade():
    op.drop_table("valoraciones")
    op.drop_table("ajustes")
    op.drop_table("festivos")
    op.drop_table("horario_intervalos")
