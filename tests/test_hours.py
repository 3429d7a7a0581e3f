"""Business hours in the app: the supervisors' page (/horario), GET /api/horario/estado, and the assigner."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from conftest import CSRF_FIELD, login
from soporte.audit import detail_of
from soporte.extensions import db
from soporte.hours import storage
from soporte.models import Auditoria, Conversacion, Usuario, utc_now
from test_api import add_messages, get_json
from test_assignment import owners, sweep

DAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")


def supervise(app, username="admin"):
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == username).values(supervisor=True))
        db.session.commit()


@pytest.fixture
def supervisor(app):
    supervise(app)
    client = app.test_client()
    login(client, "admin")
    return client


def save(client, status=302, **fields):
    """POST the hours form with its CSRF token; every day closed unless given."""
    token = CSRF_FIELD.search(client.get("/horario").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "zona": "UTC", "festivos": "", **{d: "" for d in DAYS}, **fields}
    response = client.post("/horario", data=data)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def store_schedule(app, semana, zona="UTC", festivos=None):
    with app.app_context():
        storage.replace(semana, zona, festivos or {})
        db.session.commit()
        storage.forget()


def all_week(start, end):
    return {d: ((start, end),) for d in range(7)}


def test_a_supervisor_saves_hours_zone_and_holidays_audited(app, supervisor):
    save(supervisor, lunes="16:00-19:00, 09:00-14:00", viernes="09:00-15:00", zona="Europe/Madrid",
         festivos="2026-12-25 Navidad\n\n2027-01-06")
    page = supervisor.get("/horario").get_data(as_text=True)
    assert 'value="09:00-14:00, 16:00-19:00"' in page and 'value="Europe/Madrid"' in page
    assert "2026-12-25 Navidad\n2027-01-06" in page and "Horario guardado" in page
    with app.app_context():
        schedule = storage.load()
        assert schedule.zona.key == "Europe/Madrid" and schedule.semana == {0: ((540, 840), (960, 1140)),
                                                                           4: ((540, 900),)}
        assert schedule.festivos == {date(2026, 12, 25), date(2027, 1, 6)}
        (entry,) = db.session.scalars(select(Auditoria).where(Auditoria.accion == "horario")).all()
        assert entry.actor == "admin" and detail_of(entry) == {"zona": "Europe/Madrid", "intervalos": 3,
                                                              "festivos": 2}
    save(supervisor)  # every day empty: no hours, always open
    with app.app_context():
        assert storage.load().always_open


@pytest.mark.parametrize("fields, error", [
    ({"lunes": "9-14"}, "Lunes: escribe intervalos"),
    ({"martes": "10:00-12:00, 11:00-13:00"}, "Martes: escribe intervalos"),
    ({"zona": "../../etc/passwd"}, "Zona horaria: escribe una zona IANA"),
    ({"zona": "Mars/Olympus"}, "Zona horaria: escribe una zona IANA"),
    ({"festivos": "25/12/2026 Navidad"}, "Festivos, línea 1: empieza por una fecha"),
])
def test_bad_hours_are_refused_and_nothing_changes(app, supervisor, fields, error):
    save(supervisor, status=400, **fields)
    with app.app_context():
        assert storage.load().always_open
        assert db.session.scalar(select(Auditoria.id).where(Auditoria.accion == "horario")) is None
    assert error in save(supervisor, status=400, **fields).get_data(as_text=True)


def test_only_supervisors_and_only_with_csrf(app, cookie_client, supervisor):
    assert cookie_client("agente2").get("/horario").status_code == 403
    assert cookie_client("ana").get("/horario").status_code == 403
    assert app.test_client().get("/horario").status_code == 302  # to the login page
    response = supervisor.post("/horario", data={"zona": "UTC", "lunes": "09:00-10:00"})
    assert response.status_code == 400
    with app.app_context():
        assert storage.load().always_open


def test_the_status_with_no_hours_is_open(app, cookie_client):
    body = get_json(cookie_client("ana"), "/api/horario/estado")
    assert body == {"abierto": True, "siempre_abierto": True, "proxima_apertura": None, "proximo_cierre": None,
                    "zona": "UTC", "agentes_en_linea": False}
    assert app.test_client().get("/api/horario/estado").status_code == 401


def test_the_status_outside_hours_names_the_next_opening_in_utc(app, cookie_client, connect):
    """Closed all day today and tomorrow (holidays), open 09:00-10:00 Madrid every day: it opens the day after."""
    madrid = ZoneInfo("Europe/Madrid")
    today = datetime.now(madrid).date()
    store_schedule(app, all_week(540, 600), "Europe/Madrid",
                   {today: "hoy", today + timedelta(days=1): None})
    connect("admin")
    body = get_json(cookie_client("ana"), "/api/horario/estado")
    opening = datetime.combine(today + timedelta(days=2), datetime.min.time().replace(hour=9), madrid)
    assert body["abierto"] is False and body["siempre_abierto"] is False and body["zona"] == "Europe/Madrid"
    assert body["proxima_apertura"] == opening.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["proximo_cierre"] is None and body["agentes_en_linea"] is True


def test_the_status_while_open_names_the_closing(app, cookie_client):
    """Open round the clock in New York, but for a holiday in three days: it closes at that local midnight."""
    new_york = ZoneInfo("America/New_York")
    holiday = datetime.now(new_york).date() + timedelta(days=3)
    store_schedule(app, all_week(0, 1440), "America/New_York", {holiday: "cerrado"})
    body = get_json(cookie_client("ana"), "/api/horario/estado")
    closing = datetime.combine(holiday, datetime.min.time(), new_york).astimezone(timezone.utc)
    assert body["abierto"] is True and body["proxima_apertura"] is None
    assert body["proximo_cierre"] == closing.strftime("%Y-%m-%dT%H:%M:%SZ")


def closed_now(app):
    """Hours that exclude the present instant (open for one minute, twelve hours from now, in UTC)."""
    later = datetime.now(timezone.utc) + timedelta(hours=12)
    minute = later.hour * 60 + later.minute
    store_schedule(app, all_week(minute, minute + 1))


def test_the_assigner_gives_nothing_outside_hours(app, connect):
    app.config.update(AUTO_ASSIGN=True, AGENT_CAPACITY=5)
    add_messages(app, ("ana", "admin", "hola"))
    connect("admin")
    closed_now(app)
    sweep(app)
    assert owners(app) == {"ana": None}
    store_schedule(app, {})  # no hours: always open
    sweep(app)
    assert owners(app) == {"ana": "admin"}


def test_the_offline_release_counts_only_open_time(app, connect):
    """Away for two hours while support was closed: the assignee keeps the conversation; open hours release it."""
    app.config.update(OFFLINE_RELEASE_AFTER=60)
    add_messages(app, ("ana", "admin", "hola"))
    with app.app_context():
        db.session.execute(update(Conversacion).where(Conversacion.usuario == "ana").values(asignado="agente2"))
        db.session.execute(update(Usuario).where(Usuario.usuario == "agente2")
                           .values(ausente_desde=utc_now() - timedelta(hours=2)))
        db.session.commit()
    connect("admin")
    closed_now(app)
    sweep(app)
    assert owners(app) == {"ana": "agente2"}  # overnight: two hours away, none of them open
    store_schedule(app, {})
    sweep(app)
    assert owners(app) == {"ana": None}
