"""The one-time link's page (/invitacion/<token>): the invited or reset agent chooses a password, once."""
from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from soporte.accounts import links
from soporte.accounts.display_names import display_names
from soporte.accounts.names import password_error
from soporte.accounts.tokens import issue_token, set_token_cookie
from soporte.extensions import limiter
from soporte.team import actions
from soporte.team.forms import PasswordForm
from soporte.web.i18n import remember_at_login

bp = Blueprint("invitacion", __name__)


def problem_text(problem):
    """Why a link cannot be used, in words."""
    return {
        links.USED: _("Este enlace ya se ha usado. Si necesitas otro, pídeselo a un supervisor."),
        links.EXPIRED: _("Este enlace ha caducado. Pide a un supervisor un enlace nuevo."),
    }.get(problem, _("Este enlace no es válido. Comprueba que lo has copiado entero, o pide uno nuevo."))


def unusable(text, status):
    """The page of a link that cannot be used, saying why."""
    response = current_app.make_response((render_template("invitacion.html", problem=text), status))
    return private(response)


def private(response):
    """The token is in this page's address: no Referer carries it anywhere, no cache keeps the page."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/invitacion/<token>", methods=("GET", "POST"))
@limiter.limit(lambda: current_app.config["INVITATION_RATE_LIMIT"])
def usar(token):
    """Show the link's password form; on a good password set it, spend the link and log the agent in."""
    link, problem = links.find_link(token)
    if link is None:
        return unusable(problem_text(problem), 410 if problem in (links.USED, links.EXPIRED) else 404)
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        error = password_error(form.password.data, form.password2.data)
        if error is None:
            try:
                usuario = actions.set_password_with_link(link, form.password.data)
            except actions.TeamError as refused:
                return unusable(str(refused), 410)
            except SQLAlchemyError:
                current_app.logger.exception("invitation: database error")
                error = _("Servicio no disponible, inténtalo más tarde")
            else:
                response = set_token_cookie(redirect(url_for("views.soporte")), issue_token(usuario))
                return remember_at_login(response, usuario)
    elif form.is_submitted():
        error = _("Escribe la contraseña dos veces")
    page = render_template("invitacion.html", form=form, link=link, error=error, nombre=link_name(link))
    return private(current_app.make_response((page, 400 if error else 200)))


def link_name(link):
    """The display name of the link's account (the page greets them by it)."""
    return display_names([link.usuario])[link.usuario]
