"""The page's language: Spanish by default, English by a remembered switch (Flask-Babel)."""
from flask import request
from flask_babel import Babel, get_locale

LANGUAGES = ("es", "en")
COOKIE = "idioma"
babel = Babel()


def select_locale():
    """The language the visitor chose (its cookie), else Spanish."""
    chosen = request.cookies.get(COOKIE) if request else None
    return chosen if chosen in LANGUAGES else "es"


def init_app(app):
    """Bind Flask-Babel: `_()` and `get_locale()` in every template."""
    babel.init_app(app, locale_selector=select_locale, default_locale="es")
    app.jinja_env.globals["get_locale"] = get_locale
