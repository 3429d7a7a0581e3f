"""Attachments in the browser: choose, drop and paste files, see them upload, send them, and open them.

Screenshots: an image message and a file message, on the customer's and the agent's page.
"""
import io

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from soporte.extensions import db
from soporte.models import Adjunto

from .pages import stored, wait_until

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png(size=(900, 600), colour=(30, 120, 200)):
    """A real PNG image."""
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 60):  # stripes, so a thumbnail is recognisable in the screenshot
        for y in range(size[1]):
            image.putpixel((x, y), (255, 255, 255))
    image.save(out, "PNG")
    return out.getvalue()


def drop_files(page, target, files):
    """Drop files (name, MIME type, bytes) on an element, as a drag from the desktop does."""
    handle = page.evaluate_handle("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, type, bytes] of files) transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
        return transfer;
    }""", [[name, kind, list(data)] for name, kind, data in files])
    page.dispatch_event(target, "dragover", {"dataTransfer": handle})
    page.dispatch_event(target, "drop", {"dataTransfer": handle})


def paste_image(page, data):
    """Paste an image into the message box, as a screenshot from the clipboard."""
    page.locator("#mensaje").evaluate("""(box, bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
        box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
    }""", list(data))


def thumbnail_loaded(image):
    """Whether an <img> has loaded pixels (naturalWidth > 0)."""
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_image_and_file_messages(app, open_chat):
    ana = open_chat("ana")
    page = ana.page
    # an image chosen with the button, uploaded with its progress on a chip, sent with a text
    page.locator("#archivos").set_input_files([{"name": "captura.png", "mimeType": "image/png", "buffer": png()}])
    chip = page.locator("#adjuntos-pendientes .adjunto-pendiente")
    expect(chip).to_have_attribute("data-estado", "listo")
    expect(chip.locator(".adjunto-nombre")).to_have_text("captura.png")
    expect(chip.locator("progress")).to_have_count(1)
    page.locator("#mensaje").fill("Mirad el error de la pantalla")
    page.get_by_role("button", name="Enviar").click()
    expect(chip).to_have_count(0)
    sent = ana.message("Mirad el error de la pantalla")
    image = sent.locator("img.adjunto-miniatura")
    expect(image).to_have_attribute("alt", "captura.png")
    expect(sent).to_have_attribute("data-state", "sent")
    wait_until(lambda: thumbnail_loaded(image), what="the thumbnail to load")

    # a file dropped on the conversation, sent with no text: a download link with its name and size
    drop_files(page, "#mensajes", [("factura-marzo.pdf", "application/pdf", PDF)])
    expect(chip).to_have_attribute("data-estado", "listo")
    expect(page.get_by_role("button", name="Enviar")).to_be_enabled()
    page.get_by_role("button", name="Enviar").click()
    link = page.locator("#mensajes .adjunto-archivo")
    expect(link).to_have_count(1)
    expect(link.locator(".adjunto-nombre")).to_have_text("factura-marzo.pdf")
    expect(link.locator(".adjunto-tamano")).to_have_text(f"{len(PDF)} B")
    expect(link).to_have_attribute("download", "factura-marzo.pdf")

    # what is not allowed says so on its chip, and can be taken away
    drop_files(page, "#mensajes", [("foto.png", "image/png", b"<!DOCTYPE html><html><script>alert(1)</script></html>")])
    expect(chip).to_have_attribute("data-estado", "error")
    expect(chip.locator(".adjunto-estado")).to_have_text("Ese tipo de archivo no está permitido")
    chip.locator(".adjunto-quitar").click()
    expect(chip).to_have_count(0)

    rows = wait_until(lambda: len(stored(app, de_usuario="ana")) == 2 and stored(app, de_usuario="ana"),
                      what="both messages stored")
    assert rows[0]["mensaje"].startswith("Mirad el error de la pantalla\n📎 captura.png: /api/adjuntos/")
    assert rows[1]["mensaje"].startswith("📎 factura-marzo.pdf: /api/adjuntos/")
    ana.screenshot("adjuntos-cliente")

    # the agent: the same message with its thumbnail; the image opens full size in a new tab
    agent = open_chat("admin")
    # the list's preview names the file the last message carries, without its link
    expect(agent.user_item("ana").locator(".fila-ultimo")).to_have_text("📎 factura-marzo.pdf")
    agent.open("ana")
    image = agent.message("Mirad el error de la pantalla").locator("img.adjunto-miniatura")
    expect(image).to_be_visible()
    wait_until(lambda: thumbnail_loaded(image), what="the agent's thumbnail to load")
    expect(agent.page.locator("#mensajes .adjunto-archivo .adjunto-nombre")).to_have_text("factura-marzo.pdf")
    assert "📎" not in "".join(agent.texts())  # the link lines are for text-only pages
    with agent.page.context.expect_page() as opened:
        image.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.url.startswith(agent.base_url + "/api/adjuntos/") and not full.url.endswith("/miniatura")
    assert full.evaluate("document.contentType") == "image/png"
    full.close()

    # the agent answers with a pasted screenshot: the customer gets it live
    paste_image(agent.page, png((300, 200), (200, 60, 60)))
    agent_chip = agent.page.locator("#adjuntos-pendientes .adjunto-pendiente")
    expect(agent_chip).to_have_attribute("data-estado", "listo")
    agent.page.locator("#mensaje").fill("Ya está corregido, mira")
    agent.page.get_by_role("button", name="Enviar").click()
    reply = ana.message("Ya está corregido, mira")
    expect(reply.locator("img.adjunto-miniatura")).to_be_visible()
    wait_until(lambda: thumbnail_loaded(reply.locator("img.adjunto-miniatura")), what="the reply's thumbnail")
    with app.app_context():
        assert db.session.scalars(select(Adjunto.conversacion).distinct()).all() == ["ana"]
        db.session.remove()
    agent.screenshot("adjuntos-agente")

    # after a reload (the REST history) the same: thumbnails and links, no link lines
    ana.reload()
    expect(page.locator("#mensajes img.adjunto-miniatura")).to_have_count(2)
    expect(page.locator("#mensajes .adjunto-archivo")).to_have_count(1)
    assert not any("/api/adjuntos/" in text for text in ana.texts())
    page.locator("#mensajes").evaluate("box => box.scrollTop = box.scrollHeight")
    wait_until(lambda: all(thumbnail_loaded(i) for i in page.locator("#mensajes img.adjunto-miniatura").all()),
               what="thumbnails after the reload")
    ana.screenshot("adjuntos-cliente-recargada")
