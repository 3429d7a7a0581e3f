"""GET /widget and GET /widget.js: the widget's page may be framed by WIDGET_ORIGINS only; nothing else changes."""
import pytest

from soporte.web import security
from test_security import EXPECTED_HEADERS

ORIGINS = ["https://www.example.com", "http://127.0.0.1:8080"]


def test_the_widget_page_is_framable_by_the_listed_origins_only(app, client):
    app.config["WIDGET_ORIGINS"] = ORIGINS
    page = client.get("/widget?lang=en&color=%23ff8800&greeting=Hola")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.example.com http://127.0.0.1:8080;" in policy
    # and its attachments drawn from blob: URLs (fetched with the bearer header): that page only
    assert "img-src 'self' data: blob:;" in policy
    assert policy == EXPECTED_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors 'self' https://www.example.com http://127.0.0.1:8080").replace(
        "img-src 'self' data:", "img-src 'self' data: blob:")
    assert "X-Frame-Options" not in page.headers
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assert '<html lang="en"' in html and "<title>Support chat</title>" in html
    assert '<script type="module" src="/static/js/widget.js"></script>' in html
    assert 'data-color="#ff8800"' in html and 'data-saludo="Hola"' in html


@pytest.mark.parametrize("path", ["/login", "/registro", "/soporte", "/static/soporte.css", "/widget.js",
                                  "/api/widget/config", "/no-existe"])
def test_every_other_response_stays_unframeable(app, client, path):
    app.config["WIDGET_ORIGINS"] = ORIGINS
    response = client.get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value, (path, name)


def test_without_widget_origins_the_widget_page_cannot_be_framed(client):
    page = client.get("/widget")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "img-src 'self' data: blob:;" in page.headers["Content-Security-Policy"]  # alone in a tab it still draws files


def test_the_page_escapes_and_bounds_what_the_website_passes(app, client):
    html = client.get('/widget?color=red;x&greeting=<img src=x onerror=alert(1)>' + "a" * 500).get_data(as_text=True)
    assert 'data-color="#0d6efd"' in html  # not a #rrggbb colour: the chat's own
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    saludo = html.split('data-saludo="', 1)[1].split('"', 1)[0]
    assert len(saludo.replace("&lt;", "<").replace("&gt;", ">")) == 200


def test_the_loader_is_a_cacheable_script(client):
    loader = client.get("/widget.js")
    assert loader.status_code == 200
    assert loader.mimetype == "text/javascript"
    assert "max-age=3600" in loader.headers["Cache-Control"]
    assert "Set-Cookie" not in loader.headers


def test_the_widget_page_frames_in_spanish_by_default(client):
    html = client.get("/widget").get_data(as_text=True)
    assert '<html lang="es"' in html and "<title>Chat de soporte</title>" in html
    assert '<html lang="es"' in client.get("/widget?lang=fr").get_data(as_text=True)


def test_security_headers_outside_a_request_are_the_usual_ones(app):
    """add_security_headers on a response made outside any request (a background task's): unframeable."""
    response = app.response_class("x")
    security.add_security_headers(response)
    assert response.headers["X-Frame-Options"] == "DENY"
