"""The reports page for supervisors: a range picker, charts and tables of GET /api/informes."""
from flask import Blueprint, g, render_template

from soporte.ops.reports import MAX_DAYS
from soporte.web.auth import supervisor_required

bp = Blueprint("informes", __name__)


@bp.route("/informes")
@supervisor_required
def pagina():
    """The reports page (supervisors only); its script asks the JSON for the chosen days."""
    return render_template("informes.html", usuario=g.usuario, max_days=MAX_DAYS)
