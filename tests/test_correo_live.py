"""The outbox across a crash: real server processes killed with SIGKILL while their mailer sends to a real SMTP server.

What was sent is not sent again after a restart; an email whose sender died after the SMTP
server took it but before its commit is sent again once its lease ends, with the same
Message-ID (the one window docs/architecture.md "Email" names).
"""
import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from conftest import LiveServer
from smtp_server import Inbox, SmtpServer
from soporte.extensions import db
from soporte.mail import outbox
from soporte.models import Correo, utc_now
from test_faults import kill_hard


class SlowInbox(Inbox):
    """Takes the first email whose subject says "lento", then waits a long time before answering 250."""

    slowed = False

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.messages and self.messages[-1]["Subject"] == "lento" and not self.slowed:
            self.slowed = True
            await asyncio.sleep(8)  # the sender is killed meanwhile (within a second)
        return answer


def queue(app, clave, asunto):
    with app.app_context():
        outbox.queue(clave, "transcripcion", "ana@example.com", "es", (asunto, "texto", "<p>html</p>"), usuario="ana")
        db.session.commit()
        db.session.remove()


def states(app):
    with app.app_context():
        found = dict(db.session.execute(select(Correo.clave, Correo.estado)).all())
        db.session.remove()
        return found


def wait_until(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkill_and_restart_send_nothing_twice_but_the_email_in_the_window(app, tmp_path):
    smtp = SmtpServer()
    smtp.inbox = SlowInbox()
    smtp.start()
    env = {"SOPORTE_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}", "SOPORTE_MAIL_INTERVAL": "0.2",
           "SOPORTE_SMTP_TIMEOUT": "60", "SOPORTE_PUBLIC_URL": "https://soporte.example.com"}
    first = second = None
    try:
        queue(app, "a:1", "uno")
        queue(app, "a:2", "dos")
        first = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], extra_env=env).start()
        smtp.wait_for(2)
        wait_until(lambda: set(states(app).values()) == {"enviado"})
        queue(app, "a:3", "lento")
        smtp.wait_for(3)  # the server has it; its 250 is not sent yet
        kill_hard(first)
        assert states(app)["a:3"] == "enviando"

        second = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], extra_env=env).start()
        time.sleep(1.5)  # several rounds: the sent ones stay sent, the claimed one waits for its lease
        assert len(smtp.messages) == 3
        with app.app_context():  # the lease (SMTP_TIMEOUT * 22) runs out
            db.session.execute(update(Correo).where(Correo.clave == "a:3")
                               .values(bloqueado_hasta=utc_now() - timedelta(seconds=1)))
            db.session.commit()
            db.session.remove()
        messages = smtp.wait_for(4)
        assert messages[3]["Message-ID"] == messages[2]["Message-ID"]  # the same email, recognisably
        assert [m["Subject"] for m in messages[:2]] == ["uno", "dos"]
        wait_until(lambda: states(app)["a:3"] == "enviado")
        time.sleep(1)
        assert len(smtp.messages) == 4
    finally:
        for server in (first, second):
            if server is not None:
                server.stop()
        smtp.stop()
