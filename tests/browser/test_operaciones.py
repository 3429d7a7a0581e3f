"""The operations page in the browser: reached from the agents' header, it shows this process's figures live."""
import pytest
from playwright.sync_api import expect

from conftest import LiveServer


@pytest.fixture
def live_server(app, tmp_path):
    """The usual server, with the operations page refreshing every second (default 5 s)."""
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                        extra_env={"SOPORTE_OPERATIONS_REFRESH_MS": "1000"})
    server.start()
    yield server
    server.stop()


def figure(page, name):
    return page.locator(f"#ops-{name}")


def this_minute(page):
    return page.locator('#ops-minutos tr[data-minuto="0"] td').nth(1)


def test_operations_page_shows_the_counts_and_follows_a_message(open_chat):
    """ana and agente2 on the chat, admin on the operations page; ana writes and the minute counts it."""
    ana = open_chat("ana")
    open_chat("agente2")
    admin = open_chat("admin")
    admin.page.get_by_role("link", name="Operaciones").click()  # the chat's socket closes
    admin.page.wait_for_url("**/operaciones")
    page = admin.page
    expect(page).to_have_title("Operaciones · Soporte")
    expect(figure(page, "sockets")).to_have_text("2")
    expect(figure(page, "usuarios")).to_have_text("2")
    expect(figure(page, "agentes")).to_have_text("1")
    expect(page.locator('#ops-salas tr[data-sala="admins"] td').nth(2)).to_have_text("1")
    expect(page.locator('#ops-salas tr[data-sala="user:*"] td').nth(1)).to_have_text("2")
    expect(page.locator("#ops-minutos tr")).to_have_count(15)
    expect(this_minute(page)).to_have_text("0")
    expect(page.locator('#ops-minutos tr[data-minuto="0"] td').first).to_have_text("este minuto")
    expect(figure(page, "actualizado")).to_contain_text("Actualizado a las")

    expect(ana.send("¿Me veis en las cifras?")).to_have_attribute("data-state", "sent")
    expect(this_minute(page)).to_have_text("1")  # the next refresh brings it, no reload
    expect(figure(page, "almacenados")).to_have_text("1")
    expect(figure(page, "pendientes")).to_have_text("0")
    ana.screenshot("operaciones-cliente")
    admin.screenshot("operaciones")
