"""Display names where a person reads them; usernames only where one is typed (and as ids).

A customer registered as "Carla Pérez" (username carla) and an agent whose display name is
"Lucía Gómez" (username agente2): each sees the other by display name on messages, typing,
the list, the header; the header's role is a word of the page's language. Also the HTML
error page a customer gets for /operaciones.
"""
from playwright.sync_api import expect

from soporte.extensions import db
from soporte.models import Usuario

from .pages import SCREENSHOTS

CARLA = "Carla Pérez"
LUCIA = "Lucía Gómez"


def rename(app, username, nombre):
    """Give an account a display name (before it logs in: the login token carries it)."""
    with app.app_context():
        db.session.execute(db.update(Usuario).filter_by(usuario=username).values(nombre=nombre))
        db.session.commit()


def test_customer_and_agent_see_each_other_by_display_name(app, open_chat):
    rename(app, "agente2", LUCIA)
    carla = open_chat("carla", register_as=CARLA)
    agent = open_chat("agente2")
    expect(carla.page.locator("header .quien")).to_have_text(f"Conectado como: {CARLA} (cliente)")
    expect(agent.page.locator("header .quien")).to_have_text(f"Conectado como: {LUCIA} (agente)")

    carla.send("Hola, necesito ayuda")
    item = agent.user_item("carla")  # the username stays the id
    expect(item.locator(".user-name")).to_have_text(CARLA)
    agent.open("carla", CARLA)
    expect(agent.message("Hola, necesito ayuda").locator(".msg-author")).to_have_text(CARLA)

    agent.page.locator("#mensaje").press_sequentially("un momento", delay=20)
    expect(carla.page.locator("#escribiendo")).to_have_text(f"{LUCIA} está escribiendo...")
    agent.page.get_by_role("button", name="Enviar").click()
    expect(carla.message("un momento").locator(".msg-author")).to_have_text(LUCIA)
    agent.screenshot("nombres-agente")
    carla.screenshot("nombres-cliente")

    # history (REST) says the same after a reload
    carla.reload()
    expect(carla.message("un momento").locator(".msg-author")).to_have_text(LUCIA)
    agent.reload()
    expect(agent.user_item("carla").locator(".user-name")).to_have_text(CARLA)
    agent.open("carla", CARLA)
    expect(agent.message("Hola, necesito ayuda").locator(".msg-author")).to_have_text(CARLA)


def test_the_role_is_translated_in_english(open_chat):
    ana = open_chat("ana")
    ana.page.get_by_role("button", name="English").click()
    expect(ana.page.locator("header .quien")).to_have_text("Logged in as: Ana (customer)")


def test_customer_on_operations_gets_the_error_page(open_chat):
    """/operaciones for a customer: the site's 403 page in the page's language, with the way back."""
    ana = open_chat("ana")
    response = ana.page.goto(ana.base_url + "/operaciones")
    assert response.status == 403
    expect(ana.page).to_have_title("Acceso denegado · Soporte")
    expect(ana.page.locator("main")).to_contain_text("Esta página es solo para agentes de soporte.")
    ana.page.screenshot(path=str(SCREENSHOTS / "error-403-es.png"), full_page=True)
    ana.page.get_by_role("button", name="English").click()
    expect(ana.page).to_have_title("Access denied · Support")
    ana.page.screenshot(path=str(SCREENSHOTS / "error-403-en.png"), full_page=True)
    ana.page.get_by_role("link", name="Back to the chat").click()
    ana.page.wait_for_url("**/soporte")


def test_agents_online_are_listed_by_display_name(app, open_chat):
    """The agents' line of colleagues online reads display names, not usernames."""
    rename(app, "agente2", LUCIA)
    lucia = open_chat("agente2")
    admin = open_chat("admin")
    with app.app_context():
        admin_name = db.session.execute(db.select(Usuario.nombre).filter_by(usuario="admin")).scalar_one()
    names = sorted([admin_name, LUCIA])
    expect(admin.page.locator(".agentes-en-linea")).to_have_text(f"Agentes en línea: {', '.join(names)}")
    expect(lucia.page.locator(".agentes-en-linea")).to_have_text(f"Agentes en línea: {', '.join(names)}")
    admin.screenshot("nombres-agentes-en-linea")
