"""Pages: the chat itself."""
from flask import Blueprint, current_app, g, redirect, render_template, url_for

from .auth import token_required

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
    )
