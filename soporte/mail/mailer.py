"""The mailer: one background task per serving process that queues what is due and sends the outbox.

Every MAIL_INTERVAL each process notes what its own presence and storer heard (customers gone
offline, conversations opened); then, under a Redis lock when processes share one (like the
assigner's), one process at a time reads the new replies, queues the due emails and sends the
outbox through SMTP_URL. Sending never runs on the message path; a failed round is retried
by the next one (see outbox.py for what is guaranteed).
"""
import logging
import smtplib

from flask import current_app

from soporte import redis_client
from soporte.background import every
from soporte.config import redis_url
from soporte.extensions import db
from soporte.mail import outbox
from soporte.mail.notices import Openings
from soporte.mail.replies import ReplyScan, unstored_ids
from soporte.mail.smtp import connect, parse_smtp_url
from soporte.presence.online import get_presence
from soporte.redis_lock import RedisLock
from soporte.relay.chat import get_chat

log = logging.getLogger(__name__)
LOCK_MS = 120_000  # the mailers' Redis lock outlives a killed holder by this much at most


class Mailer:
    """The mailer of one process: its reply scan, the openings its storer heard, the lock and the SMTP sends."""

    def __init__(self, app):
        self.app = app
        self.replies = ReplyScan()
        self.openings = Openings()
        url = redis_url(app.config)
        self.redis = redis_client.connect(url) if url else None
        self.lock = RedisLock(self.redis, f"soporte:correo:{app.config['SOCKETIO_CHANNEL']}", LOCK_MS)
        self._started = False
        self._failing = False

    def start(self):
        """Run the rounds in the background (a serving process)."""
        if not self._started:
            self._started = True
            every(lambda _: self.app.config["MAIL_INTERVAL"], self.tick, name="mailer", app=self.app)

    def tick(self):
        """One round, logged once per outage when it fails."""
        try:
            self.round()
            self._failing = False
        except Exception:  # the next round tries again
            if not self._failing:
                log.exception("mailer: the round failed (logged again once it has worked)")
            self._failing = True
        finally:
            db.session.remove()

    def round(self):
        """What this process heard, then (one process at a time) the due emails and the outbox."""
        online = get_presence().online()
        self.replies.note_seen()
        self.openings.email_agents(online.get("admin"))
        token = self.lock.acquire()
        if token is None:
            return
        try:
            self.replies.note_replies(unstored_ids(get_chat().writer))
            self.replies.email_due(online.get("user", set()))
            self.send_due()
            outbox.purge_sent(self.app.config["MAIL_KEEP_DAYS"])
        finally:
            self.lock.release(token)

    def send_due(self):
        """Claim due emails and send them over one SMTP connection; how many were sent."""
        config = self.app.config
        if not config["SMTP_URL"]:
            return 0  # nothing to send through: the outbox keeps them
        server = parse_smtp_url(config["SMTP_URL"])
        lease = config["SMTP_TIMEOUT"] * (outbox.BATCH + 2)  # longer than the batch can take
        claimed = outbox.claim(lease)
        if not claimed:
            return 0
        # smtplib's socket is the async mode's (green under eventlet and gevent): the loop is not held
        return self._send_all(server, claimed)

    def _send_all(self, server, claimed):
        """Send claimed rows in order over one connection; each outcome committed as soon as it is known."""
        config = self.app.config

        def failed(correos, error):
            for correo in correos:
                outbox.mark_failed(correo, error, config["MAIL_MAX_ATTEMPTS"], config["MAIL_RETRY_BASE"])

        try:
            connection = connect(server, config["SMTP_TIMEOUT"])
        except (OSError, smtplib.SMTPException) as error:
            failed(claimed, error)
            return 0
        sent = 0
        try:
            for i, correo in enumerate(claimed):
                try:
                    message = outbox.as_email(correo, config["MAIL_FROM"], config["PUBLIC_URL"])
                except ValueError as error:  # a header the email library refuses: retrying will not help
                    failed([correo], error)
                    continue
                try:
                    connection.send_message(message)
                except (OSError, smtplib.SMTPServerDisconnected) as error:  # the connection is gone
                    failed(claimed[i:], error)
                    break
                except smtplib.SMTPException as error:  # this email refused; the next may go
                    failed([correo], error)
                    continue
                outbox.mark_sent(correo.id)
                sent += 1
        finally:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
        return sent


def get_mailer(app=None):
    """The Mailer of an app (the current one by default)."""
    return (app or current_app).extensions["soporte.correo"]


def init_app(app, serving):
    """Give the app its mailer, hearing the storer's openings and presence's departures; started where a server runs."""
    mailer = Mailer(app)
    app.extensions["soporte.correo"] = mailer
    app.extensions["soporte"].opened_listeners.append(mailer.openings.heard)
    app.extensions["soporte.presence"].listeners.append(mailer.replies.customer_left)
    if serving:
        mailer.start()
    return mailer
