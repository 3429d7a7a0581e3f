"""Long histories: the latest page first, older pages when scrolled to the top."""
from playwright.sync_api import expect

from .pages import seed_conversation

PAGE = 100


def box_offset(chat, text):
    """How far below the top of the chat box a message is drawn, in pixels."""
    return chat.message(text).evaluate(
        "m => m.getBoundingClientRect().top - document.getElementById('mensajes').getBoundingClientRect().top")


def test_older_pages_load_when_scrolled_to_the_top(app, open_chat):
    """250 stored messages: 100 shown, then 200, then all 250 in order, each once, the view still."""
    texts = seed_conversation(app, "bob", "admin", 250)
    bob = open_chat("bob")
    expect(bob.messages).to_have_count(PAGE)
    assert bob.texts() == texts[-PAGE:]
    expect(bob.history_status()).to_have_attribute("data-state", "more")
    # where the oldest message shown will be once scrolled to the top
    top = box_offset(bob, "mensaje 151") + bob.page.locator("#mensajes").evaluate("b => b.scrollTop")

    bob.scroll_to_top()
    expect(bob.messages).to_have_count(2 * PAGE)
    assert bob.texts() == texts[-2 * PAGE:]
    # what the reader was looking at stays where it was
    assert abs(box_offset(bob, "mensaje 151") - top) < 5

    bob.scroll_to_top()
    expect(bob.messages).to_have_count(250)
    expect(bob.history_status()).to_have_text("Inicio de la conversación")
    assert bob.texts() == texts
    ids = bob.page.locator("#mensajes .msg").evaluate_all("ms => ms.map(m => m.dataset.id)")
    assert len(set(ids)) == 250 and ids == sorted(ids, key=int)
    assert bob.message("mensaje 002").locator(".msg-author").text_content() == "Admin"
    assert bob.message("mensaje 001").locator(".msg-author").text_content() == "Tú"

    # the agent pages the same conversation; a new message while reading old ones offers a jump
    admin = open_chat("admin")
    admin.open("bob")
    expect(admin.messages).to_have_count(PAGE)
    admin.scroll_to_top()
    expect(admin.messages).to_have_count(2 * PAGE)
    bob.send("¿Hola?")
    expect(admin.message("¿Hola?")).to_have_count(1)
    jump = admin.page.get_by_role("button", name="Mensajes nuevos ↓")
    expect(jump).to_be_visible()
    jump.click()
    expect(jump).to_be_hidden()
    expect(admin.message("¿Hola?")).to_be_in_viewport()
    # the customer's own message took them to the bottom
    expect(bob.message("¿Hola?")).to_be_in_viewport()
