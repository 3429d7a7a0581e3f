"""The attachment store: files saved, opened and deleted by key, behind one small interface.

LocalStorage keeps them in a folder (ATTACHMENTS_DIR, default instance/adjuntos). With
several hosts serving one chat, that folder must be a volume they all mount (NFS, a cloud
file share): an upload lands on one host and is fetched through any. Another backend (an
object store) needs only these four methods.
"""
import os
import tempfile

from flask import current_app


class LocalStorage:
    """Files in one folder, two levels of subfolders by key so no folder grows huge."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def _path(self, key):
        """The file of a key; keys are token_urlsafe (letters, digits, - and _), never a path."""
        if not key or not all(c.isalnum() or c in "-_." for c in key) or key.startswith("."):
            raise ValueError("bad attachment key")
        return os.path.join(self.directory, key[:2], key)

    def save(self, key, data):
        """Store bytes under key, atomically: a reader never sees half a file."""
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".subiendo-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def open(self, key):
        """A binary file object to read the key's bytes; FileNotFoundError when it is gone."""
        return open(self._path(key), "rb")

    def delete(self, key):
        """Remove a key's file; nothing if it is already gone."""
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass

    def exists(self, key):
        """Whether a key has a file."""
        return os.path.exists(self._path(key))


def get_storage(app=None):
    """The app's attachment store, made on first use."""
    app = app or current_app
    storage = app.extensions.get("soporte_adjuntos")
    if storage is None:
        directory = app.config["ATTACHMENTS_DIR"] or os.path.join(app.instance_path, "adjuntos")
        storage = app.extensions["soporte_adjuntos"] = LocalStorage(directory)
    return storage
