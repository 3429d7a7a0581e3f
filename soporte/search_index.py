"""The full-text index over message texts: InnoDB FULLTEXT on MariaDB/MySQL, FTS5 on SQLite.

MariaDB keeps its FULLTEXT index itself (declared on the model). SQLite needs an
FTS5 table beside `mensajes` that triggers keep in step; it is not a model, so
schema comparisons skip it (`include_object`). Migration 0003 creates both in
existing databases; the listener below does it when `create_all` makes the table.
Customer search compares names through `folded()`: a collation on MariaDB, the
`soporte_fold()` function that every SQLite connection is given.
"""
import sqlite3
import unicodedata

from sqlalchemy import event, func, text
from sqlalchemy.engine import Engine

FTS_TABLE = "mensajes_fts"
FULLTEXT_INDEX = "ix_mensajes_mensaje_fulltext"
# case- and accent-insensitive (measured: under utf8mb4_bin InnoDB folds case
# but "cancion" does not find "canción"); available on MariaDB and MySQL alike
MYSQL_TEXT_COLLATION = "utf8mb4_unicode_520_ci"
MYSQL_DIALECTS = ("mysql", "mariadb")

# external content: the text lives once, in mensajes; rowid is the message id.
# remove_diacritics 2: "cancion" finds "canción"; unicode61 folds case.
SQLITE_FTS = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(mensaje, content='mensajes', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    # INSERT OR IGNORE fires no trigger for an ignored row, so a retried batch indexes nothing twice
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON mensajes BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, mensaje) VALUES (new.id, new.mensaje); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON mensajes BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, mensaje) VALUES ('delete', old.id, old.mensaje); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE ON mensajes BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, mensaje) VALUES ('delete', old.id, old.mensaje); "
    f"INSERT INTO {FTS_TABLE}(rowid, mensaje) VALUES (new.id, new.mensaje); END",
    # index what the table already holds (and forget what a dropped mensajes left behind)
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]


def is_search_table(name):
    """Whether a table is the FTS5 index or one of its shadow tables (not models)."""
    return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")


def include_object(dialect_name):
    """An Alembic include_object hook: compare models only, and each index where it exists."""

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table" and name and is_search_table(name):
            return False
        if type_ == "index" and name == FULLTEXT_INDEX and dialect_name not in MYSQL_DIALECTS:
            return False
        return True

    return include


def create_sqlite_fts(target, connection, **kw):
    """After `create_all` makes mensajes on SQLite: its FTS5 table, triggers and contents."""
    if connection.dialect.name != "sqlite":
        return
    for statement in SQLITE_FTS:
        connection.execute(text(statement))


def drop_sqlite_fts(connection):
    """Drop the FTS5 table (its shadow tables go with it) and its triggers, if they exist."""
    for suffix in ("ai", "ad", "au"):
        connection.execute(text(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}"))
    connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


def fold(value):
    """value case-folded and without accents: how SQLite compares names in customer search."""
    if value is None:
        return None
    return "".join(c for c in unicodedata.normalize("NFKD", value.casefold())
                   if not unicodedata.combining(c))


def folded(column, dialect):
    """column as customer search compares it, case and accents ignored, on this dialect."""
    if dialect in MYSQL_DIALECTS:
        return column.collate(MYSQL_TEXT_COLLATION)
    return func.soporte_fold(column)


@event.listens_for(Engine, "connect")
def add_fold_to_sqlite(dbapi_connection, connection_record):
    """Give every SQLite connection soporte_fold(): its lower() folds ASCII letters only."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("soporte_fold", 1, fold, deterministic=True)
