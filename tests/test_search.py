"""Search (docs/protocol.md "Búsqueda y exportación"): the index, its answers, guards, and alrededor."""
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from conftest import drop_schema, make_users, password_hash
from soporte.extensions import db
from soporte.models import Mensaje
from soporte.relay.writer import store
from soporte.search_index import FTS_TABLE, FULLTEXT_INDEX, MYSQL_TEXT_COLLATION
from test_api import add_messages as add
from test_api import rows_for

MESSAGE_KEYS = {"id", "de_usuario", "de_nombre", "para_usuario", "mensaje", "fecha", "conversacion"}


def search(client, q, status=200, **params):
    response = client.get("/api/buscar", query_string={"q": q, **params})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def found_texts(client, q, **params):
    return [m["mensaje"] for m in search(client, q, **params)["mensajes"]]


def is_mysql():
    return db.engine.dialect.name in ("mysql", "mariadb")


def fts_consistent(app):
    """On SQLite: FTS5's own check that the index matches the mensajes rows exactly."""
    with app.app_context():
        if is_mysql():
            return True
        with db.engine.begin() as conn:  # raises "database disk image is malformed" when it does not
            conn.execute(sa.text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)"))
            indexed = conn.execute(sa.text(f"SELECT count(*) FROM {FTS_TABLE}_docsize")).scalar_one()
            stored = conn.execute(sa.text("SELECT count(*) FROM mensajes")).scalar_one()
        return indexed == stored


@pytest.fixture
def admin(cookie_client):
    return cookie_client("admin")


def test_words_match_ignoring_case_and_accents_newest_first(app, admin):
    """'cancion', 'CANCIÓN' and the prefix 'canc' all find 'canción' and 'CANCION', newest first."""
    ids = add(app, ("ana", "admin", "Me gusta la Canción del verano"),
              ("admin", "ana", "otra cosa"),
              ("bob", "admin", "CANCION en mayúsculas"),
              ("bob", "admin", "el pingüino y el ÁRBOL"))
    for q in ("cancion", "CANCIÓN", "canción", "canc", "Canci"):
        answer = search(admin, q)
        assert [m["id"] for m in answer["mensajes"]] == [ids[2], ids[0]], q
    first = search(admin, "cancion")["mensajes"][0]
    assert set(first) == MESSAGE_KEYS
    assert first["conversacion"] == "bob" and first["de_usuario"] == "bob" and first["mensaje"] == "CANCION en mayúsculas"
    assert found_texts(admin, "pinguino arbol") == ["el pingüino y el ÁRBOL"]
    assert found_texts(admin, "verano canción") == ["Me gusta la Canción del verano"]  # every word
    assert found_texts(admin, "verano pingüino") == []
    assert found_texts(admin, "nada parecido") == []


def test_an_agents_reply_is_found_in_its_customers_conversation(app, admin):
    add(app, ("admin", "ana", "Tu pedido número 4471 ha salido"))
    [found] = search(admin, "pedido 4471")["mensajes"]
    assert (found["conversacion"], found["de_usuario"], found["para_usuario"]) == ("ana", "admin", "ana")


def test_customers_by_username_or_name_prefix_ignoring_case(app, admin):
    with app.app_context():
        make_users(("andres", "user"), ("zeta", "user"), ("anagente", "admin"))
        db.session.execute(sa.update(db.metadata.tables["usuarios"]).where(
            sa.column("usuario") == "zeta").values(nombre="Anastasia Pérez"))
        db.session.commit()
    assert search(admin, "AN")["usuarios"] == [
        {"usuario": "ana", "nombre": "Ana"}, {"usuario": "andres", "nombre": "Andres"},
        {"usuario": "zeta", "nombre": "Anastasia Pérez"}]  # agents are not customers
    assert search(admin, "bo")["usuarios"] == [{"usuario": "bob", "nombre": "Bob"}]
    assert search(admin, "na")["usuarios"] == []  # a prefix, not anywhere in the name
    assert search(admin, "a%")["usuarios"] == []  # LIKE's wildcards are literal text
    assert search(admin, "a_a")["usuarios"] == []


def test_customers_by_the_start_of_any_word_of_the_name_ignoring_accents(app, admin):
    """Any word of the display name matches from its start, case and accents ignored; never from its middle."""
    with app.app_context():
        make_users(("cli1", "user"), ("cli2", "user"))
        usuarios = db.metadata.tables["usuarios"]
        for usuario, nombre in (("cli1", "Cliente de prueba"), ("cli2", "José Ángel Muñoz")):
            db.session.execute(sa.update(usuarios).where(sa.column("usuario") == usuario).values(nombre=nombre))
        db.session.commit()
    assert search(admin, "prueba")["usuarios"] == [{"usuario": "cli1", "nombre": "Cliente de prueba"}]
    assert search(admin, "PRUE")["usuarios"] == [{"usuario": "cli1", "nombre": "Cliente de prueba"}]
    assert search(admin, "angel")["usuarios"] == [{"usuario": "cli2", "nombre": "José Ángel Muñoz"}]
    assert search(admin, "munoz")["usuarios"] == [{"usuario": "cli2", "nombre": "José Ángel Muñoz"}]
    assert search(admin, "JOSÉ")["usuarios"] == [{"usuario": "cli2", "nombre": "José Ángel Muñoz"}]
    assert search(admin, "rueba")["usuarios"] == []  # the start of a word, not its middle


@pytest.mark.parametrize("q", ['" "', '""', "***", "+-", "()", "@@@", "~<>", "NEAR(", "AND OR NOT",
                               "'; DROP TABLE mensajes; --", "\\\\", "%_%", "^$", "a:b", "{x}", "-+~*\"'()<>@"])
def test_operators_in_q_are_just_text(app, admin, q):
    """FTS5 and boolean-mode syntax in q never errors; a q of symbols only finds no messages."""
    add(app, ("ana", "admin", "AND OR NOT NEAR tabla mensajes DROP"), ("bob", "admin", "uno dos tres"))
    answer = search(admin, q)
    if not any(c.isalnum() for c in q):
        assert answer["mensajes"] == []
    assert {m["conversacion"] for m in answer["mensajes"]} <= {"ana"}


def test_operators_around_words_still_find_them(app, admin):
    add(app, ("ana", "admin", "la factura de marzo"))
    for q in ('"factura', "factura*", "+factura -marzo", "(factura)", '[factura] {marzo}', "factura\"'"):
        assert found_texts(admin, q) == ["la factura de marzo"], q


def test_limite(app, admin):
    ids = add(app, *[("ana", "admin", f"tornillo número {i}") for i in range(25)])
    assert [m["id"] for m in search(admin, "tornillo")["mensajes"]] == ids[::-1][:20]
    assert [m["id"] for m in search(admin, "tornillo", limite=5)["mensajes"]] == ids[::-1][:5]
    assert len(search(admin, "tornillo", limite=100)["mensajes"]) == 25


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "a"}, {"q": "  a  "}, {"q": "x" * 201},
                                   {"q": "hola", "limite": "0"}, {"q": "hola", "limite": "101"},
                                   {"q": "hola", "limite": "diez"}])
def test_bad_parameters_are_400(admin, query):
    response = admin.get("/api/buscar", query_string=query)
    assert response.status_code == 400
    assert set(response.get_json()) == {"error"}


def test_q_of_200_characters_is_fine(admin):
    assert search(admin, "x" * 200) == {"usuarios": [], "mensajes": []}


def test_only_agents_search(app, cookie_client, client):
    add(app, ("bob", "admin", "secreto de bob"))
    response = cookie_client("ana").get("/api/buscar?q=secreto")
    assert response.status_code == 403 and "error" in response.get_json()
    assert client.get("/api/buscar?q=secreto").status_code == 401


def test_retried_batches_are_indexed_once(app, admin):
    """The writer's INSERT OR IGNORE: a replayed batch (same ids, same cids) adds nothing to the index."""
    rows = rows_for(app, *[("ana", "admin", f"paraguas {i}") for i in range(5)])
    for i, row in enumerate(rows):
        row["cid"] = f"c{i}"
    retry_same_cid = {**rows_for(app, ("ana", "admin", "paraguas repetido"))[0], "cid": "c0"}
    with app.app_context():
        store(db.session, rows)
        db.session.commit()
        store(db.session, rows)  # a replayed segment
        store(db.session, [retry_same_cid, *rows[:2]])  # a client's retry under a new id
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Mensaje)) == 5
    assert sorted(found_texts(admin, "paraguas")) == [f"paraguas {i}" for i in range(5)]
    assert fts_consistent(app)


def test_deleted_and_edited_rows_leave_the_index(app, admin):
    ids = add(app, ("ana", "admin", "bicicleta roja"), ("bob", "admin", "bicicleta azul"))
    with app.app_context():
        db.session.execute(sa.delete(Mensaje).where(Mensaje.id == ids[0]))
        db.session.execute(sa.update(Mensaje).where(Mensaje.id == ids[1]).values(mensaje="patinete azul"))
        db.session.commit()
    assert found_texts(admin, "bicicleta") == []
    assert found_texts(admin, "patinete") == ["patinete azul"]
    assert fts_consistent(app)
    with app.app_context():  # what the test fixture does between tests
        db.session.execute(sa.delete(Mensaje))
        db.session.commit()
    assert found_texts(admin, "patinete") == []
    assert fts_consistent(app)


def test_search_uses_the_index(app):
    """The plan: MariaDB's FULLTEXT index, SQLite's FTS5 table (never a scan of mensajes)."""
    from soporte.inbox.search import find_messages

    add(app, ("ana", "admin", "lámpara de pie"))
    with app.test_request_context(), app.app_context():
        assert [m["mensaje"] for m in find_messages("lampara", 20)] == ["lámpara de pie"]
        with db.engine.connect() as conn:
            if is_mysql():
                plan = conn.execute(sa.text(
                    "EXPLAIN SELECT id FROM mensajes WHERE MATCH (mensaje) AGAINST "
                    "('+lampara*' IN BOOLEAN MODE) ORDER BY id DESC LIMIT 20")).mappings().all()
                print("EXPLAIN", [dict(row) for row in plan])
                assert plan[0]["type"] == "fulltext" and plan[0]["key"] == FULLTEXT_INDEX
            else:
                plan = conn.execute(sa.text(
                    f"EXPLAIN QUERY PLAN SELECT m.id FROM mensajes m JOIN {FTS_TABLE} f ON f.rowid = m.id "
                    f"WHERE f.mensaje MATCH '\"lampara\"*' ORDER BY f.rowid DESC LIMIT 20")).all()
                details = [row[-1] for row in plan]
                print("EXPLAIN QUERY PLAN", details)
                assert any("SCAN f VIRTUAL TABLE INDEX" in d for d in details)
                assert not any("TEMP B-TREE" in d for d in details)  # rowid order comes from FTS5


def test_upgrade_from_0002_makes_stored_messages_searchable(app, admin):
    """Messages stored before revision 0003 are found once `db upgrade` has run."""
    with app.app_context():
        drop_schema()
        upgrade(revision="0002")
        with db.engine.begin() as conn:  # the accounts as revision 0002 has them (the model is the head's)
            usuarios = sa.Table("usuarios", sa.MetaData(), autoload_with=conn)
            conn.execute(usuarios.insert(), [
                {"usuario": name, "nombre": name.capitalize(), "rol": rol, "password_hash": password_hash()}
                for name, rol in (("admin", "admin"), ("agente2", "admin"), ("ana", "user"), ("bob", "user"))])
        rows = rows_for(app, ("ana", "admin", "Mi paquete llegó roto"), ("admin", "ana", "Lo siento mucho"),
                        ("bob", "admin", "¿Dónde está mi PAQUETE?"))
        db.session.execute(sa.insert(Mensaje.__table__), rows)
        db.session.commit()
        db.session.remove()
        upgrade(revision="0003")
        assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0003"
        if is_mysql():
            collation = db.session.execute(sa.text(
                "SELECT collation_name FROM information_schema.columns WHERE table_schema = DATABASE() "
                "AND table_name = 'mensajes' AND column_name = 'mensaje'")).scalar_one()
            assert collation == MYSQL_TEXT_COLLATION
        db.session.remove()
        upgrade()  # the later revisions too, for the app's queries
        db.session.remove()
    assert found_texts(admin, "paquete") == ["¿Dónde está mi PAQUETE?", "Mi paquete llegó roto"]
    assert found_texts(admin, "donde") == ["¿Dónde está mi PAQUETE?"]
    assert fts_consistent(app)
    # and what the writer stores from now on is indexed as it goes
    add(app, ("bob", "admin", "otro paquete"))
    assert found_texts(admin, "paquete")[0] == "otro paquete"


# --- alrededor: the page of a conversation around one message ------------------------

def page(client, **params):
    response = client.get("/api/mensajes", query_string={"con": "ana", **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [m["id"] for m in response.get_json()]


def test_alrededor_centres_the_page_on_the_message(app, admin):
    texts = [("ana", "admin", f"m{i}") if i % 2 else ("admin", "ana", f"m{i}") for i in range(30)]
    ids = add(app, *texts[:11])
    [elsewhere] = add(app, ("bob", "admin", "otra conversación"))
    ids += add(app, *texts[11:])
    assert page(admin, alrededor=ids[10], limite=6) == ids[8:14]  # 2 before, it, 3 after
    assert page(admin, alrededor=ids[10], limite=7) == ids[7:14]  # 3 before, it, 3 after
    assert page(admin, alrededor=ids[10], limite=1) == [ids[10]]
    assert page(admin, alrededor=ids[0], limite=6) == ids[0:4]  # nothing before the first
    assert page(admin, alrededor=ids[29], limite=6) == ids[27:30]  # nothing after the last
    assert page(admin, alrededor=ids[10]) == ids  # default limite 100: all 30
    # from there, the usual paging goes on in both directions
    assert page(admin, antes=ids[8], limite=3) == ids[5:8]
    assert page(admin, despues=ids[13], limite=3) == ids[14:17]
    # an id that is not in the conversation: the page around where it would be
    assert page(admin, alrededor=elsewhere, limite=4) == ids[9:13]


def test_alrededor_includes_the_writers_pending_rows(app, admin):
    ids = add(app, *[("ana", "admin", f"m{i}") for i in range(4)])
    pending = rows_for(app, ("ana", "admin", "aún no guardado"))[0]
    writer = app.extensions["soporte"].writer
    writer.unstored[pending["id"]] = pending  # accepted, not yet in the database
    try:
        assert page(admin, alrededor=ids[3], limite=4) == [ids[2], ids[3], pending["id"]]
    finally:
        writer.unstored.clear()


@pytest.mark.parametrize("query", [{"alrededor": "x"}, {"alrededor": "0"}, {"alrededor": str(2**63)},
                                   {"alrededor": "5", "antes": "9"}, {"alrededor": "5", "despues": "1"}])
def test_bad_alrededor_is_400(admin, query):
    response = admin.get("/api/mensajes", query_string={"con": "ana", **query})
    assert response.status_code == 400 and "error" in response.get_json()


def test_paging_without_alrededor_is_unchanged(app, admin):
    ids = add(app, *[("ana", "admin", f"m{i}") for i in range(10)])
    assert page(admin, limite=3) == ids[-3:]
    assert page(admin, antes=ids[5], limite=3) == ids[2:5]
    assert page(admin, despues=ids[5], limite=3) == ids[6:9]
