"""The hours page's form (Flask-WTF: it carries its CSRF token): a field per weekday, the zone, the holidays."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

# the fields of the week, Monday first (their index is date.weekday())
DAYS = (("lunes", _l("Lunes")), ("martes", _l("Martes")), ("miercoles", _l("Miércoles")), ("jueves", _l("Jueves")),
        ("viernes", _l("Viernes")), ("sabado", _l("Sábado")), ("domingo", _l("Domingo")))
MAX_DAY_FIELD = 200  # "09:00-14:00, 16:00-19:00" many times over
MAX_HOLIDAYS_FIELD = 20000  # a few years of holidays, one a line


class HoursForm(FlaskForm):
    """Business hours: each weekday's intervals ("09:00-14:00, 16:00-19:00"), the IANA zone, holidays one a line."""

    lunes = StringField(DAYS[0][1], validators=[Length(max=MAX_DAY_FIELD)])
    martes = StringField(DAYS[1][1], validators=[Length(max=MAX_DAY_FIELD)])
    miercoles = StringField(DAYS[2][1], validators=[Length(max=MAX_DAY_FIELD)])
    jueves = StringField(DAYS[3][1], validators=[Length(max=MAX_DAY_FIELD)])
    viernes = StringField(DAYS[4][1], validators=[Length(max=MAX_DAY_FIELD)])
    sabado = StringField(DAYS[5][1], validators=[Length(max=MAX_DAY_FIELD)])
    domingo = StringField(DAYS[6][1], validators=[Length(max=MAX_DAY_FIELD)])
    zona = StringField(_l("Zona horaria"), validators=[Length(max=64)])
    festivos = TextAreaField(_l("Festivos"), validators=[Length(max=MAX_HOLIDAYS_FIELD)])
