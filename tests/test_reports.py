"""The supervisors' reports: every figure against values counted by hand, the route, the CSV, and the indexes.

The seeded history (HISTORY) is read in Europe/Madrid over 28-30 March 2026, the days
summer time starts (29 March, 02:00 local, 01:00 UTC: that day is 23 hours long). Madrid
is UTC+1 before and UTC+2 after. Local days in UTC:
  28 Mar = 27 Mar 23:00 .. 28 Mar 23:00    29 Mar = 28 Mar 23:00 .. 29 Mar 22:00
  30 Mar = 29 Mar 22:00 .. 30 Mar 22:00    31 Mar starts 30 Mar 22:00
"""
import csv
import io
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, text, update

from conftest import login, make_users
from soporte.extensions import db
from soporte.models import Ciclo, Usuario
from soporte.ops import reports
from soporte.ops.reports import BadRange, parse_range, percentile, summary
from soporte.protocol import AGENTS_ONLY, SUPERVISORS_ONLY

D = datetime  # naive UTC, as the table holds them
MADRID = {"desde": "2026-03-28", "hasta": "2026-03-30", "zona": "Europe/Madrid"}

# (name, abierta_en, primera_respuesta_en, primera_respuesta_por, resuelta_en, resuelta_por, asignado), all UTC
HISTORY = [
    # 00:30 local on the 28th (still the 27th in UTC); answered after 4 min, resolved after 1 h 20 min
    ("c1", D(2026, 3, 27, 23, 30), D(2026, 3, 27, 23, 34), "admin", D(2026, 3, 28, 0, 50), "admin", "admin"),
    # opened 23:30 local on the 28th; first reply 00:10 local on the 29th (40 min, agente2, nobody assigned);
    # resolved 00:30 local on the 30th, exactly 24 h after it opened
    ("c2", D(2026, 3, 28, 22, 30), D(2026, 3, 28, 23, 10), "agente2", D(2026, 3, 29, 22, 30), "agente2", None),
    # the 29th: agente2 answered (60 s) and resolved it (2 h), but it was admin's: admin's figures
    ("c3", D(2026, 3, 29, 10, 0), D(2026, 3, 29, 10, 1), "agente2", D(2026, 3, 29, 12, 0), "agente2", "admin"),
    # 23:30 local on the 30th, still open and unanswered
    ("c4", D(2026, 3, 30, 21, 30), None, None, None, None, None),
    # 00:15 local on the 31st: outside the range in Madrid (but the 30th in UTC)
    ("c5", D(2026, 3, 30, 22, 15), D(2026, 3, 30, 22, 20), "admin", None, None, None),
    # opened the 27th (21:00 local, outside), first reply 00:05 local on the 28th (3 h 5 min), resolved the 28th (13 h)
    ("c6", D(2026, 3, 27, 20, 0), D(2026, 3, 27, 23, 5), "agente2", D(2026, 3, 28, 9, 0), "agente2", "agente2"),
    # the 29th: resolved by admin after 30 min with no reply and nobody assigned
    ("c7", D(2026, 3, 29, 15, 0), None, None, D(2026, 3, 29, 15, 30), "admin", None),
]


def none():
    return {"n": 0, "mediana": None, "p90": None}


def times(n, mediana, p90):
    return {"n": n, "mediana": mediana, "p90": p90}


NO_RATINGS_CSV = ["0", "", "0", "0", "0", "0", "0"]  # valoracion_n, _media, _1 .. _5
NO_RATINGS = {"valoracion": {"n": 0, "media": None, "distribucion": [0, 0, 0, 0, 0]}}  # HISTORY has none


# counted by hand from HISTORY (see each cycle's comment)
EXPECTED_DAYS = [
    {"dia": "2026-03-28", "abiertas": 2, "resueltas": 2,  # opened c1 c2; resolved c1 c6; answered c1 c6
     "primera_respuesta": times(2, 240, 11100), "resolucion": times(2, 4800, 46800), **NO_RATINGS},
    {"dia": "2026-03-29", "abiertas": 2, "resueltas": 2,  # opened c3 c7; resolved c3 c7; answered c2 c3
     "primera_respuesta": times(2, 60, 2400), "resolucion": times(2, 1800, 7200), **NO_RATINGS},
    {"dia": "2026-03-30", "abiertas": 1, "resueltas": 1,  # opened c4; resolved c2; nobody answered
     "primera_respuesta": none(), "resolucion": times(1, 86400, 86400), **NO_RATINGS},
]
EXPECTED_AGENTS = [
    # asignado c1 c3; resolved c1 c3 c7 (1800, 4800, 7200); answered c1 c3 (60, 240)
    {"agente": "admin", "nombre": "Admin", "abiertas": 2, "resueltas": 3,
     "primera_respuesta": times(2, 60, 240), "resolucion": times(3, 4800, 7200), **NO_RATINGS},
    # resolved c6 c2 (46800, 86400); answered c2 c6 (2400, 11100)
    {"agente": "agente2", "nombre": "Agente2", "abiertas": 0, "resueltas": 2,
     "primera_respuesta": times(2, 2400, 11100), "resolucion": times(2, 46800, 86400), **NO_RATINGS},
    # nobody assigned: c2 c4 c7 opened
    {"agente": None, "nombre": None, "abiertas": 3, "resueltas": 0,
     "primera_respuesta": none(), "resolucion": none(), **NO_RATINGS},
]
# resolutions 1800 4800 7200 46800 86400: ranks 3 and 5; replies 60 240 2400 11100: ranks 2 and 4
EXPECTED_TOTAL = {"abiertas": 5, "resueltas": 5,
                  "primera_respuesta": times(4, 240, 11100), "resolucion": times(5, 7200, 86400), **NO_RATINGS}


def seed(cycles):
    """Insert Ciclo rows as given: (name, abierta, primera, primera_por, resuelta, resuelta_por, asignado)."""
    for i, (name, abierta, primera, primera_por, resuelta, resuelta_por, asignado) in enumerate(cycles):
        db.session.add(Ciclo(conversacion=name, abierto_id=i + 1, abierta_en=abierta,
                             primera_respuesta_en=primera, primera_respuesta_por=primera_por,
                             resuelta_en=resuelta, resuelta_por=resuelta_por, asignado=asignado))
    db.session.commit()


def make_supervisor(username):
    db.session.execute(update(Usuario).where(Usuario.usuario == username).values(supervisor=True))
    db.session.commit()


def report(desde, hasta, zona):
    return reports.figures(parse_range(desde, hasta, zona))


@pytest.fixture
def history(app):
    with app.app_context():
        seed(HISTORY)
        make_supervisor("admin")
    return app


# --- percentiles (nearest rank) ---

def test_nearest_rank_percentiles_of_one_two_and_ten_values():
    assert percentile([], 50) is None
    assert percentile([7], 50) == percentile([7], 90) == 7
    assert percentile([1, 2], 50) == 1  # rank ceil(0.5 * 2) = 1: the lower of the two, a real time
    assert percentile([1, 2], 90) == 2  # rank ceil(1.8) = 2
    ten = [10 * i for i in range(1, 11)]
    assert percentile(ten, 50) == 50  # rank 5
    assert percentile(ten, 90) == 90  # rank 9
    assert percentile(ten, 100) == 100 and percentile(ten, 1) == 10
    shuffled = ten[:]
    random.Random(13).shuffle(shuffled)
    assert summary(shuffled) == {"n": 10, "mediana": 50, "p90": 90}  # summary sorts first
    assert summary([0.4, 1.6]) == {"n": 2, "mediana": 0, "p90": 2}  # whole seconds, rounded
    assert summary([]) == none()


# --- figures, against the hand-counted history ---

def test_days_per_agent_and_total_in_madrid_across_midnight_and_summer_time(history):
    with history.app_context():
        body = report(**MADRID)
    assert body["desde"] == "2026-03-28" and body["hasta"] == "2026-03-30"
    assert body["zona"] == "Europe/Madrid" and body["percentil"] == "nearest-rank"
    assert body["dias"] == EXPECTED_DAYS
    assert body["agentes"] == EXPECTED_AGENTS
    assert body["total"] == EXPECTED_TOTAL


def test_the_same_history_in_utc_falls_on_other_days(history):
    """In UTC, c1 and c6 open on the 27th, and c1's and c6's first replies come that day too."""
    with history.app_context():
        body = report("2026-03-27", "2026-03-27", "UTC")
        default_zone = report("2026-03-27", "2026-03-27", None)
        madrid = report("2026-03-27", "2026-03-27", "Europe/Madrid")
    assert body["dias"] == [{"dia": "2026-03-27", "abiertas": 2, "resueltas": 0,
                             "primera_respuesta": times(2, 240, 11100), "resolucion": none(), **NO_RATINGS}]
    assert default_zone == body  # UTC unless the request names a zone
    # in Madrid only c6 opened on the 27th (21:00 local); nothing else happened that day
    assert madrid["dias"][0]["abiertas"] == 1 and madrid["total"]["primera_respuesta"]["n"] == 0


def test_a_day_far_west_of_utc(history):
    """America/Bogota (UTC-5, no summer time): c4 (21:30 UTC) and c5 (22:15 UTC) both open on the 30th there."""
    with history.app_context():
        body = report("2026-03-30", "2026-03-30", "America/Bogota")
    assert body["total"]["abiertas"] == 2
    assert body["total"]["primera_respuesta"] == times(1, 300, 300)  # c5, answered after 5 min
    assert body["total"]["resueltas"] == 0  # c2 was resolved at 17:30 on the 29th there


def test_an_empty_range_has_every_day_and_no_figures(history):
    with history.app_context():
        body = report("2026-01-01", "2026-01-03", "Europe/Madrid")
    assert [d["dia"] for d in body["dias"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert all(d["abiertas"] == d["resueltas"] == 0 and d["resolucion"] == none() for d in body["dias"])
    assert body["agentes"] == []
    assert body["total"] == {"abiertas": 0, "resueltas": 0, "primera_respuesta": none(), "resolucion": none(),
                             **NO_RATINGS}


def test_ten_resolutions_in_one_day(app):
    """Ten cycles resolved on one day after 1..10 minutes, seeded in a shuffled order: median 5 min, p90 9 min."""
    minutes = list(range(1, 11))
    random.Random(8).shuffle(minutes)
    opened = D(2026, 5, 4, 8, 0)
    with app.app_context():
        seed([(f"c{m}", opened, None, None, opened + timedelta(minutes=m), "agente2", None) for m in minutes])
        body = report("2026-05-04", "2026-05-04", "Europe/Madrid")
    assert body["dias"][0]["resolucion"] == times(10, 300, 540)
    assert body["agentes"][0]["agente"] == "agente2" and body["agentes"][0]["resueltas"] == 10


def test_a_reply_recorded_before_the_opening_counts_as_no_time(app):
    """Two processes' clocks may disagree by a little: a time is never negative."""
    with app.app_context():
        seed([("c", D(2026, 5, 4, 8, 0), D(2026, 5, 4, 7, 59, 59), "admin", None, None, None)])
        body = report("2026-05-04", "2026-05-04", "UTC")
    assert body["total"]["primera_respuesta"] == times(1, 0, 0)


def test_agents_are_named_by_display_name(app):
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "agente2").values(nombre="Beatriz Ruiz"))
        db.session.commit()
        seed([("c", D(2026, 5, 4, 8, 0), None, None, D(2026, 5, 4, 9, 0), "agente2", None)])
        body = report("2026-05-04", "2026-05-04", "UTC")
    assert body["agentes"][0]["nombre"] == "Beatriz Ruiz"


# --- the range and the zone ---

NOW = datetime(2026, 3, 30, 22, 30, tzinfo=timezone.utc)  # already the 31st in Madrid


def test_the_default_range_is_the_last_thirty_days_in_the_zone():
    rango = parse_range(None, None, "Europe/Madrid", now=NOW)
    assert (rango.desde.isoformat(), rango.hasta.isoformat()) == ("2026-03-02", "2026-03-31")
    assert parse_range("", "", "", now=NOW).hasta.isoformat() == "2026-03-30"  # UTC
    assert parse_range(None, "2026-01-10", None, now=NOW).desde.isoformat() == "2025-12-12"


def test_a_year_and_a_leap_day_is_the_longest_range():
    assert len(parse_range("2024-01-01", "2024-12-31", "UTC").days()) == 366
    with pytest.raises(BadRange, match="no puede pasar de 366 días"):
        parse_range("2024-01-01", "2025-01-01", "UTC")
    with pytest.raises(BadRange, match="no puede ser posterior"):
        parse_range("2026-03-02", "2026-03-01", "UTC")


@pytest.mark.parametrize("bad", ["2026-3-1", "2026-02-30", "hoy", "20260301", "2026-03-01T00:00",
                                 "0001-01-01", "9999-12-31", "２０２６-03-01", "2026-03-01 x"])
def test_bad_dates_are_refused(bad):
    with pytest.raises(BadRange, match="desde debe ser una fecha AAAA-MM-DD"):
        parse_range(bad, "2026-03-02", "UTC")


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "America", "../../etc/passwd", "/etc/localtime",
                                 "Europe/Madrid\x00", "Europe//Madrid", "x" * 65, "Europe/Madrid ; DROP"])
def test_bad_zones_are_refused(bad):
    with pytest.raises(BadRange, match="zona debe ser una zona horaria IANA"):
        parse_range("2026-03-01", "2026-03-02", bad)


@pytest.mark.parametrize("good", ["Europe/Madrid", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+3",
                                  " Atlantic/Canary "])
def test_iana_zones_are_accepted(good):
    assert parse_range("2026-03-01", "2026-03-02", good).zona.key == good.strip()


# --- the route ---

def test_a_supervisor_gets_the_report_as_json(history):
    client = history.test_client()
    login(client, "admin")
    response = client.get("/api/informes", query_string=MADRID)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["dias"], body["agentes"], body["total"]) == (EXPECTED_DAYS, EXPECTED_AGENTS, EXPECTED_TOTAL)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("who, status, error", [("agente2", 403, SUPERVISORS_ONLY), ("ana", 403, AGENTS_ONLY),
                                                (None, 401, "No autenticado")])
def test_only_supervisors_get_reports(history, who, status, error):
    client = history.test_client()
    if who:
        login(client, who)
    for path in ("/api/informes", "/api/informes?formato=csv"):
        response = client.get(path)
        assert response.status_code == status and response.get_json() == {"error": error}
    page = client.get("/informes")
    assert page.status_code == (302 if who is None else 403)


def test_a_supervisor_made_an_agent_again_is_refused_at_once(history):
    client = history.test_client()
    login(client, "admin")
    assert client.get("/api/informes").status_code == 200
    with history.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "admin").values(supervisor=False))
        db.session.commit()
    assert client.get("/api/informes").status_code == 403


@pytest.mark.parametrize("query, error", [
    ({"desde": "2026-13-01"}, "desde debe ser una fecha AAAA-MM-DD"),
    ({"hasta": "ayer"}, "hasta debe ser una fecha AAAA-MM-DD"),
    ({"desde": "2026-03-02", "hasta": "2026-03-01"}, "desde no puede ser posterior a hasta"),
    ({"desde": "2025-01-01", "hasta": "2026-03-01"}, "El intervalo no puede pasar de 366 días"),
    ({"zona": "Tierra/Media"}, "zona debe ser una zona horaria IANA, como Europe/Madrid"),
    ({"zona": "<script>"}, "zona debe ser una zona horaria IANA, como Europe/Madrid"),
    ({"formato": "xlsx"}, "formato debe ser csv o json"),
])
def test_bad_parameters_get_a_400_in_json(history, query, error):
    client = history.test_client()
    login(client, "admin")
    response = client.get("/api/informes", query_string=query)
    assert response.status_code == 400
    assert response.get_json() == {"error": error}


def test_the_csv_has_a_line_per_day_per_agent_and_the_total(history):
    client = history.test_client()
    login(client, "admin")
    response = client.get("/api/informes", query_string={**MADRID, "formato": "csv"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="informe-20260328-20260330.csv"'
    content = response.get_data(as_text=True)
    assert content.startswith("\ufeff") and "\r\n" in content
    rows = list(csv.reader(io.StringIO(content[1:])))
    assert rows == [
        ["fila", "dia", "agente", "nombre", "abiertas", "resueltas",
         "primera_respuesta_n", "primera_respuesta_mediana_s", "primera_respuesta_p90_s",
         "resolucion_n", "resolucion_mediana_s", "resolucion_p90_s",
         "valoracion_n", "valoracion_media", "valoracion_1", "valoracion_2", "valoracion_3", "valoracion_4",
         "valoracion_5"],
        ["dia", "2026-03-28", "", "", "2", "2", "2", "240", "11100", "2", "4800", "46800", *NO_RATINGS_CSV],
        ["dia", "2026-03-29", "", "", "2", "2", "2", "60", "2400", "2", "1800", "7200", *NO_RATINGS_CSV],
        ["dia", "2026-03-30", "", "", "1", "1", "0", "", "", "1", "86400", "86400", *NO_RATINGS_CSV],
        ["agente", "", "admin", "Admin", "2", "3", "2", "60", "240", "3", "4800", "7200", *NO_RATINGS_CSV],
        ["agente", "", "agente2", "Agente2", "0", "2", "2", "2400", "11100", "2", "46800", "86400", *NO_RATINGS_CSV],
        ["agente", "", "", "", "3", "0", "0", "", "", "0", "", "", *NO_RATINGS_CSV],
        ["total", "", "", "", "5", "5", "4", "240", "11100", "5", "7200", "86400", *NO_RATINGS_CSV],
    ]


def test_csv_text_cells_never_run_as_formulas(app):
    """An agent's display name is free text: one that starts like a formula is kept as text."""
    with app.app_context():
        make_users(("-mallory", "admin"), ("rosa", "admin"))
        db.session.execute(update(Usuario).where(Usuario.usuario == "-mallory").values(nombre="=HYPERLINK(\"x\")"))
        db.session.execute(update(Usuario).where(Usuario.usuario == "rosa").values(nombre="@Rosa", supervisor=True))
        db.session.commit()
        seed([("c", D(2026, 5, 4, 8, 0), None, None, D(2026, 5, 4, 9, 0), "-mallory", None),
              ("d", D(2026, 5, 4, 8, 0), None, None, D(2026, 5, 4, 9, 0), "rosa", None)])
    client = app.test_client()
    login(client, "rosa")
    content = client.get("/api/informes?desde=2026-05-04&hasta=2026-05-04&formato=csv").get_data(as_text=True)
    agents = [row for row in csv.reader(io.StringIO(content[1:])) if row[0] == "agente"]
    assert [row[2:4] for row in agents] == [["'-mallory", "'=HYPERLINK(\"x\")"], ["rosa", "'@Rosa"],
                                            ["", ""]]  # the row of cycles with no agent (both opened ones)


def test_numbers_in_the_csv_are_not_localized(app):
    """Over a thousand cycles in a day: 1200, never 1.200 or 1,200, whatever the page's language."""
    opened = D(2026, 5, 4, 8, 0)
    with app.app_context():
        make_supervisor("admin")
        db.session.execute(insert(Ciclo), [{"conversacion": f"c{i}", "abierto_id": i, "abierta_en": opened}
                                           for i in range(1200)])
        db.session.commit()
    client = app.test_client()
    login(client, "admin")
    client.set_cookie("idioma", "en")
    content = client.get("/api/informes?desde=2026-05-04&hasta=2026-05-04&formato=csv").get_data(as_text=True)
    assert "\r\ndia,2026-05-04,,,1200,0," in content


# --- the pages ---

def test_the_chat_header_links_to_the_reports_for_supervisors_only(history):
    for who, linked in (("admin", True), ("agente2", False), ("ana", False)):
        client = history.test_client()
        login(client, who)
        page = client.get("/soporte").get_data(as_text=True)
        assert ('id="enlace-informes"' in page) is linked, who


def test_the_reports_page_loads_its_scripts_from_this_site(history):
    client = history.test_client()
    login(client, "admin")
    response = client.get("/informes")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'src="/static/vendor/chart.js/chart.umd.min.js"' in page
    assert '<script type="module" src="/static/js/reports.js">' in page
    assert 'data-url="/api/informes"' in page
    assert "<script>" not in page  # no inline script: the Content-Security-Policy allows none
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# --- the indexes ---

def query_plan(statement):
    """The database's plan for a SELECT, as text rows (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on MariaDB)."""
    compiled = statement.compile(dialect=db.engine.dialect)
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        result = conn.exec_driver_sql(prefix + str(compiled), params)
        return [dict(row._mapping) for row in result]


def test_the_range_queries_use_the_time_indexes(app):
    """Three years of cycles, a three-day report: each query is an index range, not a scan of the table."""
    start = D(2024, 1, 1)
    rows = []
    for i in range(3000):
        opened = start + timedelta(hours=9 * i)
        rows.append({"conversacion": f"c{i % 50}", "abierto_id": i, "abierta_en": opened,
                     "primera_respuesta_en": opened + timedelta(minutes=5), "primera_respuesta_por": "admin",
                     "resuelta_en": opened + timedelta(hours=2) if i % 3 else None, "resuelta_por": "admin"})
    with app.app_context():
        db.session.execute(insert(Ciclo), rows)
        db.session.commit()
        if db.engine.dialect.name != "sqlite":
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE TABLE ciclos"))  # fresh statistics, as a table in service has
        queries = reports.range_queries(parse_range("2025-03-01", "2025-03-03", "Europe/Madrid"))
        plans = {name: query_plan(statement) for name, statement in queries.items()}
        dialect = db.engine.dialect.name
    indexes = {"abiertas": "ix_ciclos_abierta_en", "resueltas": "ix_ciclos_resuelta_en",
               "primera_respuesta": "ix_ciclos_primera_respuesta_en"}
    for name, index in indexes.items():
        (plan,) = plans[name]
        if dialect == "sqlite":
            assert plan["detail"].startswith(f"SEARCH ciclos USING INDEX {index} ("), plan
        else:
            assert (plan["key"], plan["type"]) == (index, "range"), plan
            assert int(plan["rows"]) < 100, plan  # the window's rows, not the table's 3000
