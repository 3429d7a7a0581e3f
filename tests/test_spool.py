"""The spool: records round-trip, torn and corrupt tails are ignored, locked segments are left alone,
and a full disk never half-stores a message."""
import fcntl
import multiprocessing
import os
import subprocess
import uuid
from datetime import datetime

import pytest

from soporte import create_app
from soporte.extensions import db, socketio
from soporte.models import Mensaje, Usuario
from soporte.relay.spool import Spool, decode_records, encode_row
from soporte.accounts.tokens import issue_token

from conftest import TEST_SECRETS, free_port


def row(n, **extra):
    """A message row as the writer journals it."""
    return {"id": 1000 + n, "de_usuario": "ana", "para_usuario": "admin", "conversacion": "ana",
            "mensaje": f"mensaje {n}", "fecha": datetime(2026, 1, 2, 3, 4, 5, n), "cid": f"c-{n}", **extra}


def segment_rows(directory):
    """Every row that the segments in a folder would replay, in order."""
    rows = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".spool"):
            with open(os.path.join(directory, name), "rb") as f:
                rows += decode_records(f.read())
    return rows


def test_records_round_trip(tmp_path):
    """What is appended comes back from a sealed segment exactly, odd characters and microseconds too."""
    spool = Spool(str(tmp_path))
    rows = [row(1), row(2, mensaje="'; DROP TABLE mensajes; -- <script>\n\"ñ😀\u2028"), row(3, cid=None)]
    spool.append(rows[:2])
    spool.append(rows[2:])
    assert spool.depth() == 1
    spool.seal()
    [path] = spool.sealed()
    taken, found = spool.take(path)
    assert found == rows
    spool.release(taken, path, stored=True)
    assert spool.sealed() == [] and spool.depth() == 0


def test_torn_tail_is_ignored(tmp_path):
    """A record cut short by a crash (any length of it) ends the segment; the records before it count."""
    good = b"".join(encode_row(row(n)) for n in range(3))
    torn = encode_row(row(3))
    for cut in (1, 8, 17, 18, len(torn) // 2, len(torn) - 1):
        assert decode_records(good + torn[:cut]) == [row(n) for n in range(3)], cut


def test_corrupt_record_is_ignored(tmp_path):
    """A record whose checksum does not match is not replayed, nor is anything after it."""
    records = [encode_row(row(n)) for n in range(3)]
    damaged = bytearray(records[1])
    damaged[-5] ^= 0x01  # one bit of the body
    assert decode_records(records[0] + bytes(damaged) + records[2]) == [row(0)]
    assert decode_records(b"zzzzzzzz " + records[0]) == []  # a header that is not hex


def test_locked_segment_is_skipped(tmp_path):
    """A segment another writer holds (flock) is not taken until that writer seals it."""
    writer, storer = Spool(str(tmp_path)), Spool(str(tmp_path))
    writer.append([row(1)])
    [path] = storer.sealed()  # the storer cannot tell it is open elsewhere...
    assert storer.take(path) is None  # ...but the lock says so
    assert writer.sealed() == []  # and the writer never offers its own open segment
    writer.seal()
    taken, rows = storer.take(path)
    assert rows == [row(1)]
    assert writer.take(path) is None  # taken: a second storer waits its turn
    storer.release(taken, path, stored=False)  # not stored: the segment stays for a retry
    assert storer.sealed() == [path]


def store_all(storer):
    """One storer pass, as the storer process makes it: take each sealed segment, keep its rows, delete it."""
    stored = []
    for path in storer.sealed():
        taken = storer.take(path)
        if taken is not None:
            stored += taken[1]
            storer.release(taken[0], path, stored=True)
    return stored


def test_a_storer_pass_while_a_segment_is_being_created_loses_nothing(tmp_path, monkeypatch):
    """A storer that looks in the moment between a new segment's creation and its lock does not take it.

    It used to: it found the new file empty, deleted it, and what the writer then
    journaled (and acknowledged) went to a file nobody could see.
    """
    writer, storer = Spool(str(tmp_path)), Spool(str(tmp_path))
    stored = []

    def lock_after_a_storer_pass(f, how):
        monkeypatch.setattr(fcntl, "flock", real_flock)  # the writer's lock, once
        stored.extend(store_all(storer))
        real_flock(f, how)

    real_flock = fcntl.flock
    monkeypatch.setattr(fcntl, "flock", lock_after_a_storer_pass)
    writer.append([row(1)])
    writer.seal()
    stored += store_all(storer)
    assert stored == [row(1)]
    assert os.listdir(tmp_path) == []


def keep_storing(directory, done, count):
    """A storer process's loop: store passes until told to stop, then one more; put how many rows it stored."""
    storer, stored = Spool(directory), 0
    while not done.is_set():
        stored += len(store_all(storer))
    count.put(stored + len(store_all(storer)))


def test_a_storer_process_stores_every_journaled_row(tmp_path):
    """20,000 one-row segments written and sealed while another process stores in a tight loop: each stored once."""
    context = multiprocessing.get_context("spawn")
    done, count = context.Event(), context.Queue()
    storer = context.Process(target=keep_storing, args=(str(tmp_path), done, count))
    storer.start()
    writer = Spool(str(tmp_path), fsync=lambda fd: None)  # the race is in the names, not on the disk
    for n in range(20_000):
        writer.append([row(n)])
        writer.seal()
    done.set()
    assert count.get(timeout=60) == 20_000
    storer.join(10)
    assert os.listdir(tmp_path) == []


def test_torn_last_record_is_ignored_on_start(app, tmp_path):
    """A crash's leftovers: on start the writer stores the good records and drops the torn tail."""
    spool_dir = app.config["SPOOL_DIR"]
    os.makedirs(spool_dir, exist_ok=True)
    with open(os.path.join(spool_dir, f"{1:020d}-99999.spool"), "wb") as f:
        f.write(b"".join(encode_row(row(n)) for n in range(3)) + encode_row(row(3))[:40])
    writer = app.extensions["soporte"].writer
    writer.start()
    assert writer.flush(10), "the leftover segment was not stored"
    assert not writer.replaying
    with app.app_context():
        stored = db.session.scalars(db.select(Mensaje.id).order_by(Mensaje.id)).all()
    assert stored == [1000, 1001, 1002]
    assert os.listdir(spool_dir) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs, unmounted afterwards; skipped where mounting is not permitted."""
    path = tmp_path / "tmpfs"
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory, leave=0):
    """Fill a file system up, leaving about `leave` bytes free."""
    with open(os.path.join(directory, "relleno"), "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 1024)
        except OSError:
            pass
        if leave:
            f.truncate(f.tell() - leave)


def test_full_disk_append_is_all_or_nothing(tiny_disk):
    """A group that does not fit raises and leaves no record of itself; earlier records stay."""
    spool_dir = tiny_disk / "spool"
    spool = Spool(str(spool_dir))
    spool.append([row(0)])
    fill(tiny_disk, leave=4096)  # one page: part of the next group fits, not all of it
    with pytest.raises(OSError):
        spool.append([row(n, mensaje="x" * 900) for n in range(1, 20)])
    assert segment_rows(spool_dir) == [row(0)]
    spool.seal()
    assert segment_rows(spool_dir) == [row(0)]


def token_of(app, username, rol):
    """A login token as soporte issues it (no database needed)."""
    with app.app_context():
        return issue_token(Usuario(usuario=username, nombre=username.capitalize(), rol=rol))


def send(app, username, rol, cid):
    """Send one message to the inbox over a Socket.IO test client; return its acknowledgement."""
    client = socketio.test_client(app, auth={"token": token_of(app, username, rol)})
    assert client.is_connected()
    try:
        return client.emit("mensaje_privado", {"para": "admin", "mensaje": f"texto {cid}", "cid": cid},
                           callback=True)
    finally:
        client.disconnect()


def live_texts(agent):
    """The texts of the messages an agent's test client received live."""
    return [event["args"][0]["mensaje"] for event in agent.get_received() if event["name"] == "mensaje_recibido"]


def test_full_disk_and_database_down_refuses_and_stores_nothing(app, tiny_disk):
    """Spool full and database down: the sender gets ok false, no agent saw it, and nothing of it
    is stored, ever; spool full and database up: the message is stored directly and delivered."""
    spool_dir = str(tiny_disk / "spool")
    os.makedirs(spool_dir)
    fill(tiny_disk)
    refused_cid, stored_cid = f"lleno-{uuid.uuid4().hex[:8]}", f"directo-{uuid.uuid4().hex[:8]}"
    down = create_app({"TESTING": True, "SPOOL_DIR": spool_dir, "ACK_TIMEOUT": 20, **TEST_SECRETS,
                       "SQLALCHEMY_DATABASE_URI": f"mysql+pymysql://root@127.0.0.1:{free_port()}/nadie"})
    try:
        agent = socketio.test_client(down, auth={"token": token_of(down, "admin", "admin")})
        ack = send(down, "ana", "user", refused_cid)
        retry = send(down, "ana", "user", refused_cid)
        seen_live = live_texts(agent)
    finally:
        down.extensions["soporte"].writer.close(timeout=0.5)
    assert ack == retry == {"ok": False, "error": "No se pudo guardar el mensaje; inténtalo de nuevo"}
    assert seen_live == [], "refused after the agents had it: a retry would deliver it twice"
    assert not [r for r in segment_rows(spool_dir) if r["cid"] == refused_cid]

    up = create_app({"TESTING": True, "SPOOL_DIR": spool_dir, **TEST_SECRETS,
                     "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    try:
        agent = socketio.test_client(up, auth={"token": token_of(up, "admin", "admin")})
        ack = send(up, "ana", "user", stored_cid)
        assert ack["ok"] is True, ack
        assert live_texts(agent) == [f"texto {stored_cid}"]
        assert up.extensions["soporte"].writer.flush(10)
        with up.app_context():
            cids = db.session.scalars(db.select(Mensaje.cid)).all()
            db.session.remove()
    finally:
        up.extensions["soporte"].writer.close(timeout=1)
    assert cids.count(stored_cid) == 1
    assert refused_cid not in cids


def test_a_new_process_answers_a_retry_from_the_spool(app, tmp_path):
    """What a dead process journaled (database down) and nobody stored yet: a new process answers a
    retry of its cid with the first ack, delivers nothing, and the replay stores it once."""
    first = {"ok": True, "id": 247953278044032, "fecha": "2026-12-02T15:24:28.272974Z"}
    journaled = row(1, id=first["id"], fecha=datetime(2026, 12, 2, 15, 24, 28, 272974), cid="c-muerto")
    Spool(app.config["SPOOL_DIR"]).append([journaled])  # the dead process's segment, unlocked: it died

    restarted = create_app({"TESTING": True, "SPOOL_DIR": app.config["SPOOL_DIR"], **TEST_SECRETS,
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
                           instance_path=str(tmp_path / "instance"))
    try:
        agent = socketio.test_client(restarted, auth={"token": token_of(restarted, "admin", "admin")})
        customer = socketio.test_client(restarted, auth={"token": token_of(restarted, "ana", "user")})
        again = customer.emit("mensaje_privado", {"para": "admin", "mensaje": "mensaje 1", "cid": "c-muerto"},
                              callback=True)
        delivered = agent.get_received()
        writer = restarted.extensions["soporte"].writer
        writer.start()
        assert writer.flush(10)
        with restarted.app_context():
            stored = db.session.execute(db.select(Mensaje.id, Mensaje.cid)).all()
            db.session.remove()
    finally:
        restarted.extensions["soporte"].writer.close(timeout=1)
    assert again == first
    assert delivered == []
    assert [tuple(r) for r in stored] == [(first["id"], "c-muerto")]
