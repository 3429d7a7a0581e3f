"""Issue #14, items 2 and 3 in the browser: the composer's several lines and safe links, and editing
and deleting one's own message, seen live by the other side and after a reload."""
from playwright.sync_api import expect

from .pages import stored, wait_until

LINK = "https://example.com/ruta?x=1"
# text -> the links (as shown, and their href) the page makes of it
LINK_CASES_WANTED = [
    ("(ver https://es.wikipedia.org/wiki/Foo_(bar)).",
     [("https://es.wikipedia.org/wiki/Foo_(bar)", "https://es.wikipedia.org/wiki/Foo_(bar)")]),
    ("escribe a mailto:ana@example.com, gracias", [("mailto:ana@example.com", "mailto:ana@example.com")]),
    ("HTTPS://EXAMPLE.COM! y http://a.es/b?c=1&d=2;", [("HTTPS://EXAMPLE.COM", "https://example.com/"),
                                                       ("http://a.es/b?c=1&d=2", "http://a.es/b?c=1&d=2")]),
    ("http:// sin más, ftp://x.es, data:text/html,<script>x</script>, javascript:alert(1)", []),
    ("<a href=\"https://x.es\">y</a>", [("https://x.es", "https://x.es/")]),
]
LINK_CASES = [text for text, _ in LINK_CASES_WANTED]


def test_the_composer_keeps_lines_and_makes_safe_links(open_chat):
    """Shift+Enter breaks the line, Enter sends; links open apart, tags stay text, emoji arrive whole."""
    ana = open_chat("ana")
    admin = open_chat("admin")
    box = ana.page.locator("#mensaje")
    box.fill("にほんご")
    # Enter that picks an input method's word sends nothing (isComposing, or Chrome's keyCode 229)
    box.evaluate("""b => {
        b.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", isComposing: true, bubbles: true, cancelable: true}));
        b.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", keyCode: 229, bubbles: true, cancelable: true}));
    }""")
    ana.page.wait_for_timeout(300)
    expect(box).to_have_value("にほんご")
    expect(ana.messages).to_have_count(0)
    box.evaluate("""b => b.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true}))""")
    expect(ana.message("にほんご")).to_have_count(1)  # the same Enter, composition over: sent
    box.focus()
    keyboard = ana.page.keyboard
    keyboard.type("Hola 👋")
    keyboard.press("Shift+Enter")
    keyboard.type(f"mira {LINK}.")
    keyboard.press("Shift+Enter")
    keyboard.press("Shift+Enter")
    keyboard.type("<b>no es negrita</b> javascript:alert(1)")
    assert box.input_value() == f"Hola 👋\nmira {LINK}.\n\n<b>no es negrita</b> javascript:alert(1)"
    height = box.evaluate("b => b.getBoundingClientRect().height")
    assert height > 60, "the box grows with its lines"
    ana.screenshot("composer-varias-lineas")
    keyboard.press("Enter")
    expect(box).to_have_value("")
    sent = ana.messages.last
    expect(sent).to_have_attribute("data-state", "sent")
    for page in (ana, admin):
        if page is admin:
            page.open("ana")
        message = page.messages.last
        link = message.locator("a.msg-enlace")
        expect(link).to_have_count(1)  # javascript: stays text
        expect(link).to_have_attribute("href", LINK)
        expect(link).to_have_text(LINK)  # the full stop after it is not part of it
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(link).to_have_attribute("target", "_blank")
        expect(message.locator(".msg-text b")).to_have_count(0)
        text = message.locator(".msg-text")
        expect(text).to_have_text(f"Hola 👋\nmira {LINK}.\n\n<b>no es negrita</b> javascript:alert(1)")
        lines = text.evaluate("t => t.getClientRects().length && Math.round(t.getBoundingClientRect().height)")
        assert lines > 60, "line breaks are kept on screen"
    ana.screenshot("composer-mensaje-con-enlace")
    links = ana.page.evaluate("""async (texts) => {
        const { pieces } = await import("/static/js/linkify.js");
        return texts.map((text) => pieces(text).filter((n) => n.nodeName === "A")
          .map((a) => [a.textContent, a.href, a.rel, a.target]));
    }""", LINK_CASES)
    assert links == [[[text, href, "noopener noreferrer", "_blank"] for text, href in want] for _, want in LINK_CASES_WANTED]


def accept_next_dialog(chat):
    """The page's next confirm() is accepted (the suite dismisses and reports unexpected ones)."""
    chat.page.remove_listener("dialog", chat._dialog)

    def accept(dialog):
        chat.page.on("dialog", chat._dialog)
        dialog.accept()

    chat.page.once("dialog", accept)


def test_edit_and_delete_live_and_after_reload(app, open_chat):
    """The author edits in place (Enter saves) and deletes after confirming; the agent sees both live,
    with the history under "editado"; after a reload both pages still say so, and the text is gone."""
    ana = open_chat("ana")
    admin = open_chat("admin")
    first = ana.send("Mi pedido es el 1234")
    second = ana.send("Este texto se borrará")
    expect(second).to_have_attribute("data-state", "sent")
    wait_until(lambda: len(stored(app)) == 2, what="both stored")
    admin.open("ana")
    expect(admin.message("Mi pedido es el 1234")).to_have_count(1)

    # edit in place: Esc cancels, Enter saves
    first.hover()
    expect(first.locator(".msg-acciones")).to_be_visible()
    ana.screenshot("mensaje-acciones-editar-borrar")
    first.locator(".msg-editar").click()
    editor = first.locator("textarea.msg-edicion")
    expect(editor).to_have_value("Mi pedido es el 1234")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    first.hover()
    first.locator(".msg-editar").click()
    editor.fill("Mi pedido es el 12345")
    ana.screenshot("mensaje-editando")
    editor.press("Enter")
    edited = ana.message("Mi pedido es el 12345")
    expect(edited.locator(".msg-cambio")).to_have_text("editado")
    on_admin = admin.message("Mi pedido es el 12345")
    expect(on_admin.locator(".msg-cambio")).to_have_text("editado")  # live
    on_admin.locator(".msg-cambio").click()
    expect(on_admin.locator(".msg-historial")).to_contain_text("Mi pedido es el 1234")
    admin.screenshot("mensaje-editado-agente")

    # delete after confirming
    second.hover()
    accept_next_dialog(ana)
    second.locator(".msg-borrar").click()
    gone = ana.messages.filter(has=ana.page.locator(".msg-text", has_text="Mensaje eliminado"))
    expect(gone).to_have_count(1)
    expect(admin.page.locator("#mensajes .msg-text", has_text="Mensaje eliminado")).to_have_count(1)  # live
    expect(admin.user_item("ana").locator(".fila-ultimo")).to_contain_text("Mensaje eliminado")
    ana.screenshot("mensaje-eliminado-cliente")

    ana.reload()
    expect(ana.message("Mi pedido es el 12345").locator(".msg-cambio")).to_have_text("editado")
    expect(ana.page.locator("#mensajes .msg-text", has_text="Mensaje eliminado")).to_have_count(1)
    assert "Este texto se borrará" not in ana.page.content()
    admin.reload()
    admin.open("ana")
    deleted = admin.messages.filter(has=admin.page.locator(".msg-text", has_text="Mensaje eliminado"))
    expect(deleted.locator(".msg-cambio")).to_have_text("eliminado")
    deleted.locator(".msg-cambio").click()  # agents may still read what it said
    expect(deleted.locator(".msg-historial")).to_contain_text("Este texto se borrará")
    admin.screenshot("mensaje-eliminado-agente")
    assert [row["mensaje"] for row in stored(app)] == ["Mi pedido es el 12345", ""]
