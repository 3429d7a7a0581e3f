"""Security headers on every response, the CSRF check of state changes, and the storage of the rate limits."""
from flask import current_app, g, has_request_context
from werkzeug.middleware.proxy_fix import ProxyFix

from soporte.accounts.tokens import bearer_only
from soporte.config import redis_url
from soporte.extensions import csrf, limiter

LIMIT_STORAGE_TIMEOUT = 1.0  # seconds a rate-limit count may wait on Redis

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response):
    """Put the security headers on a response (pages, JSON, static files and errors alike).

    A view that sets g.framed_by (only the widget's page, soporte/widget/page.py) may be
    framed by those origins and soporte itself: its frame-ancestors names them and it has no
    X-Frame-Options, which cannot name a list. Every other response stays unframeable.
    That page (framed anywhere or not, WIDGET_ORIGINS empty too) authenticates by a bearer
    header, which no <img> sends: it shows attachments through blob: URLs
    (static/js/attachments.js), so its img-src also allows blob:.
    """
    framed_by = g.get("framed_by") if has_request_context() else None
    for name, value in HEADERS.items():
        if framed_by and name == "X-Frame-Options":
            continue
        if framed_by is not None and name == "Content-Security-Policy":
            if framed_by:
                value = value.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(["'self'", *framed_by]))
            value = value.replace("img-src 'self' data:", "img-src 'self' data: blob:")
        response.headers.setdefault(name, value)
    return response


def init_csrf(app):
    """Bind Flask-WTF's CSRF protection, checked by check_csrf instead of its own hook."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # CSRFProtect's hook stands aside: check_csrf runs in its place
    csrf.init_app(app)
    app.before_request(check_csrf)


def check_csrf():
    """CSRFProtect's check of every state change (with its exemptions), except a request authenticated
    by its `Authorization: Bearer` header alone.

    Such a request carries no ambient credential: a browser never adds the header by itself, and
    another site's page cannot send it here without a CORS preflight that soporte does not answer.
    A request that also carries the token cookie is checked as always.
    """
    if current_app.config["WTF_CSRF_ENABLED"] and not bearer_only():
        csrf.protect(apply_exemptions=True)


def init_app(app):
    """Register the headers and bind the rate limiter to this app's storage."""
    app.after_request(add_security_headers)
    # processes that share a Redis share their counts; otherwise each counts alone
    shared = redis_url(app.config)
    if shared and shared.startswith("unix://"):
        shared = "redis+" + shared  # the name the `limits` package gives a Redis socket
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URI"] or shared or "memory://"
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on a 429
    # Redis away must not turn login and registration into a 500: the limits count in this
    # process's memory meanwhile (Flask-Limiter logs "falling back to in-memory storage" as a
    # warning, and goes back to Redis once it answers); any other storage error is logged, not raised
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "redis+unix://")):
        # a stalled Redis fails a login over to memory in a second instead of holding it
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": LIMIT_STORAGE_TIMEOUT,
                                                            "socket_timeout": LIMIT_STORAGE_TIMEOUT})
    limiter.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        # the client's address, not the proxy's, is what rate limits count (X-Forwarded-For only:
        # the Origin check already reads X-Forwarded-Proto/Host itself)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]))
