"""Usernames unique without regard to case: usuarios.usuario_canonico, unique, filled in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Each account gets the canonical form of its username (soporte/accounts/names.py:
NFKC, casefolded, '.', '_' and '-' as one, trimmed), on which a unique constraint
stops look-alikes ("Admin" beside "admin") from being created again.

Look-alikes that already exist: no account is renamed or removed (messages name their
senders by username). One of each group keeps the canonical form: an agent before a
customer, then the oldest account. The others keep their exact username, by which they
still log in, with no canonical form (NULL); each is named in a warning, so that an
operator can look at them. No new account can take any name of the group.
"""
import logging

import sqlalchemy as sa
from alembic import op

from soporte.accounts.names import canonical_username

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CONSTRAINT = "uq_usuarios_usuario_canonico"
log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.add_column(sa.Column("usuario_canonico", sa.String(64), nullable=True))
    bind = op.get_bind()
    accounts = bind.execute(sa.text(
        "SELECT id, usuario FROM usuarios ORDER BY CASE WHEN rol = 'admin' THEN 0 ELSE 1 END, id")).all()
    holders = {}
    for account_id, usuario in accounts:
        canonical = canonical_username(usuario)
        if canonical in holders:
            log.warning("account %r looks like %r: it keeps its login, without a canonical name",
                        usuario, holders[canonical])
            continue
        holders[canonical] = usuario
        bind.execute(sa.text("UPDATE usuarios SET usuario_canonico = :canonical WHERE id = :id"),
                     {"canonical": canonical, "id": account_id})
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.create_unique_constraint(CONSTRAINT, ["usuario_canonico"])


def downgrade():
    with op.batch_alter_table("usuarios") as usuarios:
        usuarios.drop_constraint(CONSTRAINT, type_="unique")
        usuarios.drop_column("usuario_canonico")
