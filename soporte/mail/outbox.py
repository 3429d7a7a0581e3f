"""The durable outbox (table `correos`): emails are queued in the database and sent later by the mailer.

What is guaranteed:
- Queued means committed: a crash or an SMTP outage loses no email; it waits `pendiente`.
- `clave` is unique: queuing the same notice twice (a retried round, two processes) stores it once.
- A sender claims due rows with a lease (`enviando`, bloqueado_hasta; on MariaDB the claim's
  SELECT takes row locks and skips rows another sender holds): a row is sent by one sender at a time.
- After a failure the row waits MAIL_RETRY_BASE * 2^(attempts-1) and is tried again, up to
  MAIL_MAX_ATTEMPTS, then stays `fallido` (counted on the operations page).
- The one window left: a sender killed after the SMTP server accepted an email and before it
  committed `enviado`. The lease then runs out and the email is sent again, with the same
  Message-ID (from the row's id), which mail systems use to drop the copy. So: at least once,
  never twice with different ids, and a second copy only after a crash inside that window.
"""
import hashlib
import uuid
from datetime import timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from soporte.extensions import db
from soporte.models import Correo, utc_now

BATCH = 20  # rows claimed per round


def queue(clave, tipo, para, idioma, contenido, usuario=None):
    """Add an email to the outbox in the current transaction (no commit); False if `clave` was queued before.

    contenido: (asunto, texto, html) from soporte.mail.compose.
    """
    if db.session.scalar(select(Correo.id).where(Correo.clave == clave)) is not None:
        return False
    asunto, texto, html = contenido
    asunto = " ".join(asunto.split())  # one line: a header
    now = utc_now()
    try:
        with db.session.begin_nested():  # a concurrent twin: only this insert is undone
            db.session.add(Correo(clave=clave, tipo=tipo, usuario=usuario, para=para, idioma=idioma,
                                  asunto=asunto[:255], texto=texto, html=html, estado="pendiente",
                                  intentos=0, proximo_intento=now, creado_en=now))
    except IntegrityError:
        return False
    return True


def due_condition(now):
    """Rows a sender may claim now: pending and due, or claimed by a sender whose lease ran out."""
    return or_(and_(Correo.estado == "pendiente", Correo.proximo_intento <= now),
               and_(Correo.estado == "enviando", Correo.bloqueado_hasta < now))


def claim(lease_seconds, limit=BATCH):
    """Claim up to `limit` due rows for this sender (committed); the claimed Correo rows.

    On MariaDB the SELECT locks the rows it finds and skips the ones another transaction
    holds; on SQLite writes are serialized, and the UPDATE checks the condition again.
    """
    now = utc_now()
    until = now + timedelta(seconds=lease_seconds)
    token = uuid.uuid4().hex  # whose claim a row is: two senders' leases may end at the same microsecond
    query = select(Correo.id).where(due_condition(now)).order_by(Correo.proximo_intento).limit(limit)
    if db.session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    ids = db.session.scalars(query).all()
    if not ids:
        db.session.commit()
        return []
    db.session.execute(update(Correo).where(Correo.id.in_(ids), due_condition(now))
                       .values(estado="enviando", bloqueado_hasta=until, reclamado_por=token,
                               intentos=Correo.intentos + 1))
    db.session.commit()
    rows = db.session.scalars(select(Correo).where(Correo.id.in_(ids), Correo.reclamado_por == token)).all()
    db.session.commit()
    return rows


def mark_sent(correo_id):
    """The SMTP server accepted it: enviado, for good (proximo_intento: when, for purge_sent's index range)."""
    now = utc_now()
    db.session.execute(update(Correo).where(Correo.id == correo_id, Correo.estado == "enviando")
                       .values(estado="enviado", enviado_en=now, proximo_intento=now, bloqueado_hasta=None,
                               ultimo_error=None))
    db.session.commit()


def mark_failed(correo, error, max_attempts, retry_base):
    """An attempt failed: try again after a doubling wait, or give up (fallido) after max_attempts."""
    now = utc_now()
    values = {"bloqueado_hasta": None, "ultimo_error": str(error)[:500]}
    if correo.intentos >= max_attempts:
        values["estado"] = "fallido"
    else:
        values["estado"] = "pendiente"
        values["proximo_intento"] = now + timedelta(seconds=retry_base * 2 ** (correo.intentos - 1))
    # only this claim's: a sender whose lease ran out must not undo the next sender's claim
    db.session.execute(update(Correo).where(Correo.id == correo.id, Correo.estado == "enviando",
                                            Correo.reclamado_por == correo.reclamado_por).values(**values))
    db.session.commit()


def message_id(correo, public_url):
    """The row's Message-ID: the same on every attempt, so a resend after a crash is known as the same email."""
    domain = urlsplit(public_url).hostname or "localhost"
    digest = hashlib.sha256(correo.clave.encode()).hexdigest()[:16]
    return f"<correo-{correo.id}.{digest}@{domain}>"


def as_email(correo, sender, public_url):
    """The row as a MIME message: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = correo.para
    message["Subject"] = correo.asunto
    message["Message-ID"] = message_id(correo, public_url)
    message["Date"] = format_datetime(correo.creado_en.replace(tzinfo=timezone.utc))
    message["Auto-Submitted"] = "auto-generated"  # no auto-replies back to the outbox
    message.set_content(correo.texto)
    message.add_alternative(correo.html, subtype="html")
    message["Content-Language"] = correo.idioma  # after the content: setting it clears Content-* headers
    return message


def figures():
    """The outbox for the operations page: pending (waiting or being sent) and failed rows, and the latest error.

    Index ranges on (estado, proximo_intento) over the unsent rows only: sent ones can be
    many, and the page asks every few seconds.
    """
    counts = dict(db.session.execute(select(Correo.estado, func.count()).where(
        Correo.estado.in_(("pendiente", "enviando", "fallido"))).group_by(Correo.estado)).all())
    last = db.session.scalar(select(Correo.ultimo_error).where(
        Correo.estado.in_(("pendiente", "enviando", "fallido")), Correo.ultimo_error.is_not(None))
        .order_by(Correo.proximo_intento.desc()).limit(1))
    db.session.commit()
    return {"pendientes": counts.get("pendiente", 0) + counts.get("enviando", 0),
            "fallidos": counts.get("fallido", 0), "ultimo_error": last}


def purge_sent(days, limit=500):
    """Delete up to `limit` emails sent more than `days` ago (their text is personal data); how many.

    A sent row's proximo_intento is its last attempt: an index range on (estado, proximo_intento).
    """
    cutoff = utc_now() - timedelta(days=days)
    ids = db.session.scalars(select(Correo.id).where(Correo.estado == "enviado", Correo.proximo_intento < cutoff)
                             .limit(limit)).all()
    if ids:
        db.session.execute(delete(Correo).where(Correo.id.in_(ids)))
    db.session.commit()
    return len(ids)
