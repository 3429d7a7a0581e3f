"""The reports page in the browser: a supervisor reaches it from the chat's header, picks the days, reads the figures.

The history is tests/test_reports.py's, counted by hand there; the browser's time zone is
Europe/Madrid (pages.TIMEZONE), so the page asks for Madrid's days.
"""
import re

from playwright.sync_api import expect
from sqlalchemy import update

from conftest import password_hash
from soporte.extensions import db
from soporte.models import Usuario
from test_reports import HISTORY, seed

from .pages import PHONE, SCREENSHOTS

# what each row must show, from test_reports.EXPECTED_*: new, resolved, then first response and
# resolution (median, p90), as people say times
DAYS = {
    "2026-03-28": ["2", "2", "4 min", "3 h 5 min", "1 h 20 min", "13 h"],
    "2026-03-29": ["2", "2", "1 min", "40 min", "30 min", "2 h"],
    "2026-03-30": ["1", "1", "—sin datos", "—sin datos", "1 d", "1 d"],
}
AGENTS = {
    "admin": ["Admin", "2", "3", "1 min", "4 min", "1 h 20 min", "2 h"],
    "agente2": ["Agente2", "0", "2", "40 min", "3 h 5 min", "13 h", "1 d"],
    "": ["Sin agente", "3", "0", "—sin datos", "—sin datos", "—sin datos", "—sin datos"],
}
TOTAL = ["Total", "5", "5", "4 min", "3 h 5 min", "2 h", "1 d"]


def cells(row):
    return row.locator("th, td")


def seed_history(app):
    """The hand-counted history, and jefa: an agent who supervises the team."""
    with app.app_context():
        seed(HISTORY)
        jefa = Usuario(usuario="jefa", nombre="Jefa", rol="admin", supervisor=True)
        jefa.password_hash = password_hash()
        db.session.add(jefa)
        db.session.commit()


def pick(page, desde, hasta):
    page.locator("#inf-desde").fill(desde)
    page.locator("#inf-hasta").fill(hasta)
    page.locator('#inf-rango [type="submit"]').click()


def test_a_supervisor_reads_the_seeded_history_in_tables_and_charts(app, open_chat):
    seed_history(app)
    jefa = open_chat("jefa")
    page = jefa.page
    page.get_by_role("link", name="Informes").click()
    page.wait_for_url("**/informes")
    expect(page).to_have_title("Informes · Soporte")
    expect(page.locator("#inf-zona")).to_have_text("Los días son los de tu zona horaria: Europe/Madrid.")
    pick(page, "2026-03-28", "2026-03-30")
    expect(page).to_have_url(re.compile(r"/informes\?desde=2026-03-28&hasta=2026-03-30$"))  # a reload keeps them

    status = page.locator("#inf-estado")
    expect(status).to_have_text("Días del sáb, 28 mar 2026 al lun, 30 mar 2026, en la zona horaria Europe/Madrid.")
    for day, figures in DAYS.items():
        expect(cells(page.locator(f'#inf-dias tr[data-dia="{day}"]')).nth(0)).to_contain_text(day[-2:] + " mar 2026")
        expect(page.locator(f'#inf-dias tr[data-dia="{day}"] td')).to_have_text(figures)
    for agent, figures in AGENTS.items():
        expect(cells(page.locator(f'#inf-agentes tr[data-agente="{agent}"]'))).to_have_text(figures)
    expect(page.locator("#inf-agentes tr")).to_have_count(3)  # admin, agente2, nobody: in that order
    expect(page.locator("#inf-agentes tr th")).to_have_text(["Admin", "Agente2", "Sin agente"])
    expect(cells(page.locator("#inf-dias-total tr"))).to_have_text(TOTAL)
    expect(cells(page.locator("#inf-agentes-total tr"))).to_have_text(TOTAL)
    for name, text in (("abiertas", "5"), ("resueltas", "5"), ("pr-mediana", "4 min"), ("pr-p90", "3 h 5 min"),
                       ("res-mediana", "2 h"), ("res-p90", "1 d")):
        expect(page.locator(f"#inf-total-{name}")).to_have_text(text)

    # each chart is an image with its own words, the figures being in the tables
    expect(page.locator("#inf-grafico-dias")).to_have_attribute("role", "img")
    expect(page.locator("#inf-grafico-dias")).to_have_attribute(
        "aria-label", "Conversaciones por día, del sáb, 28 mar 2026 al lun, 30 mar 2026: 5 nuevas y 5 resueltas "
                      "en total. Cada día está en la tabla «Por día».")
    expect(page.locator("#inf-grafico-agentes")).to_have_attribute(
        "aria-label", "Resueltas por agente: Admin: 3, Agente2: 2.")
    expect(page.locator("#inf-grafico-resolucion")).to_have_attribute(
        "aria-label", "Tiempo de resolución por día: mediana 2 h y percentil 90 1 d en todo el intervalo "
                      "(5 conversaciones). Cada día está en la tabla «Por día».")
    for chart in ("dias", "agentes", "primera", "resolucion"):
        canvas = page.locator(f"#inf-grafico-{chart}")
        assert canvas.bounding_box()["height"] > 200  # drawn in its box, not collapsed
        assert page.evaluate("(id) => Chart.getChart(id) !== undefined", f"inf-grafico-{chart}")
        canvas.locator("xpath=ancestor::section[1]").screenshot(path=str(SCREENSHOTS / f"informes-grafico-{chart}.png"))
    jefa.screenshot("informes")

    # times as people say them, at each unit's edges (the page's own module, in Spanish)
    said = page.evaluate("""async (seconds) => {
        const { formatDuration } = await import("/static/js/durations.js");
        return seconds.map(formatDuration);
    }""", [0, 44.6, 59, 60, 89, 90, 3569, 3570, 4800, 86369, 86400, 2 * 86400 + 3 * 3600])
    assert said == ["0 s", "45 s", "59 s", "1 min", "1 min", "2 min", "59 min", "1 h", "1 h 20 min",
                    "23 h 59 min", "1 d", "2 d 3 h"]

    # the CSV of the same days, in the same zone
    csv_link = page.get_by_role("link", name="Descargar CSV")
    expect(csv_link).to_have_attribute(
        "href", "/api/informes?desde=2026-03-28&hasta=2026-03-30&zona=Europe%2FMadrid&formato=csv")
    with page.expect_download() as download:
        csv_link.click()
    assert download.value.suggested_filename == "informe-20260328-20260330.csv"
    lines = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
    assert lines[-1] == "total,,,,5,5,4,240,11100,5,7200,86400,0,,0,0,0,0,0"  # no ratings in those days


def test_the_report_in_english_and_a_range_the_server_refuses(app, open_chat, live_server):
    seed_history(app)
    jefa = open_chat("jefa")
    page = jefa.page
    page.context.add_cookies([{"name": "idioma", "value": "en", "url": live_server.url}])
    page.goto(live_server.url + "/informes?desde=2026-03-28&hasta=2026-03-30")
    expect(page.locator("#inf-estado")).to_have_text(
        "Days from Sat, 28 Mar 2026 to Mon, 30 Mar 2026, in the time zone Europe/Madrid.")
    expect(page.locator("#inf-agentes tr th")).to_have_text(["Admin", "Agente2", "No agent"])
    expect(page.locator('#inf-dias tr[data-dia="2026-03-28"] th')).to_have_text("Sat, 28 Mar 2026")
    expect(page.locator('#inf-dias tr[data-dia="2026-03-30"] td')).to_have_text(
        ["1", "1", "—no data", "—no data", "1 d", "1 d"])
    expect(page.get_by_role("columnheader", name="New").first).to_be_visible()
    jefa.screenshot("informes-en")

    pick(page, "2026-03-30", "2026-03-28")  # reversed: the server's refusal, in English
    expect(page.locator("#inf-estado")).to_have_text("The start date cannot be after the end date")
    expect(page.locator("#inf-resultado")).to_be_hidden()
    pick(page, "2025-01-01", "2026-03-28")
    expect(page.locator("#inf-estado")).to_have_text("The range cannot be longer than 366 days")
    pick(page, "2026-01-01", "2026-01-02")  # nothing happened then
    expect(page.locator("#inf-estado")).to_have_text(
        "Days from Thu, 1 Jan 2026 to Fri, 2 Jan 2026, in the time zone Europe/Madrid.")
    expect(page.locator("#inf-agentes td")).to_have_text("No conversations on these days.")
    expect(page.locator("#inf-grafico-agentes")).to_have_attribute(
        "aria-label", "No conversations resolved on these days.")
    jefa.screenshot("informes-vacio-en")


def test_an_agent_who_does_not_supervise_has_no_link_and_no_page(app, open_chat, live_server):
    seed_history(app)
    agent = open_chat("agente2")
    expect(agent.page.get_by_role("link", name="Operaciones")).to_be_visible()
    expect(agent.page.get_by_role("link", name="Informes")).to_have_count(0)
    response = agent.page.goto(live_server.url + "/informes")
    assert response.status == 403


def test_on_a_phone_the_page_fits_and_names_stay_text(app, open_chat, live_server):
    """A narrow screen scrolls the tables, not the page; an agent's display name is shown as typed, never run."""
    seed_history(app)
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "agente2")
                           .values(nombre='<img src=x onerror="alert(1)">'))
        db.session.commit()
    jefa = open_chat("jefa", viewport=PHONE)
    page = jefa.page
    page.goto(live_server.url + "/informes?desde=2026-03-28&hasta=2026-03-30")
    expect(page.locator('#inf-agentes tr[data-agente="agente2"] th')).to_have_text('<img src=x onerror="alert(1)">')
    expect(page.locator("#inf-agentes img")).to_have_count(0)
    jefa.screenshot("informes-movil")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((e) => !e.parentElement.closest('.table-responsive') && e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)""")
    sizes = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], (sizes, wide)
