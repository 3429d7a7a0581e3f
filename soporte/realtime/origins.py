"""Which sites' pages may open a socket, and which of them are the widget's (token only, never the cookie).

CORS_ALLOWED_ORIGINS is the operator's list for the whole chat (None: this site only).
WIDGET_ORIGINS adds the websites that embed the widget: their pages may connect too, but
only with `auth: {token}`; a cookie that the browser attaches to their handshake is ignored,
so a website cannot open an agent's or a customer's socket by riding their login.
"""
from soporte.config import split_origins


def socket_origins(config):
    """The value of Socket.IO's cors_allowed_origins for these settings."""
    operators = split_origins(config["CORS_ALLOWED_ORIGINS"])
    widget = list(config["WIDGET_ORIGINS"])
    if not widget or operators == "*":
        return operators
    if operators is not None:
        return list(dict.fromkeys([*operators, *widget]))
    allowed = set(widget)

    def same_site_or_widget(origin, environ):
        """This site itself (as python-engineio tells it when given None), or a widget origin."""
        return origin in allowed or origin in own_origins(environ)

    return same_site_or_widget


def own_origins(environ):
    """The origins this request reached: as served, and as a proxy's X-Forwarded-Proto/Host say."""
    if "HTTP_HOST" not in environ:
        return []
    scheme, host = environ.get("wsgi.url_scheme", "http"), environ["HTTP_HOST"]
    found = [f"{scheme}://{host}"]
    if "HTTP_X_FORWARDED_PROTO" in environ or "HTTP_X_FORWARDED_HOST" in environ:
        forwarded_scheme = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
        forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
        found.append(f"{forwarded_scheme}://{forwarded_host}")
    return found


def from_widget_site(environ, config):
    """Whether a handshake comes from a page of a website that embeds the widget."""
    return environ.get("HTTP_ORIGIN") in config["WIDGET_ORIGINS"]
