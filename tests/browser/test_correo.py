"""Email in real browsers against a real server process whose mailer sends to a real SMTP server.

The offline notice asks the customer for an address (#pedir-email); the agent who opted in is
emailed about the new conversation; the agent's reply, unread once the customer has left, is
emailed after REPLY_EMAIL_DELAY with a link back to the chat.
"""
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from soporte.extensions import db
from soporte.models import Usuario
from smtp_server import SmtpServer

from .conftest import root_conftest


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(app, tmp_path, smtp, request):
    """The server with its mailer on: a quick round, a one-second delay before offline replies."""
    with app.app_context():  # admin opted in to emails about conversations waiting
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin")
                           .values(email="admin@example.com", avisos_correo=True))
        db.session.commit()
        db.session.remove()
    live = root_conftest(request.config).LiveServer
    server = live(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], extra_env={
        "SOPORTE_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "SOPORTE_MAIL_FROM": "soporte@example.com",
        "SOPORTE_REPLY_EMAIL_DELAY": "1", "SOPORTE_MAIL_INTERVAL": "0.3",
        "SOPORTE_PUBLIC_URL": "https://soporte.example.com"})
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
def test_offline_notice_asks_for_an_email_and_the_replies_arrive_by_email(open_chat, smtp):
    bob = open_chat("bob")
    ask = bob.page.locator("#pedir-email")
    expect(bob.page.locator("#soporte-estado")).to_have_text("Soporte desconectado")
    expect(ask).to_be_visible()
    bob.screenshot("correo-aviso-desconectado")
    ask.get_by_label("Tu correo electrónico").fill("no es un correo")
    ask.get_by_role("button", name="Avisarme por correo").click()
    expect(ask.locator(".correo-aviso")).to_have_text("La dirección de correo no es válida")
    ask.get_by_label("Tu correo electrónico").fill("bob@example.com")
    ask.get_by_role("button", name="Avisarme por correo").click()
    expect(ask).to_be_hidden()
    expect(bob.page.locator("#mi-correo .correo-aviso")).to_have_text("Te avisaremos en bob@example.com")
    expect(bob.page.locator("#correo-direccion")).to_have_value("bob@example.com")
    bob.screenshot("correo-direccion-guardada")

    bob.send("¿Hay alguien?")
    [notice] = smtp.wait_for(1)  # nobody online: the agent who opted in hears of it
    assert notice["To"] == "admin@example.com" and notice["Subject"] == "Conversación en espera: Bob"

    bob.page.close()  # bob leaves; the reply waits for him by email
    admin = open_chat("admin")
    admin.open("bob")
    admin.send("Ya estoy aquí, Bob")
    emails = smtp.wait_for(2)
    reply = emails[1]
    assert reply["To"] == "bob@example.com" and reply["Subject"] == "Tienes respuestas nuevas de soporte"
    text = reply.get_body(("plain",)).get_content()
    assert "Ya estoy aquí, Bob" in text and "https://soporte.example.com/soporte" in text
    admin.page.wait_for_timeout(1500)
    assert len(smtp.messages) == 2  # once

    admin.page.get_by_role("button", name="Correo", exact=True).click()  # the agent's own settings
    dialog = admin.page.locator("#dialogo-correo")
    expect(dialog.get_by_label("Correo electrónico")).to_have_value("admin@example.com")
    expect(dialog.get_by_role("checkbox")).to_be_checked()
    dialog.get_by_role("checkbox").uncheck()
    dialog.get_by_role("button", name="Guardar").click()
    expect(dialog.locator(".correo-aviso")).to_have_text("Guardado")
    admin.screenshot("correo-agente")
    with admin.page.expect_response("**/api/correo") as answer:
        admin.page.reload()
        admin.page.get_by_role("button", name="Correo", exact=True).click()
    assert answer.value.json() == {"email": "admin@example.com", "avisos": False}
