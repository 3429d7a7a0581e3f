"""Canned replies in Chromium: two agents and a customer; created in the modal, picked with the keyboard."""
from playwright.sync_api import expect

from .pages import stored, wait_until

SALUDO = "Hola {{nombre}}, soy {{agente}}. ¿En qué puedo ayudarte?"
DESPEDIDA = "Gracias, {{nombre}}.\nRef: {{caso}}. ¡Un saludo!"  # "saludo" in its text, not in its code


def picker(chat):
    return chat.page.locator("#respuestas-picker")


def options(chat):
    return chat.page.locator("#respuestas-opciones").get_by_role("option")


def composer(chat):
    return chat.page.locator("#mensaje")


def modal(chat):
    return chat.page.locator("#respuestas-modal")


def create_in_modal(chat, codigo, texto):
    """Fill the modal's form and create a reply; wait until the list shows it."""
    dialog = modal(chat)
    dialog.get_by_label("Código").fill(codigo)
    dialog.get_by_label("Texto").fill(texto)
    dialog.get_by_role("button", name="Crear respuesta").click()
    expect(dialog.locator("#respuestas-aviso")).to_have_text(f"Respuesta /{codigo} creada.")
    expect(dialog.locator(".respuesta-item-codigo").get_by_text(f"/{codigo}", exact=True)).to_be_visible()


def test_canned_replies_created_in_the_ui_and_picked_with_the_keyboard(app, open_chat):
    """admin creates replies in the modal (with its validation); agente2's picker has them without a
    reload; /sal + ArrowDown + Enter inserts the saludo with the customer's display name and does not
    send; Esc closes and keeps the text; a click inserts too; the reply sent reaches the customer."""
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    lucia = open_chat("lucia", register_as="Lucía Pérez")
    lucia.send("Hola, no me llega el pedido")
    agente2.open("lucia", "Lucía Pérez")

    box = composer(agente2)
    expect(box).to_have_attribute("role", "combobox")
    box.press_sequentially("/")
    expect(picker(agente2)).to_be_visible()
    expect(agente2.page.locator("#respuestas-sin-coincidencias")).to_have_text("Aún no hay respuestas rápidas.")
    box.press("Escape")
    expect(picker(agente2)).to_be_hidden()
    box.fill("")

    # admin, in the modal: validation first, then two replies
    admin.page.get_by_role("button", name="Respuestas rápidas").click()
    dialog = modal(admin)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Código")).to_be_focused()
    dialog.get_by_role("button", name="Crear respuesta").click()
    expect(dialog.locator("#respuesta-codigo-error")).to_have_text("Falta el código")
    expect(dialog.locator("#respuesta-texto-error")).to_have_text("Falta el texto")
    expect(dialog.get_by_label("Código")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Código").fill("buenos días")
    dialog.get_by_label("Texto").fill("Hola")
    dialog.get_by_role("button", name="Crear respuesta").click()
    expect(dialog.locator("#respuesta-codigo-error")).to_have_text(
        "El código solo puede tener letras, números, guiones (-) y guiones bajos (_)")
    create_in_modal(admin, "saludo", SALUDO)
    dialog.get_by_label("Código").fill("SALUDO")  # the server refuses: codes ignore case
    dialog.get_by_label("Texto").fill("Otro saludo")
    dialog.get_by_role("button", name="Crear respuesta").click()
    expect(dialog.locator("#respuesta-codigo-error")).to_have_text("Ya existe una respuesta rápida con ese código")
    expect(dialog.locator("#respuesta-codigo-error")).to_be_visible()
    admin.screenshot("canned-modal-refused")
    create_in_modal(admin, "despedida", DESPEDIDA)
    expect(dialog.locator(".respuesta-item-codigo")).to_have_text(["/despedida", "/saludo"])
    expect(dialog.locator(".respuesta-item").first).to_contain_text("Cambiada por Admin")
    admin.screenshot("canned-modal")
    dialog.press("Escape")
    expect(dialog).to_be_hidden()

    # agente2's picker, without a reload: code matches first, then text matches
    box.press_sequentially("/sal")
    expect(picker(agente2)).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options(agente2).locator(".respuesta-codigo")).to_have_text(["/saludo", "/despedida"])
    assert box.get_attribute("aria-activedescendant") is None  # no option is active until an arrow
    box.press("ArrowDown")
    first = options(agente2).nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", options(agente2).nth(1).get_attribute("id"))
    box.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(options(agente2).nth(1)).to_have_attribute("aria-selected", "false")
    agente2.screenshot("canned-picker")
    box.press("Enter")
    saludo = "Hola Lucía Pérez, soy Agente2. ¿En qué puedo ayudarte?"
    expect(box).to_have_value(saludo)
    expect(picker(agente2)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(agente2.message(saludo)).to_have_count(0)  # Enter inserted; nothing was sent

    # Esc closes and keeps what was typed
    box.fill("")
    box.press_sequentially("/desp")
    expect(options(agente2)).to_have_count(1)
    box.press("Escape")
    expect(picker(agente2)).to_be_hidden()
    expect(box).to_have_value("/desp")

    # a click inserts too; an unknown placeholder stays as typed; the line break stays (the box has lines)
    box.fill("")
    box.press_sequentially("/")
    options(agente2).filter(has_text="/despedida").click()
    expect(box).to_have_value("Gracias, Lucía Pérez.\nRef: {{caso}}. ¡Un saludo!")
    expect(box).to_be_focused()

    # the inserted saludo is sent with Enter, and the customer receives it
    box.fill("")
    box.press_sequentially("/sal")
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value(saludo)
    box.press("Enter")
    expect(lucia.message(saludo)).to_have_count(1)
    expect(agente2.message(saludo)).to_have_attribute("data-state", "sent")
    wait_until(lambda: [m["mensaje"] for m in stored(app, de_usuario="agente2")] == [saludo], what="the reply stored")

    # admin edits one and deletes the other: agente2's open picker follows at once
    box.press_sequentially("/")
    expect(options(agente2)).to_have_count(2)
    admin.page.get_by_role("button", name="Respuestas rápidas").click()
    item = dialog.locator(".respuesta-item").filter(has_text="/saludo")
    item.get_by_role("button", name="Editar /saludo").click()
    expect(dialog.get_by_label("Texto")).to_have_value(SALUDO)
    dialog.get_by_label("Texto").fill("Buenas, {{nombre}}")
    dialog.get_by_role("button", name="Guardar cambios").click()
    expect(dialog.locator("#respuestas-aviso")).to_have_text("Respuesta /saludo guardada.")
    expect(options(agente2).filter(has_text="/saludo")).to_contain_text("Buenas, {{nombre}}")
    remove = dialog.locator(".respuesta-item").filter(has_text="/despedida").locator('button[data-accion="borrar"]')
    expect(remove).to_have_accessible_name("Borrar /despedida")
    remove.click()  # the first click only asks
    expect(remove).to_have_text("¿Borrar? Confirmar")
    expect(remove).to_have_accessible_name("Confirmar el borrado de /despedida")
    expect(options(agente2)).to_have_count(2)
    remove.click()
    expect(dialog.locator(".respuesta-item-codigo")).to_have_text(["/saludo"])
    expect(options(agente2).locator(".respuesta-codigo")).to_have_text(["/saludo"])


def test_the_customer_has_no_picker(app, open_chat):
    """A customer's "/" is just text: no picker, no modal, and the canned-replies scripts are never loaded."""
    ana = open_chat("ana")
    box = composer(ana)
    box.press_sequentially("/sal")
    expect(ana.page.locator("#respuestas-picker")).to_have_count(0)
    expect(ana.page.get_by_role("listbox")).to_have_count(0)
    expect(box).not_to_have_attribute("role", "combobox")
    loaded = ana.page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    assert any(name.endswith("/chat.js") for name in loaded)
    assert not [name for name in loaded if "canned" in name or "bootstrap.bundle" in name]
    box.press("Enter")
    expect(ana.message("/sal")).to_have_attribute("data-state", "sent")


def test_the_picker_rules_in_the_page(app, open_chat):
    """The page's own functions: matching (code prefix, code, then text; no case, no accents),
    placeholders, and a list that ignores events out of order (an older version, a deleted id)."""
    admin = open_chat("admin")
    found = admin.page.evaluate("""async () => {
        const { matching, fill } = await import("/static/js/canned_picker.js");
        const { CannedReplies } = await import("/static/js/canned.js");
        const replies = [
            { id: 1, codigo: "envio", texto: "Tu pedido está en camino" },
            { id: 2, codigo: "reenvío", texto: "Lo enviamos de nuevo" },
            { id: 3, codigo: "Canción", texto: "La ENVIAMOS mañana" },
            { id: 4, codigo: "otro", texto: "nada que ver" },
        ];
        const codes = (query) => matching(replies, query).map((r) => r.codigo);
        const list = new CannedReplies({ url: "/api/respuestas", getJSON: async () => [], csrf: "" });
        const at = (id, texto, when) => ({ id, codigo: `c${id}`, texto, actualizado_en: when });
        list.apply({ accion: "creada", respuesta: at(1, "v1", "2026-01-01T00:00:01.000000Z") });
        list.apply({ accion: "editada", respuesta: at(1, "v3", "2026-01-01T00:00:03.000000Z") });
        list.apply({ accion: "editada", respuesta: at(1, "v2", "2026-01-01T00:00:02.000000Z") });
        list.apply({ accion: "borrada", respuesta: { id: 2, codigo: "c2" } });
        list.apply({ accion: "creada", respuesta: at(2, "late", "2026-01-01T00:00:01.000000Z") });
        return {
            env: codes("ENV"), cancion: codes("cancion"), all: codes(""), none: codes("zzz"),
            filled: fill("Hola {{nombre}}, soy {{ agente }}. {{pedido}} {{nombre}}", { nombre: "Lucía", agente: "Ana" }),
            unknownName: fill("Hola {{nombre}}", { nombre: undefined }),
            kept: list.all().map((r) => r.texto),
        };
    }""")
    assert found["env"] == ["envio", "reenvío", "Canción"]  # prefix, then inside the code, then the text
    assert found["cancion"] == ["Canción"]
    assert found["all"] == ["envio", "reenvío", "Canción", "otro"]
    assert found["none"] == []
    assert found["filled"] == "Hola Lucía, soy Ana. {{pedido}} Lucía"
    assert found["unknownName"] == "Hola {{nombre}}"
    assert found["kept"] == ["v3"]


def test_in_english(app, open_chat):
    """An English page: the modal, its validation and the picker speak English; placeholders still fill."""
    ana = open_chat("ana")
    ana.send("Hello?")
    admin = open_chat("admin")
    page = admin.page
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/soporte")
    expect(page.locator("#estado")).to_have_attribute("data-state", "connected")
    page.get_by_role("button", name="Canned replies").click()
    dialog = modal(admin)
    expect(dialog.get_by_role("heading", name="Canned replies")).to_be_visible()
    dialog.get_by_role("button", name="Create reply").click()
    expect(dialog.locator("#respuesta-codigo-error")).to_have_text("The code is missing")
    expect(dialog.locator("#respuesta-texto-error")).to_have_text("The text is missing")
    dialog.get_by_label("Code").fill("hi")
    dialog.get_by_label("Text").fill("Hi {{nombre}}, this is {{agente}}")
    dialog.get_by_role("button", name="Create reply").click()
    expect(dialog.locator("#respuestas-aviso")).to_have_text("Reply /hi created.")
    dialog.get_by_label("Code").fill("HI")
    dialog.get_by_label("Text").fill("again")
    dialog.get_by_role("button", name="Create reply").click()
    expect(dialog.locator("#respuesta-codigo-error")).to_have_text("A canned reply with that code already exists")
    admin.screenshot("canned-modal-en")
    dialog.get_by_role("button", name="Close").first.click()
    expect(dialog).to_be_hidden()
    admin.user_item("ana").click()
    box = composer(admin)
    box.press_sequentially("/zz")
    expect(page.locator("#respuestas-sin-coincidencias")).to_have_text("No canned reply matches /zz")
    picker(admin).get_by_role("button", name="Manage replies").click()  # nothing matched: a new /zz
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Code")).to_have_value("zz")
    expect(dialog.get_by_label("Code")).to_be_focused()  # shown (Bootstrap ignores Esc while it fades in)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(box).to_be_focused()  # back where the agent was typing
    box.fill("")
    box.press_sequentially("/h")
    box.press("Enter")  # no arrow: the first match
    expect(box).to_have_value("Hi Ana, this is Admin")
