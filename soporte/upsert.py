"""INSERT ... or update on a conflict, for SQLite (ON CONFLICT) and MariaDB/MySQL (ON DUPLICATE KEY) alike."""
from sqlalchemy import case
from sqlalchemy.dialects import mysql, sqlite


def upsert(dialect, table, keys, changes, values=None):
    """INSERT into `table`; where a row with the same `keys` exists, set changes(new) on it instead.

    changes receives the offered row's columns (`new["name"]`) and returns {column: expression}.
    """
    statement = (sqlite if dialect == "sqlite" else mysql).insert(table)
    if values is not None:
        statement = statement.values(values)
    new = statement.excluded if dialect == "sqlite" else statement.inserted
    if dialect == "sqlite":
        return statement.on_conflict_do_update(index_elements=[table.c[key] for key in keys], set_=changes(new))
    return statement.on_duplicate_key_update(**changes(new))


def forward(column, new):
    """The larger of a stored column and the offered value: a marker or a latest id never moves back."""
    offered = new[column.name]
    return case((offered > column, offered), else_=column)
