"""Search over message texts: a FULLTEXT index on MariaDB/MySQL, an FTS5 table on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

MariaDB/MySQL: the text column takes a case- and accent-insensitive collation
(utf8mb4_unicode_520_ci; under the tables' utf8mb4_bin "cancion" would not find
"canción") and an InnoDB FULLTEXT index, in one ALTER (one rebuild of the table).
SQLite: an external-content FTS5 table over mensajes, kept by triggers, and
filled here from the messages already stored. No message is changed.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FTS = "mensajes_fts"
INDEX = "ix_mensajes_mensaje_fulltext"
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(mensaje, content='mensajes', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON mensajes BEGIN "
    f"INSERT INTO {FTS}(rowid, mensaje) VALUES (new.id, new.mensaje); END",
    f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON mensajes BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, mensaje) VALUES ('delete', old.id, old.mensaje); END",
    f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON mensajes BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, mensaje) VALUES ('delete', old.id, old.mensaje); "
    f"INSERT INTO {FTS}(rowid, mensaje) VALUES (new.id, new.mensaje); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",  # the messages already stored
]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(sa.text(statement))
    elif dialect in ("mysql", "mariadb"):
        op.execute(sa.text(
            "ALTER TABLE mensajes MODIFY mensaje TEXT CHARACTER SET utf8mb4 "
            f"COLLATE utf8mb4_unicode_520_ci NOT NULL, ADD FULLTEXT INDEX {INDEX} (mensaje)"))


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}"))
        op.execute(sa.text(f"DROP TABLE IF EXISTS {FTS}"))
    elif dialect in ("mysql", "mariadb"):
        op.execute(sa.text(
            f"ALTER TABLE mensajes DROP INDEX {INDEX}, "
            "MODIFY mensaje TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"))
