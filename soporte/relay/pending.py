"""The writer's rows that are delivered but not stored yet, and the one way readers merge them with stored rows.

Every reader of history takes a snapshot of these rows before it reads the
database, and adds the ones the database does not have yet, by id: a row the
writer commits meanwhile is then found twice, and kept once. A snapshot taken
after the read would miss a row stored in between (not in the read, gone from
the writer).
"""
import collections

from soporte.relay.chat import get_chat


def unstored(conversacion=None):
    """A snapshot of the writer's rows not stored yet (of one conversation, or of all)."""
    return get_chat().writer.pending_rows(conversacion)


def holds(message_id):
    """Whether the writer holds this message delivered but not stored yet."""
    return message_id in get_chat().writer.unstored


def matching(rows, conversacion=None, after=None, before=None, author=None):
    """The rows of a conversation with after < id < before whose author passes the test `author`."""
    return [row for row in rows
            if (conversacion is None or row["conversacion"] == conversacion)
            and (after is None or row["id"] > after) and (before is None or row["id"] < before)
            and (author is None or author(row["de_usuario"]))]


def merge(found, rows, as_message):
    """Add to found ({id: message}, from the database) the rows it lacks, each as_message(row); found."""
    for row in rows:
        found.setdefault(row["id"], as_message(row))
    return found


def in_id_order(found, limite=None, newest=False):
    """found's messages oldest first: the first limite of them, or with newest=True the last limite."""
    ids = sorted(found)
    if limite is not None:
        ids = ids[-limite:] if newest else ids[:limite]
    return [found[i] for i in ids]


def newest_ids(rows):
    """{conversation: the newest id among rows}."""
    newest = collections.defaultdict(int)
    for row in rows:
        newest[row["conversacion"]] = max(newest[row["conversacion"]], row["id"])
    return dict(newest)


def interleave(stored, rows):
    """Stored rows (objects with .id, read in id order) and unstored rows in one id order, each id once.

    A row both stored and unstored (committed after the snapshot) comes once, as stored.
    """
    waiting = collections.deque(sorted(rows, key=lambda row: row["id"]))
    last = -1
    for row in stored:
        while waiting and waiting[0]["id"] <= row.id:
            extra = waiting.popleft()
            if last < extra["id"] < row.id:
                yield extra
                last = extra["id"]
        yield row
        last = row.id
    for extra in waiting:
        if extra["id"] > last:
            yield extra
