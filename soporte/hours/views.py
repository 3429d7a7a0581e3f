"""The supervisors' business-hours page (/horario): the week's intervals, the time zone and the holidays."""
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from soporte.audit import audit
from soporte.extensions import db
from soporte.hours import rules, storage
from soporte.hours.forms import DAYS, HoursForm
from soporte.ops.reports import BadRange, parse_zone
from soporte.team.forms import first_error
from soporte.web.auth import supervisor_required

bp = Blueprint("horario", __name__, url_prefix="/horario")
MAX_HOLIDAYS = 1000
MAX_HOLIDAY_NAME = 80


@bp.route("")
@supervisor_required
def pagina():
    """The hours page, filled with what is stored."""
    schedule = storage.load()
    form = HoursForm(formdata=None, zona=schedule.zona.key, festivos="\n".join(
        f"{fecha.isoformat()} {nombre or ''}".rstrip() for fecha, nombre in storage.holidays()),
        **{name: rules.format_day_intervals(schedule.semana.get(i, ())) for i, (name, _label) in enumerate(DAYS)})
    return hours_page(form)


def hours_page(form, error=None, status=200):
    """Render the page; `error` says what in the submitted form is wrong."""
    return render_template("horario.html", form=form, days=[getattr(form, name) for name, _label in DAYS],
                           error=error, usuario=g.usuario), status


@bp.route("", methods=("POST",))
@supervisor_required
def guardar():
    """Replace the whole schedule with the form's (CSRF checked), audited in the same transaction."""
    form = HoursForm()
    if not form.validate_on_submit():
        return hours_page(form, error=first_error(form), status=400)
    try:
        semana, zona, festivos = parse_form(form)
    except ValueError as wrong:
        return hours_page(form, error=str(wrong), status=400)
    storage.replace(semana, zona, festivos)
    audit(g.usuario["user"], "horario", None, zona=zona, intervalos=sum(map(len, semana.values())),
          festivos=len(festivos))
    db.session.commit()
    storage.forget()
    flash(_("Horario guardado"), "success")
    return redirect(url_for("horario.pagina"))


def parse_form(form):
    """(semana, zona, festivos) from a submitted form, or ValueError with the reader's words for what is wrong."""
    semana = {}
    for i, (name, label) in enumerate(DAYS):
        try:
            spans = rules.parse_day_intervals(getattr(form, name).data or "")
        except ValueError:
            raise ValueError(_("%(day)s: escribe intervalos como 09:00-14:00, 16:00-19:00, sin solaparse",
                               day=label)) from None
        if spans:
            semana[i] = spans
    try:
        zona = parse_zone(form.zona.data).key
    except BadRange:
        raise ValueError(_("Zona horaria: escribe una zona IANA, como Europe/Madrid")) from None
    return semana, zona, parse_holidays(form.festivos.data or "")


def parse_holidays(text):
    """{date: name or None} from lines "AAAA-MM-DD name"; ValueError naming the first wrong line."""
    festivos = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        day, _sep, nombre = line.partition(" ")
        try:
            fecha = rules.local_date(day)
        except ValueError:
            raise ValueError(_("Festivos, línea %(n)s: empieza por una fecha AAAA-MM-DD", n=number)) from None
        nombre = nombre.strip()[:MAX_HOLIDAY_NAME] or None
        if nombre is not None and not nombre.isprintable():
            raise ValueError(_("Festivos, línea %(n)s: el nombre contiene caracteres no válidos", n=number))
        festivos[fecha] = nombre
    if len(festivos) > MAX_HOLIDAYS:
        raise ValueError(_("Como mucho %(n)s festivos", n=MAX_HOLIDAYS))
    return festivos
