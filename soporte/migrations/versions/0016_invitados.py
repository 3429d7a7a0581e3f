"""The website widget's customers: guests and verified identities.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

- usuarios.invitado: a guest, a visitor the widget made a customer without an account of
  their own; no password logs them in, only their token.
- usuarios.externo_id: the website's id of a verified user (unique): the same customer on every
  device (soporte/accounts/identity.py).
- usuarios.sitio: the origin of the page that embedded the widget when the guest was made
  (one of WIDGET_ORIGINS; soporte/accounts/guests.py). A guest has no password and cannot log
  in on soporte's own site, so their emails point them there (soporte/mail/compose.py).
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
        usuarios.add_column(sa.Column("sitio", sa.String(255), nullable=True))


def downgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_column("sitio")
        usuarios.drop_constraint("uq_usuarios_externo_id", type_="unique")
        usuarios.drop_column("externo_id")
        usuarios.drop_column("invitado")
