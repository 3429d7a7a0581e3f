"""The team pages' forms (Flask-WTF: each carries its CSRF token), checked on the server."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from soporte.team.actions import MAX_NAME


class InviteForm(FlaskForm):
    """A supervisor invites an agent: their username, display name, and whether they supervise."""

    usuario = StringField(_l("Usuario"), validators=[DataRequired(), Length(max=64)])
    nombre = StringField(_l("Nombre visible"), validators=[DataRequired(), Length(max=MAX_NAME)])
    supervisor = BooleanField(_l("Supervisor"))


class PasswordForm(FlaskForm):
    """The invited (or reset) agent chooses a password, twice."""

    password = PasswordField(_l("Contraseña"), validators=[DataRequired()])
    password2 = PasswordField(_l("Repite la contraseña"), validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button that changes an agent (role, deactivate, reactivate, reset): only the CSRF token."""


def first_error(form):
    """The first validation message of a form, as one line for the page."""
    for field, errors in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return None
