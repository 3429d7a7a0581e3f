"""Email when nobody is online (soporte/mail/): what a real SMTP server (aiosmtpd, started here) receives.

The mailer's rounds are run by hand (mailer.round(), what its background task runs every
MAIL_INTERVAL), so each test says exactly when a round happens.
"""
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from soporte.extensions import db
from soporte.mail import outbox
from soporte.mail.mailer import get_mailer
from soporte.mail.privacy import erase_customer, export_customer
from soporte.mail.smtp import parse_smtp_url
from soporte.models import Correo, Mensaje, Usuario, utc_now
from smtp_server import SmtpServer
from test_api import add_messages

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PUBLIC_URL = "https://soporte.example.com"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    if server.controller is not None:
        server.stop()


@pytest.fixture
def mail_app(app, smtp):
    """The app sending to the test's SMTP server, with no delay before offline replies and quick retries."""
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{smtp.port}", MAIL_FROM="soporte@example.com",
                      PUBLIC_URL=PUBLIC_URL, REPLY_EMAIL_DELAY=0, MAIL_RETRY_BASE=60, MAIL_MAX_ATTEMPTS=3)
    get_mailer(app).replies.store_lag = 0  # the tests' messages are stored before the round
    return app


def run_round(app):
    """One mailer round, as its background task runs it."""
    with app.app_context():
        get_mailer(app).round()
        db.session.remove()


def set_email(app, username, email, idioma=None):
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == username).values(email=email, idioma=idioma))
        db.session.commit()


def rows(app):
    with app.app_context():
        found = [(c.tipo, c.estado, c.intentos) for c in db.session.scalars(select(Correo).order_by(Correo.id))]
        db.session.remove()
        return found


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


# --- offline replies -----------------------------------------------------------------------

def test_offline_replies_are_emailed_once_in_one_email_in_english_with_a_link(mail_app, smtp):
    set_email(mail_app, "ana", "ana@example.com", idioma="en")
    mail_app.config["REPLY_EMAIL_DELAY"] = 3600
    add_messages(mail_app, ("ana", "admin", "¿hola?"), ("admin", "ana", "Buenos días"),
                 ("admin", "ana", "<b>¿Sigues ahí?</b>"))
    run_round(mail_app)
    assert smtp.messages == []  # not yet: the delay
    with mail_app.app_context():
        assert db.session.scalar(select(Usuario.respuesta_pendiente_id).filter_by(usuario="ana")) is not None
    mail_app.config["REPLY_EMAIL_DELAY"] = 0
    run_round(mail_app)
    run_round(mail_app)  # nothing new: nothing more
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "ana@example.com" and message["From"] == "soporte@example.com"
    assert message["Subject"] == "You have new replies from support"
    assert message["Content-Language"] == "en"
    assert re.fullmatch(r"<correo-\d+\.[0-9a-f]{16}@soporte\.example\.com>", message["Message-ID"])
    text, html = text_of(message), html_of(message)
    assert "Buenos días" in text and "<b>¿Sigues ahí?</b>" in text and "¿hola?" not in text  # replies only
    assert "&lt;b&gt;¿Sigues ahí?&lt;/b&gt;" in html and "<b>¿Sigues" not in html  # autoescaped
    assert "Admin ·" in text  # the author's display name and the time
    assert f"{PUBLIC_URL}/soporte" in text and f'href="{PUBLIC_URL}/soporte"' in html
    assert rows(mail_app) == [("respuestas", "enviado", 1)]

    add_messages(mail_app, ("admin", "ana", "Una más"))  # a later burst: a second email, with only it
    run_round(mail_app)
    assert len(smtp.messages) == 2
    assert "Una más" in text_of(smtp.messages[1]) and "Buenos días" not in text_of(smtp.messages[1])


def test_a_deleted_reply_is_not_emailed_and_a_files_link_points_at_the_site(mail_app, smtp):
    set_email(mail_app, "ana", "ana@example.com")
    deleted, _ = add_messages(mail_app, ("admin", "ana", "Esto lo borro"),
                              ("admin", "ana", "Aquí va la factura\n📎 factura.pdf: /api/adjuntos/abc123"))
    with mail_app.app_context():  # what borrar_mensaje leaves: the row, no text
        db.session.execute(update(Mensaje).where(Mensaje.id == deleted).values(mensaje="", eliminado_en=utc_now()))
        db.session.commit()
    run_round(mail_app)
    [message] = smtp.messages
    text = text_of(message)
    assert text.count("Admin ·") == 1  # one reply: the deleted one is not there, not even empty
    assert "Aquí va la factura" in text and f"📎 factura.pdf: {PUBLIC_URL}/api/adjuntos/abc123" in text


def test_spanish_by_default_and_nothing_without_an_address(mail_app, smtp):
    set_email(mail_app, "bob", "bob@example.com")
    add_messages(mail_app, ("admin", "bob", "Hola Bob"), ("admin", "ana", "Hola Ana"))  # ana gave no address
    run_round(mail_app)
    assert [m["To"] for m in smtp.messages] == ["bob@example.com"]
    assert smtp.messages[0]["Subject"] == "Tienes respuestas nuevas de soporte"
    assert smtp.messages[0]["Content-Language"] == "es" and "Volver a la conversación" in text_of(smtp.messages[0])


def test_no_email_for_replies_read_online_or_before_going_offline(mail_app, smtp, connect):
    set_email(mail_app, "ana", "ana@example.com")
    set_email(mail_app, "bob", "bob@example.com")
    ana = connect("ana")  # online when the reply is due: she reads it live
    add_messages(mail_app, ("admin", "ana", "para Ana"))
    run_round(mail_app)
    assert smtp.messages == []
    mail_app.config["REPLY_EMAIL_DELAY"] = 3600
    bob = connect("bob")
    add_messages(mail_app, ("admin", "bob", "para Bob"))
    run_round(mail_app)  # noted, not due
    bob.disconnect()  # he saw it, then left
    ana.disconnect()
    mail_app.config["REPLY_EMAIL_DELAY"] = 0
    run_round(mail_app)
    assert smtp.messages == []
    with mail_app.app_context():
        assert db.session.scalar(select(Usuario.respuesta_pendiente_id).filter_by(usuario="bob")) is None


# --- agents, transcripts, addresses -----------------------------------------------------------

def csrf_of(client):
    return CSRF_META.search(client.get("/soporte").get_data(as_text=True)).group(1)


def put_email(client, body, token):
    return client.put("/api/correo", json=body, headers={"X-CSRFToken": token})


def test_agent_who_opted_in_is_emailed_of_a_new_conversation_when_no_agent_is_online(mail_app, smtp, as_user, connect):
    admin = as_user("admin")
    answer = put_email(admin, {"email": "admin@example.com", "avisos": True}, csrf_of(admin))
    assert answer.status_code == 200 and answer.get_json() == {"email": "admin@example.com", "avisos": True}
    ana = connect("ana")
    assert ana.emit("mensaje_privado", {"para": "admin", "mensaje": "¿Hay alguien?"}, callback=True)["ok"]
    assert mail_app.extensions["soporte"].writer.flush()
    run_round(mail_app)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "admin@example.com" and message["Subject"] == "Conversación en espera: Ana"
    assert "¿Hay alguien?" in text_of(message) and f"{PUBLIC_URL}/soporte" in text_of(message)

    connect("agente2")  # an agent online: nobody is emailed
    assert ana.emit("mensaje_privado", {"para": "admin", "mensaje": "otra"}, callback=True)["ok"]
    add_messages(mail_app, ("admin", "bob", "x"))
    assert mail_app.extensions["soporte"].writer.flush()
    run_round(mail_app)
    assert len(smtp.messages) == 1


def test_transcript_by_email_with_names_and_times(mail_app, smtp, as_user):
    ana = as_user("ana")
    token = csrf_of(ana)
    assert ana.post("/api/correo/transcripcion", headers={"X-CSRFToken": token}).status_code == 400  # no address yet
    assert put_email(ana, {"email": "  Ana@Example.COM "}, token).get_json() == {"email": "Ana@example.com"}
    add_messages(mail_app, ("ana", "admin", "Mi pedido no llega"), ("admin", "ana", "Lo miro ahora"))
    answer = ana.post("/api/correo/transcripcion", headers={"X-CSRFToken": token})
    assert answer.status_code == 202 and answer.get_json() == {"ok": True, "email": "Ana@example.com"}
    assert ana.post("/api/correo/transcripcion", headers={"X-CSRFToken": token}).status_code == 202  # nothing new
    mail_app.config["REPLY_EMAIL_DELAY"] = 3600  # only the transcript in this round
    run_round(mail_app)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "Transcripción de tu conversación con soporte"
    text = text_of(message)
    assert "Ana ·" in text and "Admin ·" in text and "UTC" in text
    assert text.index("Mi pedido no llega") < text.index("Lo miro ahora")
    admin = as_user("admin")
    assert admin.post("/api/correo/transcripcion", headers={"X-CSRFToken": csrf_of(admin)}).status_code == 403


def test_addresses_are_checked_and_changes_need_the_csrf_token_and_are_rate_limited(mail_app, as_user):
    ana = as_user("ana")
    token = csrf_of(ana)
    for bad in ("no", "a@b", "a b@example.com", "ana@example.com\r\nBcc: x@y.z", "a@" + "x" * 250 + ".com", 7):
        answer = put_email(ana, {"email": bad}, token)
        assert answer.status_code == 400 and answer.get_json()["error"], bad
    assert put_email(ana, {"email": "ana@example.com"}, "wrong").status_code == 400
    assert put_email(ana, {"avisos": True}, token).status_code == 400  # an agent's switch
    assert put_email(ana, {"email": None}, token).get_json() == {"email": None}
    mail_app.config["EMAIL_RATE_LIMIT"] = "2 per hour"
    bob = as_user("bob")
    bob_token = csrf_of(bob)
    assert [put_email(bob, {"email": "bob@example.com"}, bob_token).status_code for _ in range(3)] == [200, 200, 429]
    assert bob.get("/api/correo").get_json() == {"email": "bob@example.com"}
    assert as_user("admin").put("/api/correo", json={"email": "x@example.com"}).status_code == 400  # no token


def test_registration_takes_an_optional_address(mail_app, client):
    page = client.get("/registro").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"user": "carla", "nombre": "Carla", "pass": "una-clave-larga", "pass2": "una-clave-larga",
            "csrf_token": token}
    assert client.post("/registro", data={**form, "email": "no es correo"}).status_code == 400
    assert client.post("/registro", data={**form, "email": "carla@example.com"}).status_code == 302
    with mail_app.app_context():
        assert db.session.scalar(select(Usuario.email).filter_by(usuario="carla")) == "carla@example.com"


# --- the outbox: outages, restarts, retries ----------------------------------------------------

def queue_one(app, clave="prueba:1", para="ana@example.com"):
    with app.app_context():
        queued = outbox.queue(clave, "transcripcion", para, "es", ("Asunto", "texto", "<p>html</p>"), usuario="ana")
        db.session.commit()
        db.session.remove()
        return queued


def test_the_outbox_survives_an_smtp_outage_and_sends_once(mail_app, smtp, as_user):
    assert queue_one(mail_app) and not queue_one(mail_app)  # the same key twice: one row
    smtp.stop()
    run_round(mail_app)
    assert rows(mail_app) == [("transcripcion", "pendiente", 1)]
    figures = as_user("admin").get("/api/operaciones").get_json()["correo"]
    assert figures["pendientes"] == 1 and figures["fallidos"] == 0 and "Connection refused" in figures["ultimo_error"]
    run_round(mail_app)  # not due yet (backoff): no attempt
    assert rows(mail_app) == [("transcripcion", "pendiente", 1)]
    smtp.start()
    with mail_app.app_context():  # the backoff has passed
        db.session.execute(update(Correo).values(proximo_intento=utc_now()))
        db.session.commit()
    run_round(mail_app)
    run_round(mail_app)
    assert len(smtp.messages) == 1 and rows(mail_app) == [("transcripcion", "enviado", 2)]


def test_a_restarted_process_sends_nothing_twice_and_takes_over_a_dead_senders_claim(mail_app, smtp, tmp_path):
    from soporte import create_app
    from conftest import TEST_LIMITS, TEST_SECRETS

    queue_one(mail_app, "prueba:1")
    run_round(mail_app)
    queue_one(mail_app, "prueba:2")
    with mail_app.app_context():  # a sender claims it and is killed before it sends
        assert len(outbox.claim(lease_seconds=60)) == 1
        db.session.remove()
    restarted = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": mail_app.config["SQLALCHEMY_DATABASE_URI"],
                            "SPOOL_DIR": str(tmp_path / "spool2"), **TEST_SECRETS, **TEST_LIMITS,
                            "SMTP_URL": mail_app.config["SMTP_URL"], "PUBLIC_URL": PUBLIC_URL},
                           instance_path=str(tmp_path / "instance2"))
    try:
        run_round(restarted)
        assert len(smtp.messages) == 1  # the sent one is not sent again; the claimed one waits for its lease
        with restarted.app_context():
            db.session.execute(update(Correo).where(Correo.clave == "prueba:2")
                               .values(bloqueado_hasta=utc_now() - timedelta(seconds=1)))
            db.session.commit()
        run_round(restarted)
        run_round(restarted)
        assert len(smtp.messages) == 2 and len({m["Message-ID"] for m in smtp.messages}) == 2
        assert [r[1] for r in rows(restarted)] == ["enviado", "enviado"]
    finally:
        restarted.extensions["soporte"].writer.close()
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()


def test_retries_back_off_doubling_then_the_email_is_left_failed_and_shown(mail_app, smtp, as_user):
    smtp.inbox.refuse = True
    queue_one(mail_app)
    waits = []
    for attempt in range(1, 4):
        with mail_app.app_context():
            db.session.execute(update(Correo).values(proximo_intento=utc_now()))
            db.session.commit()
        before = utc_now()
        run_round(mail_app)
        with mail_app.app_context():
            row = db.session.scalar(select(Correo))
            waits.append(round((row.proximo_intento - before).total_seconds() / 60))
            state = (row.estado, row.intentos, row.ultimo_error)
            db.session.remove()
        assert state[1] == attempt and "451" in state[2]
    assert waits[:2] == [1, 2]  # 60 s, then 120 s
    assert state[0] == "fallido"
    figures = as_user("admin").get("/api/operaciones").get_json()["correo"]
    assert figures["fallidos"] == 1 and figures["pendientes"] == 0 and "451" in figures["ultimo_error"]
    page = as_user("admin").get("/operaciones").get_data(as_text=True)
    assert 'id="ops-correo-fallidos"' in page
    assert smtp.messages == []


def test_concurrent_senders_claim_disjoint_rows(mail_app):
    for i in range(30):
        queue_one(mail_app, f"prueba:{i}")
    claimed, errors = [], []

    def sender():
        """Claim until nothing is due: a claim that loses every row to another sender comes back empty."""
        try:
            with mail_app.app_context():
                for _ in range(200):
                    got = outbox.claim(lease_seconds=60, limit=4)
                    claimed.extend(c.id for c in got)
                    if not got and not db.session.scalar(
                            select(func.count()).select_from(Correo).where(Correo.estado == "pendiente")):
                        break
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(claimed) == len(set(claimed)) == 30


def test_smtp_urls():
    assert parse_smtp_url("smtps://u%40x:p%3Aw@mail.example.com") == parse_smtp_url(
        "smtps://u%40x:p%3Aw@mail.example.com:465")
    server = parse_smtp_url("smtp://u:p@mail.example.com?starttls=1")
    assert (server.port, server.tls, server.user, server.password) == (587, "starttls", "u", "p")
    assert parse_smtp_url("smtp://relay").tls is None and parse_smtp_url("smtp://relay").port == 25
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example.com")


# --- personal data --------------------------------------------------------------------------------

def test_export_and_erase_the_customers_emails(mail_app, smtp):
    set_email(mail_app, "ana", "ana@example.com")
    queue_one(mail_app, "prueba:ana")
    queue_one(mail_app, "nueva:ana:1:admin", para="admin@example.com")
    with mail_app.app_context():
        db.session.add(Correo(clave="otra", tipo="respuestas", usuario="bob", para="bob@example.com", idioma="es",
                              asunto="a", texto="t", html="h", proximo_intento=utc_now(), creado_en=utc_now()))
        db.session.commit()
        ana = db.session.scalar(select(Usuario).filter_by(usuario="ana"))
        [(path, content)] = export_customer(ana)
        assert path == "correo/correo.json"
        assert b"ana@example.com" in content and b"admin@example.com" not in content and b"bob" not in content
        assert erase_customer(ana) == []
        db.session.commit()
        assert db.session.scalars(select(Correo.usuario)).all() == ["bob"]
        assert db.session.scalar(select(Usuario.email).filter_by(usuario="ana")) is None
    run_round(mail_app)
    assert [m["To"] for m in smtp.messages] == ["bob@example.com"]  # nothing of ana's left to send


def test_with_redis_one_mailer_sends_at_a_time(mail_app, smtp):
    import uuid

    import redis

    from conftest import redis_url
    from soporte.redis_lock import RedisLock

    shared = redis.Redis.from_url(redis_url())
    mailer = get_mailer(mail_app)
    mailer.lock = RedisLock(shared, f"soporte:correo:prueba-{uuid.uuid4().hex}", 10_000)
    queue_one(mail_app)
    shared.set(mailer.lock.key, "otro proceso", px=10_000)  # another process's mailer is sending
    run_round(mail_app)
    assert smtp.messages == [] and rows(mail_app) == [("transcripcion", "pendiente", 0)]
    shared.delete(mailer.lock.key)
    run_round(mail_app)
    assert len(smtp.messages) == 1 and shared.get(mailer.lock.key) is None  # given up after the round


def test_sent_emails_are_deleted_after_mail_keep_days(mail_app, smtp):
    queue_one(mail_app, "prueba:vieja")
    queue_one(mail_app, "prueba:nueva")
    run_round(mail_app)
    assert len(smtp.messages) == 2
    with mail_app.app_context():
        db.session.execute(update(Correo).where(Correo.clave == "prueba:vieja")
                           .values(proximo_intento=utc_now() - timedelta(days=31)))
        db.session.commit()
    run_round(mail_app)
    with mail_app.app_context():
        assert db.session.scalars(select(Correo.clave)).all() == ["prueba:nueva"]
