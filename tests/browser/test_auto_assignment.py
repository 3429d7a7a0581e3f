"""Automatic assignment in Chromium: the online agent gets new conversations up to capacity; the rest wait."""
import time

import pytest
from playwright.sync_api import expect

from conftest import LiveServer

from .test_assignment import count


@pytest.fixture
def live_server(app, tmp_path):
    """The usual server with automatic assignment on: capacity 1, sweeps every half second."""
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                        extra_env={"SOPORTE_AUTO_ASSIGN": "true", "SOPORTE_AGENT_CAPACITY": "1",
                                   "SOPORTE_ASSIGN_INTERVAL": "0.5"})
    server.start()
    yield server
    server.stop()


def test_automatic_assignment_fills_online_agents_and_the_pool_waits(app, open_chat):
    """Capacity 1: ana's goes to the online agent, bob's waits in "Sin asignar" until ana's is resolved."""
    admin = open_chat("admin")
    open_chat("ana").send("Hola")
    expect(admin.user_item("ana").locator(".fila-asignado")).to_have_text("Mía")
    expect(count(admin, "mias")).to_have_text("1")
    open_chat("bob").send("Hola también")
    expect(admin.user_item("bob").locator(".fila-espera")).to_be_visible()
    time.sleep(1.5)  # three of the assigner's rounds: nobody has room
    expect(admin.user_item("bob").locator(".fila-asignado")).to_have_text("Sin asignar")
    expect(count(admin, "sin_asignar")).to_have_text("1")
    admin.screenshot("inbox-asignacion-automatica")
    admin.open("ana")
    admin.page.locator("#cambiar-estado").click()  # resolved: admin has room for bob's
    expect(admin.user_item("bob").locator(".fila-asignado")).to_have_text("Mía")
    expect(count(admin, "sin_asignar")).to_have_text("0")
