"""The page's language: Spanish by default, English by a remembered switch (Flask-Babel).

The choice lives in the `idioma` cookie (this browser) and, for a logged-in
account, in usuarios.idioma (every browser it logs in from). Reading it costs
nothing while the cookie is there: the database is asked only without one.
"""
import hashlib
import logging
import os

from flask import Blueprint, abort, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import Babel, format_datetime, get_locale
from flask_wtf.csrf import ValidationError, same_origin, validate_csrf
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from soporte.accounts.tokens import bearer_only, current_claims
from soporte.extensions import csrf, db
from soporte.models import Usuario

log = logging.getLogger(__name__)

LANGUAGES = ("es", "en")
COOKIE = "idioma"
WIDGET_BLUEPRINTS = ("widget", "widget_api")  # their ?lang= chooses (soporte/widget/)
COOKIE_MAX_AGE = 365 * 24 * 3600  # a choice of language outlives any login
# dates as the page scripts show them (static/js/conversation.js), month names localized by Babel
DATE_PATTERNS = {"es": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}
# an agent keeps the inbox open all day: its switch must still work hours after the page loaded
SWITCH_TOKEN_MAX_AGE = 7 * 24 * 3600
babel = Babel()
bp = Blueprint("idioma", __name__)


def select_locale():
    """The visitor's language: the cookie, else the logged-in account's saved one, else Spanish."""
    if not has_request_context():
        return "es"
    # the website's data-idioma: the widget's iframe holds no cookie of ours, so its page, its API
    # and every request it authenticates by the bearer header alone (static/js/rest.js) say ?lang=
    if request.args.get("lang") in LANGUAGES and (request.blueprint in WIDGET_BLUEPRINTS or bearer_only()):
        return request.args["lang"]
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return saved_language() or "es"


def saved_language():
    """The logged-in account's saved language, or None; one query per request at most."""
    if "idioma_guardado" not in g:
        claims = current_claims()
        found = None
        if claims is not None:
            try:
                found = db.session.scalar(select(Usuario.idioma).filter_by(usuario=claims["user"]))
            except SQLAlchemyError:  # the page still renders, in Spanish
                db.session.rollback()
                log.warning("could not read the saved language of %s", claims["user"], exc_info=True)
        g.idioma_guardado = found if found in LANGUAGES else None
    return g.idioma_guardado


def set_language_cookie(response, idioma):
    """Remember a language in this browser (HttpOnly: scripts read <html lang>, not the cookie)."""
    response.set_cookie(COOKIE, idioma, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                        secure=request.is_secure or current_app.config["COOKIE_SECURE"])
    return response


def save_language(username, idioma):
    """Store an account's language; a database failure only loses the preference (logged)."""
    try:
        db.session.execute(update(Usuario).where(Usuario.usuario == username).values(idioma=idioma))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not save the language of %s", username, exc_info=True)


def remember_at_login(response, usuario):
    """At login: the account's saved language wins; else the one this browser chose becomes the account's."""
    if usuario.idioma in LANGUAGES:
        if request.cookies.get(COOKIE) != usuario.idioma:
            set_language_cookie(response, usuario.idioma)
    elif request.cookies.get(COOKIE) in LANGUAGES:
        save_language(usuario.usuario, request.cookies[COOKIE])
    return response


def chosen_language():
    """The language this browser chose (for a new account), or None."""
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else None


def safe_next(target):
    """A path on this site to go back to; anything that could leave it gives the home page.

    Refused: absolute URLs, `//host`, backslashes and control characters (browsers read
    `/\\host` and `/<tab>/host` as `//host`).
    """
    if (not target or not target.startswith("/") or target.startswith("//")
            or any(c == "\\" or ord(c) < 0x20 or c == "\x7f" for c in target)):
        return url_for("views.index")
    return target


@bp.route("/idioma", methods=["POST"])
@csrf.exempt  # checked by check_csrf, with a longer time limit
def cambiar():
    """Switch the language (ES | EN): a cookie for this browser, the account's choice when logged in."""
    check_csrf()
    idioma = request.form.get("idioma", "")
    if idioma not in LANGUAGES:
        abort(400, description="Idioma no disponible")
    claims = current_claims()
    if claims is not None:
        save_language(claims["user"], idioma)
    return set_language_cookie(redirect(safe_next(request.form.get("next"))), idioma)


def check_csrf():
    """CSRFProtect's checks, but a token lasts SWITCH_TOKEN_MAX_AGE instead of WTF_CSRF_TIME_LIMIT (1 h).

    The token is still bound to this browser's session, and over HTTPS the Referer
    must be this site, as CSRFProtect requires.
    """
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.form.get("csrf_token"), time_limit=SWITCH_TOKEN_MAX_AGE)
    except ValidationError as error:
        abort(400, description=str(error))
    if request.is_secure and current_app.config.get("WTF_CSRF_SSL_STRICT", True):
        if not request.referrer or not same_origin(request.referrer, f"https://{request.host}/"):
            abort(400, description="The referrer does not match the host.")


def fecha(value):
    """A naive UTC datetime in the page's language and the configured zone (UTC unless BABEL_DEFAULT_TIMEZONE)."""
    return format_datetime(value, DATE_PATTERNS.get(str(get_locale()), DATE_PATTERNS["es"]))


def catalog_url():
    """Where the page script's catalog for this page's language is (None for Spanish, the source).

    The URL carries a hash of the file, so a browser's cached copy is never stale.
    """
    lang = str(get_locale())
    version = current_app.extensions["soporte.catalogs"].get(lang)
    return url_for("static", filename=f"i18n/{lang}.json", v=version) if version else None


def catalog_versions(app):
    """A short content hash of each script catalog in static/i18n, by language."""
    folder = os.path.join(app.static_folder, "i18n")
    versions = {}
    for lang in LANGUAGES:
        path = os.path.join(folder, f"{lang}.json")
        if os.path.exists(path):
            with open(path, "rb") as catalog:
                versions[lang] = hashlib.sha256(catalog.read()).hexdigest()[:12]
    return versions


def init_app(app):
    """Bind Flask-Babel: `_()`, `get_locale()` and `catalog_url()` in every template; POST /idioma."""
    babel.init_app(app, locale_selector=select_locale, default_locale="es")
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["catalog_url"] = catalog_url
    app.jinja_env.filters["fecha"] = fecha
    app.extensions["soporte.catalogs"] = catalog_versions(app)
    app.register_blueprint(bp)
