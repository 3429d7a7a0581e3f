"""SMTP_URL: where the outbox sends, parsed once per round, and one connection per round of sending.

smtp://user:pass@host:587?starttls=1 (plain, upgraded with STARTTLS), smtps://user:pass@host:465
(TLS from the start), smtp://host:25 (no login, no TLS: a local relay). User and password are
percent-encoded in the URL.
"""
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

TRUE = ("1", "true", "yes", "si", "sí")


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect: host, port, TLS mode (None, "starttls", "ssl") and optional login."""

    host: str
    port: int
    tls: str | None
    user: str | None
    password: str | None


def parse_smtp_url(url):
    """The SmtpServer an SMTP_URL names; ValueError says what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must be smtp://[user:pass@]host[:port][?starttls=1] or smtps://...")
    starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in TRUE
    tls = "ssl" if parts.scheme == "smtps" else ("starttls" if starttls else None)
    port = parts.port or (465 if tls == "ssl" else 587 if starttls else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SmtpServer(parts.hostname, port, tls, user, password)


def connect(server, timeout):
    """An open, logged-in SMTP connection to the server (the caller quits it)."""
    context = ssl.create_default_context()
    if server.tls == "ssl":
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
        if server.tls == "starttls":
            connection.starttls(context=context)
    if server.user:
        connection.login(server.user, server.password or "")
    return connection
