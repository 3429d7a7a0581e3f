"""The customer's data over REST: a supervisor downloads or erases a customer's data; a customer downloads their own.

GET    /api/clientes/<usuario>/datos   the archive (supervisors; audited)
DELETE /api/clientes/<usuario>         erase, with {"confirmar": "<usuario>"} (supervisors; CSRF; audited)
GET    /api/mis-datos                  the customer's own archive (without the agents' private notes)
"""
import re
from datetime import datetime, timezone

from flask import current_app, g, jsonify, request, send_file
from sqlalchemy import select

from soporte.audit import audit
from soporte.extensions import db, limiter
from soporte.inbox.api import bp
from soporte.inbox.limits import account_key, agent_writes
from soporte.models import Usuario
from soporte.privacy.erase import erase_customer
from soporte.privacy.export import build_archive
from soporte.web.auth import supervisor_required, token_required
from soporte.web.errors import error_response

NOT_A_CUSTOMER = "No existe el cliente {}"
ONLY_CUSTOMERS = "Solo se pueden borrar o descargar los datos de clientes, no de agentes"
CONFIRM = "Para borrar, escribe el nombre de usuario del cliente en confirmar"
OWN_DATA_CUSTOMERS_ONLY = "Solo los clientes descargan aquí sus datos"


def data_downloads(view):
    """The rate limit of archives (each costs a read of everything about a customer): per account."""
    return limiter.shared_limit(lambda: current_app.config["DATA_EXPORT_RATE_LIMIT"], scope="datos",
                                key_func=account_key)(view)


def account_named(usuario):
    """The account with exactly this username (any role), or None."""
    account = db.session.scalars(select(Usuario).where(Usuario.usuario == usuario)).first()
    return account if account is not None and account.usuario == usuario else None  # MariaDB's PAD SPACE


def customer_or_error(usuario):
    """(the customer, None), or (None, the error response): unknown is 404, an agent 400."""
    account = account_named(usuario)
    if account is None:
        return None, error_response(404, NOT_A_CUSTOMER.format(usuario))
    if account.rol != "user":
        return None, error_response(400, ONLY_CUSTOMERS)
    return account, None


def archive_response(customer, for_customer=False):
    """The archive as a download, never cached."""
    day = datetime.now(timezone.utc).strftime("%Y%m%d")
    name = f"datos-{re.sub(r'[^A-Za-z0-9._-]', '_', customer.usuario)}-{day}.zip"
    response = send_file(build_archive(customer, for_customer), mimetype="application/zip", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/clientes/<usuario>/datos")
@supervisor_required
@data_downloads
def datos_cliente(usuario):
    """A supervisor downloads everything stored about a customer, as one zip archive (written to the audit log)."""
    customer, refused = customer_or_error(usuario)
    if refused:
        return refused
    response = archive_response(customer)
    audit(g.usuario["user"], "exportar_cliente", customer.usuario)
    db.session.commit()
    return response


@bp.route("/clientes/<usuario>", methods=["DELETE"])
@supervisor_required
@agent_writes("clientes")
def borrar_cliente(usuario):
    """A supervisor erases a customer and everything stored about them; the body confirms with the username."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or data.get("confirmar") != usuario:
        return error_response(400, CONFIRM)
    customer, refused = customer_or_error(usuario)
    if refused:
        return refused
    customer_id = customer.id
    erase_customer(g.usuario["user"], customer)
    return jsonify({"ok": True, "cliente": customer_id})


@bp.route("/mis-datos")
@token_required
@data_downloads
def mis_datos():
    """A customer downloads their own data (the link on their chat page)."""
    if g.usuario["rol"] != "user":
        return error_response(403, OWN_DATA_CUSTOMERS_ONLY)
    customer = account_named(g.usuario["user"])
    if customer is None:
        return error_response(404, NOT_A_CUSTOMER.format(g.usuario["user"]))
    return archive_response(customer, for_customer=True)
