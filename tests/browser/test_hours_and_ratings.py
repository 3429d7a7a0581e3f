"""Business hours and satisfaction in Chromium: the customer's notice outside and inside hours, the
supervisors' hours page, and the rating prompt after a resolution (live, after a reload, seen by the agent)."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from soporte.extensions import db
from soporte.hours import storage
from soporte.models import Usuario, Valoracion

from .pages import stored, wait_until

WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture
def open_two_days_from_now(app):
    """Hours only on the weekday two days from now (Madrid), 09:00-18:00: closed today, opening that day at 9:00.

    Stored before the server starts (a fixture before open_chat): a process reads the hours at most every 10 s.
    """
    day = datetime.now(ZoneInfo("Europe/Madrid")).date() + timedelta(days=2)
    with app.app_context():
        storage.replace({day.weekday(): ((540, 1080),)}, "Europe/Madrid", {})
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin").values(supervisor=True))
        db.session.commit()
    return day.weekday()


@pytest.mark.slow
def test_hours_notice_hours_page_and_rating_prompt(app, open_two_days_from_now, open_chat):
    weekday = WEEKDAYS_ES[open_two_days_from_now]
    admin = open_chat("admin")
    ana = open_chat("ana")
    notice = ana.page.locator("#horario-aviso")
    expect(notice).to_have_text(f"Volvemos el {weekday} a las 9:00. Te enviaremos la respuesta por email.")
    expect(notice).to_have_attribute("data-abierto", "false")
    ana.screenshot("horario-fuera-de-horas")

    # the supervisor opens the hours page from the chat's header and opens support all week
    admin.page.get_by_role("link", name="Horario", exact=True).click()
    admin.page.wait_for_url("**/horario")
    page = admin.page
    expect(page.get_by_label("Zona horaria")).to_have_value("Europe/Madrid")
    page.get_by_label("Festivos").fill("2026-12-25 Navidad\n2027-01-01 Año nuevo")
    admin.screenshot("horario-pagina")
    for day in ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo"):
        page.get_by_label(day, exact=True).fill("00:00-24:00")
    page.get_by_label("Zona horaria").fill("Mars/Olympus")
    page.get_by_role("button", name="Guardar horario").click()
    expect(page.locator("#horario-error")).to_have_text("Zona horaria: escribe una zona IANA, como Europe/Madrid")
    page.get_by_label("Zona horaria").fill("America/New_York")
    page.get_by_role("button", name="Guardar horario").click()
    expect(page.get_by_role("status")).to_have_text("Horario guardado")
    ana.reload()  # open now, but the only agent is on the hours page (no socket): nobody online
    expect(notice).to_have_text("Ahora no hay nadie conectado: te responderemos en cuanto podamos, también por email.")
    expect(notice).to_have_attribute("data-abierto", "true")
    page.goto(admin.base_url + "/soporte")
    admin.expect_connected()
    expect(notice).to_have_text("Solemos responder en unos minutos")  # live, as the agent comes online
    ana.screenshot("horario-abierto")

    # a resolution asks the customer to rate it; a reload asks again; the agent sees the rating live
    ana.send("¿Me ayudáis con la factura?")
    wait_until(lambda: stored(app, de_usuario="ana"), what="ana's message stored (its cycle opens then)")
    admin.open("ana")
    admin.page.locator("#cambiar-estado").click()
    expect(admin.page.locator("#cambiar-estado")).to_have_text("Reabrir")
    prompt = ana.page.locator("#valoracion")
    expect(prompt).to_be_visible()
    ana.reload()
    expect(prompt).to_be_visible()
    ana.page.locator('label[for="puntuacion-4"]').click()
    ana.page.get_by_label("Comentario (opcional)").fill("Rápidos y amables")
    ana.screenshot("valoracion-pedida")
    ana.page.get_by_role("button", name="Enviar valoración").click()
    expect(ana.page.locator("#valoracion-gracias")).to_have_text("¡Gracias por tu valoración!")
    expect(prompt).to_be_hidden()
    rating = admin.page.locator("#cliente-valoraciones .valoracion-item")
    expect(rating).to_have_count(1)
    expect(rating).to_contain_text("★★★★☆")
    expect(rating).to_contain_text("Rápidos y amables")
    admin.screenshot("valoracion-agente")
    with app.app_context():
        assert wait_until(lambda: db.session.scalar(select(Valoracion.puntuacion)), what="the rating") == 4
    ana.reload()
    expect(prompt).to_be_hidden()  # rated: no prompt after a reload

    # closed again (only that weekday, from the form), and the customer reads it in English
    page.goto(admin.base_url + "/horario")
    for i, day in enumerate(("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo")):
        page.get_by_label(day, exact=True).fill("09:00-18:00" if i == open_two_days_from_now else "")
    page.get_by_label("Zona horaria").fill("Europe/Madrid")
    page.get_by_role("button", name="Guardar horario").click()
    expect(page.get_by_role("status")).to_have_text("Horario guardado")
    ana.page.get_by_role("button", name="English").click()
    expect(ana.page.locator("#estado")).to_have_attribute("data-state", "connected")
    expect(notice).to_have_text(re.compile(
        rf"^We are back on {WEEKDAYS_EN[open_two_days_from_now]} at 0?9:00\. We will send you the answer by email\.$"))
    ana.screenshot("horario-fuera-de-horas-english")
