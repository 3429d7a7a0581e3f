"""Unread per agent, "Visto" for the customer, and agents' notifications, in Chromium.

Two agents (admin in two tabs, agente2) and customers ana and bob.
"""
import re

from playwright.sync_api import expect

from .pages import ChatPage, classes

UNREAD = classes("text-danger", "fw-bold")
TITLE = "Bandeja de soporte"

# Test doubles for what a headless browser cannot show a person: desktop notifications
# (recorded, permission asked and granted), the beep (oscillators started are counted)
# and a hidden tab (window.__ocultar(true) makes document.hidden true).
BROWSER_DOUBLES = """
(() => {
  window.__avisos = [];
  window.__pitidos = 0;
  window.__permisoPedido = 0;
  class FakeNotification {
    constructor(title, options) { window.__avisos.push({ title, body: options && options.body, tag: options && options.tag }); }
    close() {}
    static requestPermission() {
      window.__permisoPedido += 1;
      FakeNotification.permission = "granted";
      localStorage.setItem("__permiso", "granted");  // a browser remembers what was allowed
      return Promise.resolve("granted");
    }
  }
  try {
    FakeNotification.permission = localStorage.getItem("__permiso") || "default";
  } catch (error) {
    FakeNotification.permission = "default";  // about:blank has no storage
  }
  window.Notification = FakeNotification;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { window.__pitidos += 1; return start.apply(this, args); };
  let hidden = false;
  Object.defineProperty(document, "hidden", { get: () => hidden, configurable: true });
  Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible"), configurable: true });
  window.__ocultar = (value) => { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
})();
"""


def badge(chat, name):
    return chat.user_item(name).locator(".unread-count")


def expect_unread(chat, name, count):
    """The list shows `count` unread for `name` (0: no badge, not red)."""
    if count:
        expect(badge(chat, name)).to_have_text(str(count))
        expect(badge(chat, name)).to_be_visible()
    else:
        expect(badge(chat, name)).to_be_hidden()


def expect_title(chat, total):
    expect(chat.page).to_have_title(f"({total}) {TITLE}" if total else TITLE)


def second_tab(chat):
    """Another tab of the same browser (same login) on the chat."""
    tab = ChatPage(chat.page.context.new_page(), chat.user, chat.base_url)
    tab.page.goto(chat.base_url + "/soporte")
    tab.expect_connected()
    return tab


def test_unread_per_agent_across_tabs_reloads_and_visto(app, open_chat):
    """Badges and title count per agent; opening reads on every tab of that agent only; it survives
    a reload; "Marcar como no leído"; live messages count; the customer sees "Visto"."""
    ana, bob = open_chat("ana"), open_chat("bob")
    ana.send("Hola, tengo un problema")
    first = ana.send("¿Me ayudáis?")
    bob.send("Buenas")
    admin, agente2 = open_chat("admin"), open_chat("agente2")
    admin2 = second_tab(admin)
    for agent in (admin, admin2, agente2):
        expect_unread(agent, "ana", 2)
        expect_unread(agent, "bob", 1)
        expect(agent.user_item("ana")).to_have_class(UNREAD)
        expect_title(agent, 3)
    admin.screenshot("inbox-sin-leer")
    expect(first.locator(".msg-visto")).to_have_count(0)  # nobody has read it yet

    # admin reads ana: on both of admin's tabs at once, not for agente2
    admin.open("ana")
    expect_unread(admin, "ana", 0)
    expect_unread(admin2, "ana", 0)
    expect(admin2.user_item("ana")).not_to_have_class(re.compile(r"\btext-danger\b"))
    expect_title(admin, 1)
    expect_title(admin2, 1)
    expect_unread(agente2, "ana", 2)
    expect_title(agente2, 3)
    # ana sees that support has read her messages, under the latest one
    expect(first.locator(".msg-visto")).to_have_text("Visto")
    expect(ana.page.locator(".msg-visto")).to_have_count(1)
    expect(ana.message("Hola, tengo un problema")).to_have_attribute("data-visto", "true")
    ana.screenshot("cliente-visto")

    # it survives a reload, on both sides
    admin2.reload()
    expect_unread(admin2, "bob", 1)
    expect_unread(admin2, "ana", 0)
    expect_title(admin2, 1)
    agente2.reload()
    expect_unread(agente2, "ana", 2)
    ana.reload()
    expect(ana.message("¿Me ayudáis?").locator(".msg-visto")).to_have_text("Visto")

    # live: ana writes while admin has her open (read at once); bob's count grows
    ana.send("Sigo aquí")
    expect(admin.message("Sigo aquí")).to_be_visible()
    expect(ana.message("Sigo aquí").locator(".msg-visto")).to_have_text("Visto")
    expect_unread(agente2, "ana", 3)
    bob.send("¿Hola?")
    expect_unread(admin, "bob", 2)
    expect_unread(admin2, "bob", 2)
    expect_title(admin2, 2)
    expect_unread(admin2, "ana", 0)
    # an agent's own messages never count; a colleague's do
    admin.send("Hola Ana, dime")
    expect_unread(agente2, "ana", 4)
    expect_title(agente2, 6)
    expect_unread(admin2, "ana", 0)

    # "Marcar como no leído": back to unread on both of admin's tabs (and after a reload)
    admin.page.get_by_role("button", name="Marcar como no leído").click()
    expect_unread(admin, "ana", 1)
    expect_unread(admin2, "ana", 1)
    expect_title(admin2, 3)
    admin2.reload()
    expect_unread(admin2, "ana", 1)
    # opening it again reads it
    admin2.open("ana")
    expect_unread(admin2, "ana", 0)
    expect_unread(admin, "ana", 0)
    expect_title(admin, 2)
    admin2.page.close()


def test_notification_switches_are_remembered_and_announce(app, open_chat):
    """The two switches are saved per agent; a beep when sound is on; a desktop notification
    (permission asked on the click) when the tab is hidden."""
    prepare = lambda context: context.add_init_script(BROWSER_DOUBLES)  # noqa: E731
    admin = open_chat("admin", prepare=prepare)
    agente2 = open_chat("agente2", prepare=prepare)
    sound = admin.page.get_by_role("switch", name="Sonido")
    desktop = admin.page.get_by_role("switch", name="Avisos de escritorio")
    for switch in (sound, desktop):
        expect(switch).to_be_enabled()
        expect(switch).not_to_be_checked()
    sound.click()
    expect(sound).to_be_checked()
    desktop.click()
    expect(desktop).to_be_checked()
    assert admin.page.evaluate("window.__permisoPedido") == 1
    admin.reload()
    sound = admin.page.get_by_role("switch", name="Sonido")
    expect(sound).to_be_checked()
    expect(admin.page.get_by_role("switch", name="Avisos de escritorio")).to_be_checked()
    expect(agente2.page.get_by_role("switch", name="Sonido")).not_to_be_checked()  # per agent
    agente2.reload()
    expect(agente2.page.get_by_role("switch", name="Sonido")).not_to_be_checked()

    admin.page.locator("#usuarios-titulo").click()  # any gesture lets the page play sound
    admin.page.evaluate("window.__ocultar(true)")
    ana = open_chat("ana")
    ana.send("¿Hay alguien?")
    expect_unread(admin, "ana", 1)
    expect_title(admin, 1)
    admin.page.wait_for_function("window.__pitidos > 0")
    notices = admin.page.evaluate("window.__avisos")
    assert notices == [{"title": "Mensaje de Ana", "body": "¿Hay alguien?", "tag": "soporte-ana"}]
    # agente2 has both off: the title counts, but no sound and no notification
    expect_title(agente2, 1)
    assert agente2.page.evaluate("[window.__pitidos, window.__avisos.length]") == [0, 0]
    # visible tab: no desktop notification; sound off: no beep
    admin.page.evaluate("window.__ocultar(false)")
    sound.click()
    expect(sound).not_to_be_checked()
    beeps = admin.page.evaluate("window.__pitidos")
    bob = open_chat("bob")
    bob.send("Hola")
    expect_unread(admin, "bob", 1)
    assert admin.page.evaluate("[window.__pitidos, window.__avisos.length]") == [beeps, 1]
    admin.reload()
    expect(admin.page.get_by_role("switch", name="Sonido")).not_to_be_checked()
