"""Email when nobody is online: addresses, the offline replies' markers and the outbox.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

- usuarios: `email`, `avisos_correo` (an agent's opt-in), `respuesta_pendiente_id` (indexed:
  the mailer's due replies are a range) and `respuestas_hasta` (soporte/mail/replies.py).
- correos: the durable outbox (soporte/mail/outbox.py).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("email", sa.String(254), nullable=True))
        usuarios.add_column(sa.Column("avisos_correo", sa.Boolean(), nullable=False, server_default=sa.false()))
        usuarios.add_column(sa.Column("respuesta_pendiente_id", sa.BigInteger(), nullable=True))
        usuarios.add_column(sa.Column("respuestas_hasta", sa.BigInteger(), nullable=True))
        usuarios.create_index("ix_usuarios_respuesta_pendiente_id", ["respuesta_pendiente_id"])
    op.create_table(
        "correos",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("clave", sa.String(190), nullable=False),
        sa.Column("tipo", sa.String(16), nullable=False),
        sa.Column("usuario", sa.String(64), nullable=True),
        sa.Column("para", sa.String(254), nullable=False),
        sa.Column("idioma", sa.String(8), nullable=False),
        sa.Column("asunto", sa.String(255), nullable=False),
        sa.Column("texto", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("estado", sa.String(10), nullable=False, server_default="pendiente"),
        sa.Column("intentos", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("proximo_intento", UTC_DATETIME, nullable=False),
        sa.Column("bloqueado_hasta", UTC_DATETIME, nullable=True),
        sa.Column("reclamado_por", sa.String(32), nullable=True),
        sa.Column("ultimo_error", sa.String(500), nullable=True),
        sa.Column("creado_en", UTC_DATETIME, nullable=False),
        sa.Column("enviado_en", UTC_DATETIME, nullable=True),
        sa.UniqueConstraint("clave", name="uq_correos_clave"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_correos_estado_proximo_intento", "correos", ["estado", "proximo_intento"])
    op.create_index("ix_correos_usuario", "correos", ["usuario"])


def downgrade():
    op.drop_table("correos")
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_index("ix_usuarios_respuesta_pendiente_id")
        usuarios.drop_column("respuestas_hasta")
        usuarios.drop_column("respuesta_pendiente_id")
        usuarios.drop_column("avisos_correo")
        usuarios.drop_column("email")
