"""Pages: the chat itself."""
from flask import Blueprint, current_app, g, redirect, render_template, url_for

from soporte.extensions import db
from soporte.models import Usuario
from soporte.web.auth import token_required

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
        agent_names=agent_names() if g.usuario["rol"] == "admin" else {},
        supervisor=g.usuario["rol"] == "admin" and is_supervisor(g.usuario["user"]),
    )


def is_supervisor(username):
    """Whether an agent manages the team (the header links to the team page)."""
    return bool(db.session.scalar(db.select(Usuario.supervisor).filter_by(usuario=username)))


def agent_names():
    """Every agent's display name by username: the colleagues-online line reads names, presence sends usernames."""
    rows = db.session.execute(db.select(Usuario.usuario, Usuario.nombre).filter_by(rol="admin"))
    return dict(rows.all())
