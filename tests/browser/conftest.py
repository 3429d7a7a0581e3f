"""Browser fixtures: Debian's Chromium driven by Playwright against the real server process."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from .pages import DESKTOP, SCREENSHOTS, TIMEZONE, ChatPage

CHROMIUM = os.environ.get("SOPORTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-quic", "--disable-dev-shm-usage",
]
ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

expect.set_options(timeout=10_000)


def root_conftest(config):
    """tests/conftest.py as pytest loaded it (its module name depends on the import mode)."""
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", None) or "/").resolve() == ROOT_CONFTEST:
            return plugin
    raise RuntimeError("tests/conftest.py is not loaded")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium per module: Debian's, never a downloaded one.

    Per module, not per session: while Playwright's sync API is running it leaves an
    asyncio loop marked as running, which breaks later tests that use asyncio.
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (.ci/run installs it with apt-get)")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SOPORTE_CHROMIUM)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def password(request):
    """The test accounts' password (defined by tests/conftest.py)."""
    return root_conftest(request.config).PASSWORD


@pytest.fixture
def open_chat(browser, live_server, password):
    """Log an account in through the real login form, each in its own browser context.

    Returns a ChatPage once the chat's socket is connected. At the end, any
    uncaught JavaScript error or unexpected dialog on any page fails the test.
    """
    contexts, pages = [], []

    def open_chat(username, viewport=DESKTOP, register_as=None, prepare=None):
        """register_as: create the account through /registro with this display name;
        prepare(context): called before the first page loads (e.g. to route its traffic)."""
        context = browser.new_context(viewport=viewport, timezone_id=TIMEZONE, locale="es-ES")
        contexts.append(context)
        if prepare:
            prepare(context)
        chat = ChatPage(context.new_page(), username, live_server.url)
        pages.append(chat)
        if register_as is None:
            chat.login(password)
        else:
            chat.register(register_as, password)
        return chat

    yield open_chat
    for context in contexts:
        context.close()
    for chat in pages:
        assert not chat.errors, f"JavaScript errors on {chat.user}'s page: {chat.errors}"
        assert not chat.dialogs, f"dialogs opened on {chat.user}'s page: {chat.dialogs}"
