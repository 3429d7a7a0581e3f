"""Security headers on every response, and the storage of the login/registration rate limits."""
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import redis_url
from .extensions import limiter

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
    """Put the security headers on a response (pages, JSON, static files and errors alike)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app):
    """Register the headers and bind the rate limiter to this app's storage."""
    app.after_request(add_security_headers)
    # processes that share a Redis share their counts; otherwise each counts alone
    shared = redis_url(app.config)
    if shared and shared.startswith("unix://"):
        shared = "redis+" + shared  # the name the `limits` package gives a Redis socket
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URI"] or shared or "memory://"
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on a 429
    limiter.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        # the client's address, not the proxy's, is what rate limits count (X-Forwarded-For only:
        # the Origin check already reads X-Forwarded-Proto/Host itself)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]))
