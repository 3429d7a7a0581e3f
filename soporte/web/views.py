"""Pages: the chat itself."""
from flask import Blueprint, current_app, g, redirect, render_template, url_for

from soporte.extensions import db
from soporte.models import Usuario
from soporte.web.auth import is_supervisor, token_required

bp = Blueprint("views", __name__)


@bp.route("/")
def index():
    """Send visitors to the chat (which sends strangers to the login page)."""
    return redirect(url_for("views.soporte"))


@bp.route("/soporte")
@token_required
def soporte():
    """The chat: one conversation for a customer, the inbox for an agent."""
    return render_template(
        "soporte.html",
        usuario=g.usuario,
        inbox=current_app.config["SUPPORT_INBOX"],
        max_length=current_app.config["MAX_MESSAGE_LENGTH"],
        edit_window=current_app.config["EDIT_WINDOW"],
        agent_names=agent_names() if g.usuario["rol"] == "admin" else {},
        supervisor=g.usuario["rol"] == "admin" and is_supervisor(g.usuario["user"]),
    )


def agent_names():
    """Every active agent's display name by username: presence sends usernames, the assignment menu lists them."""
    rows = db.session.execute(db.select(Usuario.usuario, Usuario.nombre).filter_by(rol="admin", activo=True))
    return dict(rows.all())
