"""The spool: an append-only journal of accepted messages on local disk.

A message is acknowledged once it is here (written and fsync'd), so the
database may be slow, restarting or down without losing anything. The
journal is a folder of segment files; the writer fills one segment at a time
while holding an exclusive flock on it, and the storer inserts sealed
(unlocked) segments into the database and deletes them. A process that dies
leaves its segments unlocked, so whichever process starts next replays them.
Inserts are idempotent on the message id, which makes a replay of a segment
that was already partly stored harmless.

Record: b"<8 hex length> <8 hex crc32> <json>\n". A torn or corrupt record
(a crash in the middle of a write) ends the reading of its segment.
"""
import fcntl
import json
import logging
import os
import time
import zlib
from datetime import datetime

import orjson

log = logging.getLogger(__name__)

SUFFIX = ".spool"
CREATING = ".creating"  # a segment until it is locked (see Spool._open_segment)
HEADER = 18  # "%08x %08x "


def encode_row(row):
    """One journal record for a message row (fecha as ISO text)."""
    data = dict(row, fecha=row["fecha"].isoformat())
    # UTF-8 and compact, as json.dumps(ensure_ascii=False, separators=(",", ":")) wrote it, several
    # times faster: every message is encoded on the event loop (validation refused lone surrogates)
    body = orjson.dumps(data)
    return b"%08x %08x " % (len(body), zlib.crc32(body)) + body + b"\n"


def decode_records(blob):
    """The rows in a segment's bytes, up to the first torn or corrupt record."""
    rows, at = [], 0
    while at < len(blob):
        try:
            length, crc = int(blob[at:at + 8], 16), int(blob[at + 9:at + 17], 16)
        except ValueError:
            break
        body = blob[at + HEADER:at + HEADER + length]
        if len(body) != length or zlib.crc32(body) != crc or blob[at + HEADER + length:at + HEADER + length + 1] != b"\n":
            break
        row = json.loads(body)
        row["fecha"] = datetime.fromisoformat(row["fecha"])
        rows.append(row)
        at += HEADER + length + 1
    if at < len(blob):
        log.warning("spool: ignoring %d torn or corrupt bytes at the end of a segment", len(blob) - at)
    return rows


class Spool:
    """Segments of journaled rows in one folder, shared safely by several processes."""

    def __init__(self, directory, fsync=os.fsync):
        self.directory = directory
        self._fsync = fsync  # the app's runs in an OS thread: the event loop goes on meanwhile
        os.makedirs(directory, exist_ok=True)
        self._file = None  # the segment being written, flock'd by this process
        self._path = None
        self.records = 0  # in the open segment

    def append(self, rows):
        """Write rows to the open segment and fsync; raise OSError if the disk refuses.

        All or nothing: after a failure the segment is cut back to where it was, so
        no complete record of a group whose senders are told "not stored" is replayed.
        """
        if self._file is None:
            self._open_segment()
        data = memoryview(b"".join(encode_row(r) for r in rows))
        fd = self._file.fileno()
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            while data:  # a nearly full disk takes part of a write before it refuses the rest
                data = data[os.write(fd, data):]
            self._fsync(fd)
        except OSError:
            self._discard_segment(start)
            raise
        self.records += len(rows)

    def seal(self):
        """Close the open segment (if it holds anything) so the storer may take it."""
        if self._file is not None and self.records:
            self._file.close()  # releases the flock
            self._file = self._path = None
            self.records = 0

    def segments(self):
        """Paths of every segment on disk, oldest first."""
        names = sorted(n for n in os.listdir(self.directory) if n.endswith(SUFFIX))
        return [os.path.join(self.directory, n) for n in names]

    def sealed(self):
        """Paths of the segments nobody is writing, oldest first."""
        return [path for path in self.segments() if path != self._path]

    def take(self, path):
        """Lock a sealed segment and return (file, rows), or None if another process has it."""
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return None  # stored and removed by another process meanwhile
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return None
        return f, decode_records(f.read())

    def release(self, taken, path, stored):
        """Unlock a taken segment, deleting it when its rows are stored."""
        if stored:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        taken.close()

    def journaled_rows(self):
        """Every row the segments on disk hold, oldest first, read without locking (nothing is taken)."""
        rows = []
        for path in self.segments():
            try:
                with open(path, "rb") as f:
                    rows += decode_records(f.read())
            except FileNotFoundError:
                continue  # stored and removed by another process meanwhile
        return rows

    def depth(self):
        """How many segments wait on disk (a rough backlog measure)."""
        return len(self.sealed()) + (1 if self.records else 0)

    def _open_segment(self):
        """Start a new segment, locked while this process writes it.

        It is created under a name storers do not list and gets its segment name only once
        locked (the lock is the file's, not the name's): created under its segment name, a
        storer could take it in the moment before the lock, find it empty and delete it, and
        what this process then journaled would go to a file nobody can see.
        """
        name = os.path.join(self.directory, f"{time.time_ns():020d}-{os.getpid()}")
        segment = open(name + CREATING, "ab", buffering=0)  # append() writes whole groups itself
        try:
            fcntl.flock(segment, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(name + CREATING, name + SUFFIX)
        except OSError:
            segment.close()
            raise
        self._file, self._path = segment, name + SUFFIX
        # the new name must survive a crash as well as its contents
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            self._fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _discard_segment(self, good_size):
        """Cut the open segment back to its good records after a failed write, and close it."""
        try:
            os.ftruncate(self._file.fileno(), good_size)  # shrinking needs no free space
            os.fsync(self._file.fileno())
        except OSError:
            log.exception("spool: could not cut %s back to %d bytes", self._path, good_size)
        try:
            self._file.close()
        except OSError:
            pass
        self._file = self._path = None
        self.records = 0

    def close(self):
        """Seal whatever is open (at shutdown)."""
        if self._file is not None:
            self._file.close()
            self._file = self._path = None
            self.records = 0
