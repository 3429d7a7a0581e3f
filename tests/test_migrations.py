"""Migrations: they build the models' schema, and take a core-service database forward intact."""
import jwt
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.script import ScriptDirectory
from flask import current_app
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.dialects import mysql

from conftest import PASSWORD, TEST_SECRETS, _rebuilt, drop_schema, login, password_hash
from soporte.extensions import db
from soporte.accounts.lookup import find_account
from soporte.models import Ciclo, Conversacion, Lectura, Mensaje, Usuario
from soporte.relay.writer import store
from soporte.search_index import include_object

MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def core_service_schema():
    """The tables exactly as the core service's models declared them (init-db ran create_all)."""
    tables = sa.MetaData()
    sa.Table("usuarios", tables,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("usuario", sa.String(64), unique=True, nullable=False),
             sa.Column("nombre", sa.String(128), nullable=False),
             sa.Column("rol", sa.String(8), nullable=False),
             sa.Column("password_hash", sa.String(255), nullable=False), **MYSQL_TABLE)
    sa.Table("mensajes", tables,
             sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
             sa.Column("de_usuario", sa.String(64), nullable=False),
             sa.Column("para_usuario", sa.String(64), nullable=False),
             sa.Column("conversacion", sa.String(64), nullable=False),
             sa.Column("mensaje", sa.Text, nullable=False),
             sa.Column("fecha", sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                       nullable=False),
             sa.Column("cid", sa.String(64)),
             sa.Index("ix_mensajes_conversacion_id", "conversacion", "id"),
             sa.UniqueConstraint("de_usuario", "cid", name="uq_mensajes_de_usuario_cid"),
             **MYSQL_TABLE)
    return tables


def fill_core_database(app, conversations=30, per_conversation=40):
    """A core-service database with accounts and messages in many conversations; its rows."""
    old = core_service_schema()
    chat = app.extensions["soporte"]
    messages = []
    for c in range(conversations):
        customer = f"cliente{c}"
        for i in range(per_conversation):
            message_id, fecha = chat.ids.next()
            agent_writes = i % 3 == 2
            messages.append({"id": message_id, "de_usuario": "admin" if agent_writes else customer,
                             "para_usuario": customer if agent_writes else "admin",
                             "conversacion": customer, "mensaje": f"mensaje {i} de {customer} 😀 ñ",
                             "fecha": fecha, "cid": None if agent_writes else f"c{c}-{i}"})
    with db.engine.begin() as conn:
        old.create_all(conn)
        conn.execute(old.tables["usuarios"].insert(), [
            {"usuario": "admin", "nombre": "Soporte", "rol": "admin", "password_hash": "x"},
            {"usuario": "agente2", "nombre": "Agente", "rol": "admin", "password_hash": "x"},
            *({"usuario": f"cliente{c}", "nombre": f"C{c}", "rol": "user", "password_hash": "x"}
              for c in range(conversations))])
        conn.execute(old.tables["mensajes"].insert(), messages)
    return messages


def all_messages():
    """Every stored message as a dict of its columns, oldest first."""
    columns = ("id", "de_usuario", "para_usuario", "conversacion", "mensaje", "fecha", "cid")
    rows = db.session.execute(sa.select(*(getattr(Mensaje, c) for c in columns)).order_by(Mensaje.id))
    return [dict(zip(columns, row)) for row in rows]


def test_migrations_build_exactly_the_models_schema(app):
    """After `db upgrade` on an empty database, autogenerate finds nothing left to change."""
    with app.app_context():
        drop_schema()
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": include_object(conn.dialect.name)})
            assert compare_metadata(context, db.metadata) == []


def test_upgrade_takes_a_core_service_database_forward_without_losing_a_message(app):
    """A database made by the core service's init-db (no alembic_version) upgrades in place."""
    with app.app_context():
        drop_schema()
        before = fill_core_database(app)
        upgrade()

        assert all_messages() == before
        version = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_current_head()
        # each conversation has its row: open, at its latest message
        latest = {}
        for row in before:
            latest[row["conversacion"]] = row["id"]
        conversaciones = {c.usuario: c for c in db.session.scalars(sa.select(Conversacion))}
        assert {name: c.ultimo_id for name, c in conversaciones.items()} == latest
        assert {c.estado for c in conversaciones.values()} == {"abierta"}
        # existing agents start with the existing conversations read; customers have no markers
        marks = {(m.agente, m.conversacion): m.ultimo_leido for m in db.session.scalars(sa.select(Lectura))}
        assert marks == {(agent, name): last for agent in ("admin", "agente2") for name, last in latest.items()}
        # 0005: each conversation waits since its customer's messages after the last agent's reply,
        # and has one open cycle from its first message; the oldest agent supervises
        def waiting_since(name):
            rows = [r for r in before if r["conversacion"] == name]
            last_agent = max(r["id"] for r in rows if r["de_usuario"] != name)
            return min((r["id"] for r in rows if r["de_usuario"] == name and r["id"] > last_agent), default=None)
        assert {name: c.esperando_id for name, c in conversaciones.items()} == {name: waiting_since(name) for name in latest}
        ciclos = {c.conversacion: c for c in db.session.scalars(sa.select(Ciclo))}
        assert {name: c.abierto_id for name, c in ciclos.items()} == {
            name: min(r["id"] for r in before if r["conversacion"] == name) for name in latest}
        assert {name: c.ciclo_id for name, c in conversaciones.items()} == {name: c.id for name, c in ciclos.items()}
        assert all(c.resuelta_en is None and c.abierta_en is not None for c in ciclos.values())
        assert dict(db.session.execute(sa.select(Usuario.usuario, Usuario.supervisor)
                                       .where(Usuario.rol == "admin")).all()) == {"admin": True, "agente2": False}

        # the upgraded database takes new messages the way the writer stores them
        message_id, fecha = app.extensions["soporte"].ids.next()
        store(db.session, [{"id": message_id, "de_usuario": "cliente0", "para_usuario": "admin",
                            "conversacion": "cliente0", "mensaje": "después", "fecha": fecha, "cid": "n1"}])
        db.session.commit()
        assert db.session.get(Conversacion, "cliente0").ultimo_id == message_id
        assert len(all_messages()) == len(before) + 1


def test_downgrade_to_the_core_schema_keeps_the_messages(app):
    """Going back to revision 0001 drops the inbox tables and keeps every message and account."""
    with app.app_context():
        drop_schema()
        before = fill_core_database(app, conversations=3, per_conversation=5)
        upgrade()
        downgrade(revision="0001")
        names = set(sa.inspect(db.engine).get_table_names())
        assert {"conversaciones", "lecturas"}.isdisjoint(names)
        assert all_messages() == before
        db.session.commit()  # end the read: MariaDB refuses a snapshot older than the table
        upgrade()  # and forward again
        assert len(db.session.scalars(sa.select(Conversacion)).all()) == 3
        drop_schema()  # leave a schema the next test's fixture rebuilds
    from conftest import _rebuilt
    _rebuilt.clear()


def test_upgrade_gives_look_alike_accounts_one_canonical_name(app):
    """0004 on a database that already has look-alikes: nobody is renamed or locked out; in each
    group an agent, else the oldest, holds the canonical name, and no new look-alike can be made."""
    with app.app_context():
        drop_schema()
        upgrade(revision="0003")
        accounts = [("Maria", "user"), ("ana", "user"), ("admin", "admin"), ("ANA.", "user"),
                    ("maria", "admin"), ("Admin", "user"), ("bob", "user")]
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO usuarios (usuario, nombre, rol, password_hash) "
                                 "VALUES (:usuario, :usuario, :rol, :hash)"),
                         [{"usuario": u, "rol": r, "hash": password_hash()} for u, r in accounts])
        upgrade()
        canonical = dict(db.session.execute(sa.text("SELECT usuario, usuario_canonico FROM usuarios")).all())
        assert canonical == {"maria": "maria", "Maria": None, "ana": "ana", "ANA.": None,
                             "admin": "admin", "Admin": None, "bob": "bob"}
        assert find_account("MARIA").usuario == "maria"  # the agent, though the customer is older
        assert find_account("Maria").usuario == "Maria"  # the look-alike still logs in by its own name
        db.session.remove()
    for typed, holder in [("Admin", "Admin"), ("ANA.", "ANA."), ("Ana", "ana")]:
        other = app.test_client()
        assert login(other, typed, PASSWORD).status_code == 302
        assert other.get("/api/mensajes/mios").status_code == 200
        assert jwt.decode(other.get_cookie("token").value, TEST_SECRETS["JWT_SECRET"],
                          algorithms=["HS256"])["user"] == holder
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.add(Usuario(usuario="bob.", nombre="x", rol="user", password_hash="x"))
            db.session.commit()
        db.session.rollback()
        drop_schema()  # leave a schema the next test's fixture rebuilds
    _rebuilt.clear()
