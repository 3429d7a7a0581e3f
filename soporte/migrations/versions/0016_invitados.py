"""The website widget's customers: guests and verified identities.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

- usuarios.invitado: a guest, a visitor the widget made a customer without an account of
  their own; no password logs them in, only their token.
- usuarios.externo_id: the website's id of a verified user (unique): the same customer on every
  device (soporte/accounts/identity.py).
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("invitado", sa.Boolean(), nullable=False, server_default=sa.false()))
        usuarios.add_column(sa.Column("externo_id", sa.String(128), nullable=True))
        usuarios.create_unique_constraint("uq_usuarios_externo_id", ["externo_id"])


def downgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_constraint("uq_usuarios_externo_id", type_="unique")
        usuarios.drop_column("externo_id")
        usuarios.drop_column("invitado")
