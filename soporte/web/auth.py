"""Login, logout and registration pages, and the guards of pages and API routes."""
import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from soporte.accounts.directory import get_directory
from soporte.accounts.lookup import customer_display_name_error, customer_username_error, find_account
from soporte.accounts.names import password_error
from soporte.accounts.tokens import clear_token_cookie, current_claims, issue_token, set_token_cookie
from soporte.extensions import db, limiter
from soporte.mail.addresses import address_error, normalized
from soporte.models import Usuario
from soporte.protocol import AGENTS_ONLY, SUPERVISORS_ONLY
from soporte.realtime.sessions import get_sessions
from soporte.web.errors import error_response
from soporte.web.i18n import chosen_language, remember_at_login

bp = Blueprint("auth", __name__)

def current_account(privileged=False):
    """The caller's claims with the role the database gives now; None without a valid token or account.

    If the database cannot say (and the directory has no answer cached), an agent-only
    check fails with the error, while other pages go on with the token's own claims.
    """
    claims = current_claims()
    if claims is None:
        return None
    try:
        rol = get_directory().role_of(claims["user"], max_age=current_app.config["ROLE_CACHE_TTL"],
                                      generacion=claims["gen"])
    except SQLAlchemyError:
        if privileged:
            raise
        current_app.logger.warning("role of %s unknown (database error): using the token's", claims["user"])
        return claims
    return {**claims, "rol": rol} if rol else None


def _refuse(status, message):
    """API routes answer JSON; pages send strangers to the login page and show others the error page."""
    if request.path.startswith("/api/"):  # every blueprint under /api (search, export too)
        return error_response(status, message)
    if status == 401:
        return redirect(url_for("auth.login"))
    abort(status)  # error_pages renders it in the reader's language


def token_required(view):
    """Let the view run only for a logged-in caller, whose claims go in g.usuario."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        g.usuario = current_account()
        if g.usuario is None:
            return _refuse(401, "No autenticado")
        return view(**kwargs)

    return wrapped


def admin_required(view):
    """Let the view run only for a logged-in support agent (as the database says now)."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        g.usuario = current_account(privileged=True)
        if g.usuario is None:
            return _refuse(401, "No autenticado")
        if g.usuario["rol"] != "admin":
            return _refuse(403, AGENTS_ONLY)
        return view(**kwargs)

    return wrapped


def is_supervisor(username):
    """Whether an account supervises the team now (the database's answer, not the token's)."""
    return bool(db.session.scalar(select(Usuario.supervisor).where(Usuario.usuario == username)))


def supervisor_required(view):
    """Let the view run only for a supervisor: an agent who also manages the team (as the database says now)."""

    @functools.wraps(view)
    @admin_required
    def wrapped(**kwargs):
        if not is_supervisor(g.usuario["user"]):
            return _refuse(403, SUPERVISORS_ONLY)
        return view(**kwargs)

    return wrapped


@bp.errorhandler(429)
def too_many_attempts(error):
    """Answer a rate-limited login or registration with its page and a message."""
    page = "auth/registro.html" if request.endpoint == "auth.registro" else "auth/login.html"
    return render_template(page, error=_("Demasiados intentos; espera un momento y vuelve a probar"),
                           user=request.form.get("user", "")), 429


@bp.route("/login", methods=("GET", "POST"))
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)  # failed attempts count
def login():
    """Show the login form; on good credentials set the token cookie."""
    if request.method == "GET":
        if current_account():
            return redirect(url_for("views.soporte"))
        return render_template("auth/login.html")
    username = request.form.get("user", "").strip()
    password = request.form.get("pass", "")
    try:
        usuario = find_account(username)
    except SQLAlchemyError:
        current_app.logger.exception("login: database error")
        return render_template("auth/login.html", error=_("Servicio no disponible, inténtalo más tarde"), user=username), 503
    if usuario is None or not usuario.check_password(password):
        return render_template("auth/login.html", error=_("Usuario o contraseña incorrectos"), user=username), 401
    if not usuario.activo:  # told only to whoever knows the password
        return render_template("auth/login.html", user=username,
                               error=_("Esta cuenta está desactivada; habla con un supervisor del equipo")), 403
    response = redirect(url_for("views.soporte"))
    return remember_at_login(set_token_cookie(response, issue_token(usuario)), usuario)


def from_our_own_page():
    """Whether the browser says this request comes from this site (Sec-Fetch-Site, else Origin/Referer).

    A request that says nothing is not ours: every modern browser sends Sec-Fetch-Site
    on the page's own link, so only old browsers, scripts and header-stripping proxies
    are left, and for them a confirm page is the safe answer.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site in ("same-origin", "none")  # "none": typed in or bookmarked
    source = request.headers.get("Origin") or request.referrer
    if not source or source == "null":
        return False
    return urlsplit(source).netloc == request.host


@bp.route("/logout", methods=("GET", "POST"))
def logout():
    """Forget the login in this browser: revoke its token and close its sockets.

    A GET not known to come from our own page (another site's link, or no header to
    tell) only gets a confirm page (its form posts with the CSRF token), so a foreign
    link cannot log anyone out; POST is checked by CSRFProtect.
    """
    if request.method == "GET" and not from_our_own_page():
        return render_template("auth/logout.html")
    claims = current_claims()
    if claims is not None:
        get_sessions().end_login(claims)
    return clear_token_cookie(redirect(url_for("auth.login")))


@bp.route("/registro", methods=("GET", "POST"))
@limiter.limit(lambda: current_app.config["REGISTRATION_RATE_LIMIT"], methods=["POST"])
def registro():
    """Let a customer create an account (never an agent one), when allowed."""
    if not current_app.config["REGISTRATION_OPEN"]:
        return render_template("auth/registro.html", closed=True), 403
    if request.method == "GET":
        return render_template("auth/registro.html")
    form = {k: request.form.get(k, "").strip() for k in ("user", "nombre", "email")}
    password = request.form.get("pass", "")
    email = normalized(form["email"])  # optional: emails when support is offline (soporte/mail/)
    error = (registration_error(form["user"], form["nombre"], password, request.form.get("pass2", ""))
             or (address_error(email) and _("La dirección de correo no es válida")))
    if error is None:
        usuario = Usuario(usuario=form["user"], nombre=form["nombre"] or form["user"], rol="user", email=email,
                          idioma=chosen_language() or (str(get_locale()) if email else None))
        usuario.set_password(password)
        db.session.add(usuario)
        try:
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            error = _("Ese nombre de usuario ya existe")
    if error:
        return render_template("auth/registro.html", error=error, **form), 400
    get_directory().forget(usuario.usuario)  # agents may write to them at once
    return set_token_cookie(redirect(url_for("views.soporte")), issue_token(usuario))


def registration_error(username, nombre, password, password2):
    """Why a registration cannot go ahead, or None when it can."""
    return (customer_username_error(username)
            or password_error(password, password2)
            or customer_display_name_error(nombre or username))
