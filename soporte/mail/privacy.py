"""The customer's data in email: their address and the outbox's rows about them (export and erasure)."""
import json

from sqlalchemy import delete, select

from soporte.extensions import db
from soporte.models import Correo, iso_utc


def export_customer(customer):
    """(path, content) of what email holds about a customer: their address and the emails about them.

    An agent's notice about the customer's conversation is included without the agent's address.
    """
    rows = db.session.scalars(select(Correo).where(Correo.usuario == customer.usuario).order_by(Correo.id)).all()
    correos = [{"tipo": row.tipo, "para": row.para if row.para == customer.email else None,
                "idioma": row.idioma, "asunto": row.asunto, "texto": row.texto, "estado": row.estado,
                "creado_en": iso_utc(row.creado_en), "enviado_en": iso_utc(row.enviado_en) if row.enviado_en else None}
               for row in rows]
    body = {"email": customer.email, "idioma": customer.idioma, "correos": correos}
    return [("correo/correo.json", json.dumps(body, ensure_ascii=False, indent=2).encode())]


def erase_customer(customer):
    """Delete the outbox's rows about a customer, pending ones too, in the current transaction; nothing after it.

    The address itself lives in the account's row (usuarios.email), which goes with the account.
    An email a sender has already claimed may still leave during its current attempt.
    """
    db.session.execute(delete(Correo).where(Correo.usuario == customer.usuario))
    customer.email = None
    return []
