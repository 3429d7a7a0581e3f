"""The operations page in the browser: reached from the agents' header, it shows this process's figures live."""
import os
import signal
import time

import pytest
from playwright.sync_api import expect

from conftest import LiveServer, live_socket

from .pages import SCREENSHOTS


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


def clear_of_a_minute_boundary(margin=15):
    """Wait for the next wall-clock minute when fewer than `margin` seconds are left of this one.

    The server counts messages in wall-clock minutes: a message sent just before one
    ends is counted in the minute that then becomes "the previous one" on the page.
    """
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)


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

    clear_of_a_minute_boundary()
    expect(ana.send("¿Me veis en las cifras?")).to_have_attribute("data-state", "sent")
    expect(this_minute(page)).to_have_text("1")  # the next refresh brings it, no reload
    expect(figure(page, "almacenados")).to_have_text("1")
    expect(figure(page, "pendientes")).to_have_text("0")
    ana.screenshot("operaciones-cliente")
    admin.screenshot("operaciones")


@pytest.fixture
def two_servers(redis_servers):
    """Two processes sharing Redis (db 10), publishing their figures every second."""
    return redis_servers(2, 10, OPERATIONS_REFRESH_MS=1000, OPERATIONS_PUBLISH_SECONDS=1)


def test_with_redis_the_page_lists_every_process_and_drops_a_dead_one(browser, two_servers):
    """The agent's page on one process shows the other's sockets; killed, that process leaves the list."""
    first, second = two_servers
    context = browser.new_context(locale="es-ES")
    try:
        ana = live_socket(second, "ana")  # ana's socket is on the second process
        # the agent's login cookie straight into the browser: no chat page, so no socket of its own
        # (a chat page left while its socket is still long-polling lingers until the ping timeout)
        token = first.login("admin").cookies["token"]
        context.add_cookies([{"name": "token", "value": token, "url": first.url}])
        page = context.new_page()
        page.goto(first.url + "/operaciones")
        rows = page.locator("#ops-procesos tr")
        expect(rows).to_have_count(2)
        worker = second.login("admin").get(second.url + "/api/operaciones").json()["proceso"]["pid"]
        other = page.locator(f'#ops-procesos tr[data-proceso$=":{worker}"] td')
        expect(other.nth(2)).to_have_text("1")  # ana's socket, counted by the second process
        expect(figure(page, "sockets")).to_have_text("0")  # this page has no socket: its own process has none
        page.screenshot(path=str(SCREENSHOTS / "operaciones-redis.png"), full_page=True)
        ana.disconnect()
        second.stop(signal.SIGKILL)  # the master first, or it would start a new worker
        os.kill(worker, signal.SIGKILL)  # no goodbye: its key expires
        expect(rows).to_have_count(1, timeout=15_000)
    finally:
        context.close()


@pytest.mark.parametrize("locale, shown", [("es", "sin nodo"), ("en", "no node")])
def test_a_process_without_a_node_says_so(browser, proxied_server, redis_proxy, locale, shown):
    """Redis away since the process started: it holds no node, and the page says so in words, not "null"."""
    redis_proxy.cut("refuse")
    server = proxied_server(OPERATIONS_REFRESH_MS=1000)
    context = browser.new_context(locale="es-ES")
    try:
        token = server.login("admin").cookies["token"]
        context.add_cookies([{"name": "token", "value": token, "url": server.url},
                             {"name": "idioma", "value": locale, "url": server.url}])
        page = context.new_page()
        page.goto(server.url + "/operaciones")
        expect(figure(page, "nodo")).to_have_text(shown)
        page.screenshot(path=str(SCREENSHOTS / f"operaciones-sin-nodo-{locale}.png"), full_page=True)
    finally:
        context.close()
