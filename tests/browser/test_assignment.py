"""The team's inbox in Chromium: each row's fields, the views by assignee with their counts, the order
by longest waiting, and taking and giving conversations, live on two agents' pages."""
import re

from playwright.sync_api import expect
from sqlalchemy import update

from soporte.extensions import db
from soporte.models import Conversacion

from .pages import stored, wait_until


def view_tab(chat, view):
    return chat.page.locator(f'#filtro-vista [data-vista="{view}"]')


def count(chat, view):
    return view_tab(chat, view).locator(".vista-cuenta")


def test_rows_views_counts_and_assignment_live(app, open_chat):
    admin, agente2 = open_chat("admin"), open_chat("agente2")
    ana, bob = open_chat("ana"), open_chat("bob")
    ana.send("No puedo entrar a mi cuenta")
    bob.send("¿Cuál es el horario?")
    for agent in (admin, agente2):
        row = agent.user_item("ana")
        expect(row.locator(".user-name")).to_have_text("Ana")
        expect(row.locator(".fila-ultimo")).to_have_text("No puedo entrar a mi cuenta")
        expect(row.locator(".fila-espera")).to_have_text("Espera menos de 1 min")
        expect(row.locator(".fila-asignado")).to_have_text("Sin asignar")
        expect(row.locator(".fila-hora")).not_to_be_empty()
        expect(count(agent, "sin_asignar")).to_have_text("2")
        expect(count(agent, "mias")).to_have_text("0")

    # admin takes ana's: both pages see the owner at once
    expect(admin.page.locator("#asignacion")).to_be_hidden()  # no conversation open yet
    admin.open("ana")
    expect(admin.page.locator("#asignado-a")).to_have_text("Sin asignar")
    admin.page.locator("#tomar").click()
    expect(admin.page.locator("#asignado-a")).to_have_text("Asignada a ti")
    expect(admin.page.locator("#tomar")).to_be_hidden()
    expect(admin.user_item("ana").locator(".fila-asignado")).to_have_text("Mía")
    expect(agente2.user_item("ana").locator(".fila-asignado")).to_have_text("Admin")
    expect(count(admin, "mias")).to_have_text("1")
    expect(count(agente2, "sin_asignar")).to_have_text("1")
    admin.screenshot("inbox-asignacion-tomada")

    # agente2 gives bob's to admin from the menu; admin's view "Mías" holds both
    agente2.open("bob")
    agente2.page.locator("#asignar-a").select_option("admin")
    expect(agente2.page.locator("#asignado-a")).to_have_text("Asignada a Admin")
    view_tab(admin, "mias").click()
    expect(admin.user_item("ana")).to_be_visible()
    expect(admin.user_item("bob")).to_be_visible()
    expect(count(admin, "mias")).to_have_text("2")
    view_tab(agente2, "mias").click()
    expect(agente2.user_item("ana")).to_be_hidden()
    expect(agente2.page.locator("#filtro-vacio")).to_have_text("No tienes conversaciones en esta pestaña.")
    view_tab(agente2, "todas").click()

    # longest waiting first; admin's reply ends ana's wait on both pages, and she goes down
    agente2.page.locator("#orden-lista").select_option("espera")
    wait_until(lambda: agente2.user_order()[:2] == ["ana", "bob"], what="longest waiting first")
    admin.send("Te envío un enlace para cambiar la contraseña")
    for agent in (admin, agente2):
        expect(agent.user_item("ana").locator(".fila-espera")).to_be_hidden()
    expect(agente2.user_item("ana").locator(".fila-ultimo")).to_have_text(
        "Admin: Te envío un enlace para cambiar la contraseña")
    expect(admin.user_item("ana").locator(".fila-ultimo")).to_have_text(
        re.compile(r"^Tú: Te envío un enlace"))
    wait_until(lambda: agente2.user_order()[:2] == ["bob", "ana"], what="bob waits longest now")
    agente2.screenshot("inbox-triaje-espera")

    # what the pages show is what the server keeps: after a reload, the same rows
    agente2.reload()
    expect(agente2.user_item("bob").locator(".fila-asignado")).to_have_text("Admin")
    expect(agente2.user_item("bob").locator(".fila-espera")).to_be_visible()
    expect(agente2.user_item("ana").locator(".fila-espera")).to_be_hidden()

    # giving it back to the pool
    admin.open("ana")
    admin.page.locator("#asignar-a").select_option("")
    expect(admin.page.locator("#asignado-a")).to_have_text("Sin asignar")
    expect(agente2.user_item("ana").locator(".fila-asignado")).to_have_text("Sin asignar")
    expect(count(agente2, "sin_asignar")).to_have_text("1")


def test_a_taker_who_was_too_late_is_told_and_sees_the_owner(app, open_chat):
    """The page's view is stale (the owner changed where no event told it): the take is refused."""
    agente2 = open_chat("agente2")
    open_chat("ana").send("Hola")
    agente2.open("ana")
    expect(agente2.page.locator("#asignado-a")).to_have_text("Sin asignar")
    wait_until(lambda: stored(app, conversacion="ana"), what="ana's message stored")
    with app.app_context():  # as if admin took it on a process whose event never arrived
        db.session.execute(update(Conversacion).where(Conversacion.usuario == "ana").values(asignado="admin"))
        db.session.commit()
    agente2.page.locator("#tomar").click()
    expect(agente2.page.locator("#asignar-error")).to_have_text("La conversación ya está asignada a otro agente")
    expect(agente2.page.locator("#asignado-a")).to_have_text("Asignada a Admin")
    expect(agente2.user_item("ana").locator(".fila-asignado")).to_have_text("Admin")
    agente2.screenshot("inbox-asignacion-rechazada")


def test_labels_show_in_the_rows_and_filter_the_list(app, open_chat):
    """A label put on in the conversation's header shows in every agent's row; the filter keeps only those."""
    admin, agente2 = open_chat("admin"), open_chat("agente2")
    open_chat("ana").send("Es urgente")
    open_chat("bob").send("Una pregunta")
    status, _ = agente2.page.evaluate("""async (csrf) => {
        const r = await fetch('/api/etiquetas', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': csrf}, body: JSON.stringify({nombre: 'Urgente', color: '#c62828'})});
        return [r.status, await r.text()];
    }""", agente2.page.locator('meta[name="csrf-token"]').get_attribute("content"))
    assert status == 201
    admin.open("ana")
    admin.page.locator("#etiqueta-elegir").select_option(label="Urgente")
    admin.page.locator("#etiqueta-poner").click()
    for agent in (admin, agente2):
        expect(agent.user_item("ana").locator(".fila-etiquetas")).to_have_text("Urgente")
        expect(agent.user_item("bob").locator(".fila-etiquetas")).to_be_hidden()
    agente2.page.locator("#filtro-etiqueta").select_option(label="Urgente")
    expect(agente2.user_item("ana")).to_be_visible()
    expect(agente2.user_item("bob")).to_be_hidden()
    agente2.screenshot("inbox-filtro-etiqueta")
    agente2.page.locator("#filtro-etiqueta").select_option("")
    expect(agente2.user_item("bob")).to_be_visible()
    agente2.reload()  # the rows' labels come with the list
    expect(agente2.user_item("ana").locator(".fila-etiquetas")).to_have_text("Urgente")

