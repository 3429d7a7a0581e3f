"""Agent management (issue #13, item 7): the CLI's supervisors, the team page and its forms, one-time
links, roles, deactivation, password resets and the audit log, with the test clients.

Real servers and sockets across processes are in test_team_live.py; the browser in
tests/browser/test_team.py.
"""
import hashlib
import re
from datetime import timedelta

import pytest

from conftest import CSRF_FIELD, PASSWORD, account, login
from soporte.audit import ACTIONS, audit
from soporte.extensions import db, socketio
from soporte.models import Auditoria, Invitacion, Usuario, utc_now

LINK = re.compile(r'value="(http://localhost/invitacion/([^"]+))"')
NEW_PASSWORD = "clave-nueva-de-agente"


# --- helpers ----------------------------------------------------------------------------------

def set_account(app, username, **values):
    """Change an account's columns directly (the test's setup)."""
    with app.app_context():
        db.session.execute(db.update(Usuario).where(Usuario.usuario == username).values(**values))
        db.session.commit()
        app.extensions["soporte.directory"].forget(username)


@pytest.fixture
def supervisor(app, as_user):
    """admin made a supervisor, logged in."""
    set_account(app, "admin", supervisor=True)
    return as_user("admin")


def csrf_of(client, path="/equipo"):
    """The CSRF token on a page the client can see."""
    return CSRF_FIELD.search(client.get(path).get_data(as_text=True)).group(1)


def post(client, path, data=None, page="/equipo", **kwargs):
    """POST a form with the page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_of(client, page), **(data or {})}, **kwargs)


def invite(client, usuario="carla", nombre="Carla Pérez", supervisor=False):
    """Invite an agent through the form; (response, link URL, token) with None for no link."""
    data = {"usuario": usuario, "nombre": nombre}
    if supervisor:
        data["supervisor"] = "y"
    response = post(client, "/equipo/invitar", data)
    found = LINK.search(response.get_data(as_text=True))
    return response, *(found.groups() if found else (None, None))


def entries(app, **filters):
    """The audit entries (accion, actor, objetivo), oldest first."""
    with app.app_context():
        rows = db.session.scalars(db.select(Auditoria).filter_by(**filters).order_by(Auditoria.id)).all()
        return [(r.accion, r.actor, r.objetivo) for r in rows]


def use_link(client, token, password=NEW_PASSWORD, password2=None):
    """Set a password through the link's page (its form's CSRF token)."""
    page = client.get(f"/invitacion/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    csrf = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    return client.post(f"/invitacion/{token}", data={
        "csrf_token": csrf, "password": password, "password2": password if password2 is None else password2})


# --- the CLI ----------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def english_operator(monkeypatch):
    """The CLI speaks the operator's locale: these tests read its English."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_first_agent_created_by_the_cli_supervises_and_the_next_does_not(app, runner):
    """No active supervisor (the fixture's agents are plain agents): the first agent created becomes
    one; the next agent does not; a customer never does."""
    result = runner.invoke(args=["create-user", "jefa", "--admin", "--password", "clave-de-jefa"])
    assert result.exit_code == 0, result.output
    assert "jefa is a supervisor" in result.output
    assert account(app, "jefa").supervisor is True
    runner.invoke(args=["create-user", "raso", "--admin", "--password", "clave-de-raso"])
    runner.invoke(args=["create-user", "carla", "--password", "clave-de-carla"])
    assert account(app, "raso").supervisor is False and account(app, "carla").supervisor is False
    assert entries(app) == [("crear_cuenta", None, "jefa"), ("crear_cuenta", None, "raso")]


def test_a_deactivated_supervisor_does_not_count(app, runner):
    """The only supervisor is deactivated: the next agent created supervises."""
    set_account(app, "admin", supervisor=True, activo=False)
    runner.invoke(args=["create-user", "nueva", "--admin", "--password", "clave-de-nueva"])
    assert account(app, "nueva").supervisor is True


def test_cli_supervisor_flags(app, runner):
    """--no-supervisor on the first agent; --update --supervisor / --no-supervisor; a customer cannot be
    one; --no-admin takes it away; each role change is in the audit log as the command line's."""
    result = runner.invoke(args=["create-user", "jefa", "--admin", "--no-supervisor", "--password", "clave-de-jefa"])
    assert result.exit_code == 0 and account(app, "jefa").supervisor is False
    result = runner.invoke(args=["create-user", "agente2", "--update", "--supervisor"])
    assert result.exit_code == 0, result.output
    assert "agente2 is a supervisor" in result.output and account(app, "agente2").supervisor is True
    assert runner.invoke(args=["create-user", "agente2", "--update", "--no-supervisor"]).exit_code == 0
    assert account(app, "agente2").supervisor is False
    refused = runner.invoke(args=["create-user", "ana", "--update", "--supervisor"])
    assert refused.exit_code != 0 and "Only an agent can be a supervisor" in refused.output
    refused = runner.invoke(args=["create-user", "carla", "--supervisor", "--password", "clave-de-carla"])
    assert refused.exit_code != 0 and account(app, "carla") is None
    runner.invoke(args=["create-user", "agente2", "--update", "--supervisor"])
    assert runner.invoke(args=["create-user", "agente2", "--update", "--no-admin"]).exit_code == 0
    assert (account(app, "agente2").rol, account(app, "agente2").supervisor) == ("user", False)
    assert [e for e in entries(app) if e[0] == "rol"] == [("rol", None, "agente2")] * 4
    nothing = runner.invoke(args=["create-user", "agente2", "--update"])
    assert nothing.exit_code != 0 and "--supervisor" in nothing.output


# --- who may see the pages --------------------------------------------------------------------

def test_team_page_lists_agents_for_a_supervisor(app, supervisor):
    """Names, usernames, roles and states of every agent; no customer."""
    set_account(app, "agente2", nombre="Beatriz Gómez")
    page = supervisor.get("/equipo")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Beatriz Gómez" in text and "agente2" in text and "Supervisor" in text
    assert 'data-usuario="ana"' not in text and 'data-usuario="bob"' not in text
    assert "Desconectado" in text


@pytest.mark.parametrize("path", ["/equipo", "/equipo/auditoria"])
def test_pages_refuse_agents_customers_and_strangers(app, as_user, client, path):
    """An agent who is not a supervisor and a customer get 403 (saying who the page is for);
    no login goes to the login page."""
    for name in ("agente2", "ana"):
        response = as_user(name).get(path)
        assert response.status_code == 403
        if name == "agente2":
            assert "solo para supervisores" in response.get_data(as_text=True)
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_chat_header_links_the_team_page_for_supervisors_only(app, supervisor, as_user):
    assert 'id="enlace-equipo"' in supervisor.get("/soporte").get_data(as_text=True)
    assert 'id="enlace-equipo"' not in as_user("agente2").get("/soporte").get_data(as_text=True)
    assert 'id="enlace-equipo"' not in as_user("ana").get("/soporte").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/equipo/invitar", "/equipo/agente2/rol", "/equipo/agente2/desactivar",
                                  "/equipo/agente2/restablecer"])
def test_forms_without_csrf_are_refused(app, supervisor, path):
    """A POST without the CSRF token changes nothing (400)."""
    response = supervisor.post(path, data={"usuario": "carla", "nombre": "Carla", "supervisor": "1"})
    assert response.status_code == 400
    assert account(app, "carla") is None
    agente2 = account(app, "agente2")
    assert agente2.activo and not agente2.supervisor and agente2.check_password(PASSWORD)
    assert entries(app) == []


def test_forms_refuse_agents_who_do_not_supervise(app, as_user):
    """An agent with a valid CSRF token still cannot change the team."""
    agent = as_user("agente2")
    csrf = CSRF_FIELD.search(agent.get("/soporte").get_data(as_text=True)).group(1)
    response = agent.post("/equipo/admin/desactivar", data={"csrf_token": csrf})
    assert response.status_code == 403 and account(app, "admin").activo


# --- invitations ------------------------------------------------------------------------------

def test_invitation_lifecycle(app, supervisor, client):
    """Invite: the account exists but cannot log in; the link (kept only as a hash) sets a password
    once and logs the agent in; the link then says it was used; the audit log has both."""
    response, url, token = invite(supervisor)
    assert response.status_code == 200 and url, response.get_data(as_text=True)
    carla = account(app, "carla")
    assert (carla.rol, carla.nombre, carla.activo, carla.supervisor) == ("admin", "Carla Pérez", True, False)
    with app.app_context():
        stored = db.session.scalars(db.select(Invitacion)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
        assert timedelta(hours=71) < stored.expira_en - utc_now() <= timedelta(hours=72)
    assert "Invitación pendiente" in supervisor.get("/equipo").get_data(as_text=True)

    page = client.get(f"/invitacion/{token}")
    assert page.status_code == 200 and "Carla Pérez" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    response = use_link(client, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/soporte")
    assert client.get("/soporte").status_code == 200  # logged in by the link
    assert login(app.test_client(), "carla", NEW_PASSWORD).status_code == 302

    again = app.test_client().get(f"/invitacion/{token}")
    assert again.status_code == 410 and "ya se ha usado" in again.get_data(as_text=True)
    assert entries(app) == [("invitar", "admin", "carla"), ("invitacion_usada", "carla", "carla")]
    assert "Invitación pendiente" not in supervisor.get("/equipo").get_data(as_text=True)


def test_invited_agent_cannot_log_in_before_using_the_link(app, supervisor):
    invite(supervisor)
    assert login(app.test_client(), "carla", "").status_code == 401
    assert login(app.test_client(), "carla", PASSWORD).status_code == 401


def test_a_used_link_cannot_be_posted_again(app, supervisor):
    """Two tabs with the form: the second POST finds the link used and sets nothing."""
    _, _, token = invite(supervisor)
    first, second = app.test_client(), app.test_client()
    csrf = [CSRF_FIELD.search(c.get(f"/invitacion/{token}").get_data(as_text=True)).group(1) for c in (first, second)]
    data = {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert first.post(f"/invitacion/{token}", data={**data, "csrf_token": csrf[0]}).status_code == 302
    late = second.post(f"/invitacion/{token}", data={"csrf_token": csrf[1], "password": "otra-clave-larga",
                                                      "password2": "otra-clave-larga"})
    assert late.status_code == 410
    assert account(app, "carla").check_password(NEW_PASSWORD)


def test_expired_and_unknown_links(app, supervisor, client):
    """An expired link and a wrong or hostile token show a clear page, and set nothing."""
    _, _, token = invite(supervisor)
    with app.app_context():
        db.session.execute(db.update(Invitacion).values(expira_en=utc_now() - timedelta(seconds=1)))
        db.session.commit()
    response = client.get(f"/invitacion/{token}")
    assert response.status_code == 410 and "ha caducado" in response.get_data(as_text=True)
    assert client.post(f"/invitacion/{token}", data={"password": NEW_PASSWORD}).status_code in (400, 410)
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "'\"><script>alert(1)<script>", "a" * 500):
        response = client.get(f"/invitacion/{wrong}")
        assert response.status_code == 404, wrong
        assert "no es válido" in response.get_data(as_text=True) and "<script>alert" not in response.get_data(as_text=True)
    assert not account(app, "carla").check_password(NEW_PASSWORD)


def test_link_page_checks_the_password(app, supervisor, client):
    """Too short, or not the same twice: 400 with the reason; the link still works afterwards."""
    _, _, token = invite(supervisor)
    short = use_link(client, token, "corta", "corta")
    assert short.status_code == 400 and "al menos 8" in short.get_data(as_text=True)
    differ = use_link(client, token, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert differ.status_code == 400 and "no coinciden" in differ.get_data(as_text=True)
    no_csrf = client.post(f"/invitacion/{token}", data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert no_csrf.status_code == 400
    assert use_link(client, token).status_code == 302


def test_invitation_form_validation(app, supervisor):
    """Malformed, taken, reserved and look-alike usernames, and empty names, are refused with the reason;
    a hostile display name is stored as typed and shown escaped."""
    cases = [("a b", "Nombre", "de 3 a 64"), ("agente2", "Otro", "ya existe"), ("Agente2", "Otro", "ya existe"),
             ("soporte", "Otro", "ya existe"), ("carla", "   ", "Nombre visible"), ("", "Carla", "Usuario")]
    for usuario, nombre, expected in cases:
        response, url, _ = invite(supervisor, usuario, nombre)
        assert response.status_code == 400 and url is None, usuario
        assert expected in response.get_data(as_text=True), (usuario, expected)
    response, url, _ = invite(supervisor, "carla", '<img src=x onerror=alert(1)>')
    assert url and account(app, "carla").nombre == '<img src=x onerror=alert(1)>'
    assert "<img src=x" not in supervisor.get("/equipo").get_data(as_text=True)


def test_invited_supervisor(app, supervisor, client):
    """Invited as a supervisor, the agent sees the team page once the password is set."""
    _, _, token = invite(supervisor, "jefa", "Jefa", supervisor=True)
    assert account(app, "jefa").supervisor is True
    use_link(client, token)
    assert client.get("/equipo").status_code == 200


def test_link_page_is_rate_limited(app, supervisor):
    app.config["INVITATION_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    codes = [client.get("/invitacion/nada").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


# --- roles and the last supervisor ------------------------------------------------------------

def test_role_changes_are_applied_and_audited(app, supervisor, as_user):
    response = post(supervisor, "/equipo/agente2/rol", {"supervisor": "1"}, follow_redirects=True)
    assert response.status_code == 200 and "Agente2 es ahora supervisor" in response.get_data(as_text=True)
    assert account(app, "agente2").supervisor is True
    assert as_user("agente2").get("/equipo").status_code == 200
    post(supervisor, "/equipo/agente2/rol", {"supervisor": "0"})
    assert account(app, "agente2").supervisor is False
    bad = post(supervisor, "/equipo/agente2/rol", {"supervisor": "2"}, follow_redirects=True)
    assert "Elige un rol" in bad.get_data(as_text=True)
    for name in ("ana", "nadie"):  # a customer or no account is no agent to change
        page = post(supervisor, f"/equipo/{name}/rol", {"supervisor": "1"}, follow_redirects=True)
        assert f"No hay ningún agente «{name}»" in page.get_data(as_text=True)
    hostile = post(supervisor, "/equipo/<img src=x onerror=alert(1)>/desactivar", follow_redirects=True)
    text = hostile.get_data(as_text=True)
    assert hostile.status_code == 200 and "&lt;img src=x onerror=alert(1)&gt;" in text and "<img src=x" not in text
    assert account(app, "ana").supervisor is False
    with app.app_context():
        details = [r.detalle for r in db.session.scalars(db.select(Auditoria).order_by(Auditoria.id))]
    assert details == ['{"a": "supervisor", "de": "agente"}', '{"a": "agente", "de": "supervisor"}']


def test_last_active_supervisor_cannot_demote_or_deactivate_themself(app, supervisor):
    for path, data in (("/equipo/admin/rol", {"supervisor": "0"}), ("/equipo/admin/desactivar", {})):
        page = post(supervisor, path, data, follow_redirects=True).get_data(as_text=True)
        assert "último supervisor activo" in page
    admin = account(app, "admin")
    assert admin.supervisor and admin.activo and entries(app) == []
    # with another active supervisor, they may step down
    post(supervisor, "/equipo/agente2/rol", {"supervisor": "1"})
    post(supervisor, "/equipo/admin/rol", {"supervisor": "0"})
    assert account(app, "admin").supervisor is False
    assert supervisor.get("/equipo").status_code == 403  # at once: no longer a supervisor


def test_a_deactivated_supervisor_is_not_the_other_supervisor(app, supervisor):
    set_account(app, "agente2", supervisor=True, activo=False)
    page = post(supervisor, "/equipo/admin/desactivar", follow_redirects=True).get_data(as_text=True)
    assert "último supervisor activo" in page and account(app, "admin").activo


# --- deactivation -----------------------------------------------------------------------------

def test_deactivation_closes_sockets_refuses_login_and_the_old_token(app, supervisor, as_user, sock):
    """The agent's socket is told why and disconnected at once; login says the account is deactivated;
    the old token opens neither the API nor a socket; reactivated, the password works again but
    the old token stays dead."""
    browser = as_user("agente2")
    token = browser.get_cookie("token").value
    tab = sock("agente2", client=browser)
    other = sock("bob")
    response = post(supervisor, "/equipo/agente2/desactivar", follow_redirects=True)
    assert "Agente2 está desactivado" in response.get_data(as_text=True)
    received = tab.get_received() if tab.is_connected() else None
    assert not tab.is_connected()
    assert other.is_connected()
    assert received is None or {"name": "sesion_terminada", "args": [{"motivo": "desactivada"}],
                                "namespace": "/"} in received
    assert browser.get("/api/mensajes/mios").status_code == 401
    assert not socketio.test_client(app, auth={"token": token}).is_connected()
    refused = login(app.test_client(), "agente2")
    assert refused.status_code == 403 and "desactivada" in refused.get_data(as_text=True)
    assert login(app.test_client(), "agente2", "mala-clave").status_code == 401  # no hint without the password
    assert "Desactivado" in supervisor.get("/equipo").get_data(as_text=True)

    post(supervisor, "/equipo/agente2/reactivar")
    assert login(app.test_client(), "agente2").status_code == 302
    browser.set_cookie("token", token)
    assert browser.get("/api/mensajes/mios").status_code == 401
    assert entries(app) == [("desactivar", "admin", "agente2"), ("reactivar", "admin", "agente2")]


def test_deactivation_tells_the_socket_why(app, supervisor, cookie_client):
    """sesion_terminada {"motivo": "desactivada"} comes before the disconnect."""
    client = cookie_client("agente2")
    tab = socketio.test_client(app, flask_test_client=client)
    seen = []
    original = socketio.server.disconnect

    def spy(sid, *args, **kwargs):
        seen.extend(tab.get_received())
        return original(sid, *args, **kwargs)

    socketio.server.disconnect = spy
    try:
        post(supervisor, "/equipo/agente2/desactivar")
    finally:
        socketio.server.disconnect = original
    assert {"name": "sesion_terminada", "args": [{"motivo": "desactivada"}], "namespace": "/"} in seen
    assert not tab.is_connected()


def test_deactivation_returns_the_agents_open_conversations_to_the_pool(app, supervisor, connect):
    """Open ones go back to the pool, announced to the other agents; resolved ones keep their agent."""
    from sqlalchemy import update

    from soporte.models import Conversacion
    from test_api import add_messages
    from test_events import events

    add_messages(app, ("ana", "admin", "hola"), ("bob", "admin", "hola"))
    with app.app_context():
        db.session.execute(update(Conversacion).values(asignado="agente2"))
        db.session.execute(update(Conversacion).where(Conversacion.usuario == "bob").values(estado="resuelta"))
        db.session.commit()
    watcher = connect("admin")
    events(watcher)
    post(supervisor, "/equipo/agente2/desactivar")
    post(supervisor, "/equipo/agente2/desactivar")  # already deactivated: nothing happens again
    with app.app_context():
        owners = dict(db.session.execute(db.select(Conversacion.usuario, Conversacion.asignado)).all())
    assert owners == {"ana": None, "bob": "agente2"}
    assert [payload for name, payload in events(watcher) if name == "asignacion"] == [
        {"usuario": "ana", "asignado": None, "por": None, "anterior": "agente2"}]


def test_deactivation_retires_pending_links(app, supervisor, client):
    _, _, token = invite(supervisor)
    post(supervisor, "/equipo/carla/desactivar")
    assert client.get(f"/invitacion/{token}").status_code == 404


def test_inactive_accounts_resolve_to_no_role_on_other_processes_within_the_ttl(app, token_for):
    """Another process's directory cached the agent as an agent: within ROLE_CACHE_TTL it asks again."""
    from soporte.accounts.directory import Directory

    other = Directory()  # another process's cache
    with app.app_context():
        assert other.role_of("agente2", max_age=10) == "admin"
    set_account(app, "agente2", activo=False)
    with app.app_context():
        assert other.role_of("agente2", max_age=10) == "admin"  # cached, as before
        assert other.role_of("agente2", max_age=0) is None  # ROLE_CACHE_TTL passed: deactivated is no account
        assert other.role_of("ana", max_age=0) == "user"


# --- password resets --------------------------------------------------------------------------

def test_password_reset_ends_logins_and_gives_a_one_time_link(app, supervisor, as_user, sock):
    browser = as_user("agente2")
    tab = sock("agente2", client=browser)
    response = post(supervisor, "/equipo/agente2/restablecer")
    found = LINK.search(response.get_data(as_text=True))
    assert response.status_code == 200 and found
    assert not tab.is_connected()
    assert browser.get("/api/mensajes/mios").status_code == 401
    assert login(app.test_client(), "agente2").status_code == 401  # the old password is gone
    with app.app_context():
        assert db.session.scalars(db.select(Invitacion.tipo)).all() == ["restablecer"]
    client = app.test_client()
    assert use_link(client, found.group(2)).status_code == 302
    assert client.get("/api/mensajes/mios").status_code == 200
    assert login(app.test_client(), "agente2", NEW_PASSWORD).status_code == 302
    assert entries(app) == [("restablecer_contrasena", "admin", "agente2"),
                            ("contrasena_cambiada", "agente2", "agente2")]


def test_a_new_link_retires_the_previous_one(app, supervisor):
    _, _, first = invite(supervisor)
    second = LINK.search(post(supervisor, "/equipo/carla/restablecer").get_data(as_text=True)).group(2)
    assert app.test_client().get(f"/invitacion/{first}").status_code == 404
    assert app.test_client().get(f"/invitacion/{second}").status_code == 200


def test_reset_of_a_deactivated_agent_is_refused(app, supervisor):
    set_account(app, "agente2", activo=False)
    response = post(supervisor, "/equipo/agente2/restablecer")
    assert response.status_code == 400 and "reactívalo" in response.get_data(as_text=True)


# --- the audit log ----------------------------------------------------------------------------

def test_audit_function_and_its_codes(app):
    with app.app_context():
        audit("admin", "rol", "agente2", de="agente", a="supervisor")
        with pytest.raises(ValueError):
            audit("admin", "inventado", "agente2")
        db.session.commit()
        row = db.session.scalars(db.select(Auditoria)).one()
        assert (row.actor, row.accion, row.objetivo) == ("admin", "rol", "agente2") and row.cuando is not None
    assert set(ACTIONS) >= {"invitar", "rol", "desactivar", "reactivar", "restablecer_contrasena", "invitacion_usada"}


def test_audit_log_page_shows_words_newest_first_and_filters(app, supervisor):
    set_account(app, "agente2", nombre="Beatriz Gómez")
    invite(supervisor)
    post(supervisor, "/equipo/agente2/rol", {"supervisor": "1"})
    post(supervisor, "/equipo/agente2/desactivar")
    text = supervisor.get("/equipo/auditoria").get_data(as_text=True)
    order = [text.index(words) for words in ("Cuenta desactivada", "Cambio de rol", "Invitación enviada")]
    assert order == sorted(order)
    assert "Beatriz Gómez" in text and "agente → supervisor" in text
    only = supervisor.get("/equipo/auditoria?agente=carla").get_data(as_text=True)
    assert "Invitación enviada" in only and "Cambio de rol" not in only
    supervisor.set_cookie("idioma", "en")
    english = supervisor.get("/equipo/auditoria").get_data(as_text=True)
    assert "Account deactivated" in english and "Role changed" in english and "agent → supervisor" in english


def test_audit_log_pages(app, supervisor):
    with app.app_context():
        for i in range(55):
            audit("admin", "rol", f"agente{i}", de="agente", a="supervisor")
        db.session.commit()
    first = supervisor.get("/equipo/auditoria").get_data(as_text=True)
    assert first.count('data-accion="rol"') == 50 and "pagina=2" in first
    second = supervisor.get("/equipo/auditoria?pagina=2").get_data(as_text=True)
    assert second.count('data-accion="rol"') == 5 and "agente0" in second and "agente54" not in second
    for bad in ("0", "-1", "x", "99999999999"):
        assert supervisor.get(f"/equipo/auditoria?pagina={bad}").status_code == 200
