"""Reports: the cycles' first replies by time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

- ciclos: `ix_ciclos_primera_respuesta_en`. The reports count a cycle's first-response
  time on the day of that reply (soporte/ops/reports.py): an index range, like the
  opened (abierta_en) and resolved (resuelta_en) days, never a scan of every cycle.
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_ciclos_primera_respuesta_en", "ciclos", ["primera_respuesta_en"])


def downgrade():
    op.drop_index("ix_ciclos_primera_respuesta_en", "ciclos")
