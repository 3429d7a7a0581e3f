"""Errors on pages are the site's own HTML pages in the reader's language; /api/* keeps JSON."""
import pytest


def html_of(response, status):
    """The body of an HTML error page, after checking its status and type."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_customer_opening_operations_gets_the_forbidden_page_in_spanish(cookie_client):
    html = html_of(cookie_client("ana").get("/operaciones"), 403)
    assert '<html lang="es">' in html
    assert "<title>Acceso denegado · Soporte</title>" in html
    assert "Esta página es solo para agentes de soporte." in html
    assert 'href="/soporte"' in html  # a way back to the chat
    assert '"error"' not in html


def test_customer_opening_operations_gets_the_forbidden_page_in_english(cookie_client):
    ana = cookie_client("ana")
    ana.set_cookie("idioma", "en")
    html = html_of(ana.get("/operaciones"), 403)
    assert '<html lang="en"' in html
    assert "<title>Access denied · Support</title>" in html
    assert "This page is for support agents only." in html


def test_the_account_language_applies_without_the_cookie(app, cookie_client):
    """No idioma cookie: the logged-in account's saved language, as every page."""
    from soporte.extensions import db
    from soporte.models import Usuario

    with app.app_context():
        db.session.execute(db.update(Usuario).filter_by(usuario="ana").values(idioma="en"))
        db.session.commit()
    assert "Access denied" in html_of(cookie_client("ana").get("/operaciones"), 403)


@pytest.mark.parametrize("idioma, title, text", [
    ("es", "Página no encontrada", "No existe ninguna página en esta dirección."),
    ("en", "Page not found", "There is no page at this address."),
])
def test_unknown_url_gets_the_not_found_page(client, idioma, title, text):
    client.set_cookie("idioma", idioma)
    html = html_of(client.get("/no-existe"), 404)
    assert f'<html lang="{idioma}"' in html
    assert f"<title>{title} · " in html and text in html
    assert "Not Found" not in html  # Werkzeug's own page
    assert 'name="idioma"' in html  # the language switch, as on every page


def test_wrong_method_on_a_page_gets_its_page_and_allow_header(client):
    response = client.put("/login")
    html = html_of(response, 405)
    assert "Método no permitido" in html
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_unexpected_error_on_a_page_is_the_server_error_page(app, client):
    """An exception in a page: the 500 page, no traceback; under /api/ it stays JSON."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production (TESTING re-raises)

    def broken():
        """A view that fails."""
        raise RuntimeError("secreto interno")

    app.add_url_rule("/roto", "roto", broken)
    app.add_url_rule("/api/roto", "api_roto", broken)
    html = html_of(client.get("/roto"), 500)
    assert "Error del servidor" in html and "secreto interno" not in html
    client.set_cookie("idioma", "en")
    assert "Server error" in html_of(client.get("/roto"), 500)
    response = client.get("/api/roto")
    assert response.status_code == 500 and set(response.get_json()) == {"error"}


@pytest.mark.parametrize("path, status", [("/api/operaciones", 403), ("/api/no-existe", 404)])
def test_api_errors_stay_json_in_any_language(cookie_client, path, status):
    ana = cookie_client("ana")
    ana.set_cookie("idioma", "en")
    response = ana.get(path)
    assert response.status_code == status and response.mimetype == "application/json"
    assert set(response.get_json()) == {"error"}
