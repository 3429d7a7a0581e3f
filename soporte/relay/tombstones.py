"""Erased customers' tombstones: the storer drops a late row of a customer erased meanwhile.

A message acknowledged before its customer was erased may still wait in a spool (another
process's, or one whose storer was down) and reach the storer after the erase
(soporte/privacy/erase.py). The erase deleted the conversation's row, so such a row comes
to the storer as the start of a new conversation: only then, never on the common path of
a batch whose conversations all exist, does the storer ask `clientes_borrados` (one
primary-key query per batch that starts conversations) and drop the rows it covers.
"""
import hashlib
import logging

from sqlalchemy import delete, select

from soporte.models import ClienteBorrado, Mensaje

log = logging.getLogger(__name__)


def digest(username):
    """How a tombstone names a customer: the hex SHA-256 of the username (no name is kept)."""
    return hashlib.sha256(username.encode("utf-8")).hexdigest()


def erased_among(session, names):
    """{name: hasta_id} of the names a tombstone covers, read under a shared lock (an erase in flight waits).

    On SQLite the caller already holds the write lock (the batch's INSERT ran first), so no
    erase can commit between this read and the batch's commit.
    """
    if not names:
        return {}
    by_digest = {digest(name): name for name in names}
    query = select(ClienteBorrado.usuario_sha256, ClienteBorrado.hasta_id).where(
        ClienteBorrado.usuario_sha256.in_(sorted(by_digest)))
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(read=True)
    return {by_digest[found]: hasta_id for found, hasta_id in session.execute(query)}


def drop_erased(session, batch, new_names):
    """Remove from batch ({conversation: rows}) and from mensajes the rows of erased customers; batch.

    new_names: the batch's conversations that have no row in `conversaciones` (only they can be erased ones).
    """
    erased = erased_among(session, new_names)
    dropped = []
    for name, hasta_id in erased.items():
        late = [row["id"] for row in batch[name] if row["id"] <= hasta_id]
        kept = [row for row in batch[name] if row["id"] > hasta_id]
        dropped += late
        if kept:
            batch[name] = kept
        else:
            del batch[name]
    if dropped:
        session.execute(delete(Mensaje).where(Mensaje.id.in_(dropped)))
        log.info("storer: dropped %d late messages of erased customers", len(dropped))  # no names in the log
    return batch
