"""The website a guest wrote from: where their reply emails send them back.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

- usuarios.sitio: the origin of the page that embedded the widget when the guest was made
  (one of WIDGET_ORIGINS; soporte/accounts/guests.py). A guest has no password and cannot log
  in on soporte's own site, so their emails point them there (soporte/mail/compose.py).
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("sitio", sa.String(255), nullable=True))


def downgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_column("sitio")
