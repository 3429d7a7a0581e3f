"""Logging out in a real browser: the page's Salir link at once, another site's link only asks."""
from playwright.sync_api import expect

from .pages import SCREENSHOTS

FOREIGN = "http://otro-sitio.example/"


def follow_a_foreign_link_to_logout(page, live_server):
    """Click a link to our /logout on a page of another site (served by the browser's router: no network)."""
    page.context.route(FOREIGN, lambda route: route.fulfill(
        content_type="text/html", body=f'<a id="trampa" href="{live_server.url}/logout">gratis</a>'))
    page.goto(FOREIGN)
    page.locator("#trampa").click()


def test_a_foreign_link_to_logout_gets_the_confirm_page(open_chat, live_server):
    """A link on another site sends Chromium's Sec-Fetch-Site: cross-site: the login stays
    until the person presses Salir on the confirm page (a CSRF form)."""
    ana = open_chat("ana")
    page = ana.page
    follow_a_foreign_link_to_logout(page, live_server)
    page.wait_for_url("**/logout")
    expect(page.get_by_text("¿Cerrar la sesión en este navegador?")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "logout-confirmar.png"), full_page=True)

    page.goto(live_server.url + "/soporte")  # still logged in
    ana.expect_connected()
    page.goto(live_server.url + "/logout")  # typed in (Sec-Fetch-Site: none): the person means it
    page.wait_for_url("**/login")


def test_the_confirm_page_logs_out(open_chat, live_server):
    """Salir on the confirm page posts with the CSRF token and ends the login."""
    ana = open_chat("ana")
    page = ana.page
    follow_a_foreign_link_to_logout(page, live_server)
    page.get_by_role("button", name="Salir").click()
    page.wait_for_url("**/login")
    page.goto(live_server.url + "/soporte")
    page.wait_for_url("**/login")  # the login is gone


def test_the_pages_own_salir_link_logs_out_at_once(open_chat, live_server):
    """The chat's Salir link is same-origin: no confirm page."""
    ana = open_chat("ana")
    ana.page.get_by_role("link", name="Salir").click()
    ana.page.wait_for_url("**/login")
    ana.page.goto(live_server.url + "/soporte")
    ana.page.wait_for_url("**/login")
