"""The supervisors' team page (/equipo): the agents, invitations, roles, deactivation, resets, and the audit log."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from soporte.accounts.display_names import display_names
from soporte.accounts.links import pending_links
from soporte.audit import action_label, detail_of
from soporte.extensions import db
from soporte.models import Auditoria, Usuario, utc_now
from soporte.presence.online import get_presence
from soporte.team import actions
from soporte.team.forms import ActionForm, InviteForm, first_error
from soporte.web.auth import supervisor_required

bp = Blueprint("equipo", __name__, url_prefix="/equipo")

AUDIT_PAGE = 50  # entries per page of the audit log


@bp.errorhandler(403)
def supervisors_only(error):
    """An agent who is not a supervisor gets the error page saying who the page is for."""
    return render_template("errors/error.html", status=403, title=_("Acceso denegado"),
                           text=_("Esta página es solo para supervisores.")), 403


@bp.route("")
@supervisor_required
def pagina():
    """The team: every agent with their role, state and links, and the invitation form."""
    return team_page(InviteForm())


def team_page(form, enlace=None, enlace_de=None, error=None, status=200):
    """Render the team page; `enlace` is a link just made (shown once: only its hash is kept)."""
    agents = db.session.scalars(select(Usuario).filter_by(rol="admin").order_by(Usuario.nombre, Usuario.usuario)).all()
    online = get_presence().online().get("admin", set())
    return render_template(
        "equipo.html", agents=agents, online=online, pending=pending_links([a.usuario for a in agents]),
        now=utc_now(), me=g.usuario["user"], form=form, action=ActionForm(), enlace=enlace,
        enlace_de=enlace_de, error=error), status


def link_url(token):
    """The full address of a one-time link, for the supervisor to send."""
    return url_for("invitacion.usar", token=token, _external=True)


@bp.route("/invitar", methods=("POST",))
@supervisor_required
def invitar():
    """Invite an agent: their account, and a one-time link (shown once) to set a password."""
    form = InviteForm()
    if not form.validate_on_submit():
        return team_page(form, error=first_error(form), status=400)
    try:
        token = actions.invite(g.usuario["user"], form.usuario.data.strip(), form.nombre.data,
                               supervisor=form.supervisor.data)
    except actions.TeamError as refused:
        return team_page(form, error=str(refused), status=400)
    return team_page(InviteForm(formdata=None), enlace=link_url(token), enlace_de=form.nombre.data.strip())


def change(action, username, done, unchanged):
    """Run one change from a button (CSRF checked by CSRFProtect), then back to the team page with its message.

    done and unchanged are texts with %(name)s, filled with the agent's display name.
    """
    try:
        changed = action(g.usuario["user"], username)
    except actions.TeamError as refused:
        flash(str(refused), "danger")
    else:
        nombre = display_names([username])[username]
        flash((done if changed else unchanged) % {"name": nombre}, "success" if changed else "info")
    return redirect(url_for("equipo.pagina"))


@bp.route("/<usuario>/rol", methods=("POST",))
@supervisor_required
def rol(usuario):
    """Make an agent a supervisor (supervisor=1) or a supervisor an agent (supervisor=0)."""
    value = request.form.get("supervisor")
    if value not in ("0", "1"):
        flash(_("Elige un rol: agente o supervisor"), "danger")
        return redirect(url_for("equipo.pagina"))
    supervisor = value == "1"
    return change(lambda actor, name: actions.set_role(actor, name, supervisor), usuario,
                  _("%(name)s es ahora supervisor") if supervisor else _("%(name)s es ahora agente"),
                  _("Nada que cambiar"))


@bp.route("/<usuario>/desactivar", methods=("POST",))
@supervisor_required
def desactivar(usuario):
    """Deactivate an agent: logins refused, tokens and sockets ended at once."""
    return change(actions.deactivate, usuario, _("%(name)s está desactivado; sus sesiones se han cerrado"),
                  _("%(name)s ya estaba desactivado"))


@bp.route("/<usuario>/reactivar", methods=("POST",))
@supervisor_required
def reactivar(usuario):
    """Let a deactivated agent log in again."""
    return change(actions.reactivate, usuario, _("%(name)s puede volver a entrar"), _("%(name)s ya estaba activo"))


@bp.route("/<usuario>/restablecer", methods=("POST",))
@supervisor_required
def restablecer(usuario):
    """Reset an agent's password: their logins end, and a one-time link (shown once) lets them choose a new one."""
    try:
        token = actions.reset_password(g.usuario["user"], usuario)
    except actions.TeamError as refused:
        return team_page(InviteForm(formdata=None), error=str(refused), status=400)
    nombre = db.session.scalar(select(Usuario.nombre).filter_by(usuario=usuario)) or usuario
    return team_page(InviteForm(formdata=None), enlace=link_url(token), enlace_de=nombre)


@bp.route("/auditoria")
@supervisor_required
def auditoria():
    """The audit log, newest first, paged, optionally only what one agent did or had done to them."""
    agente = request.args.get("agente", "").strip()[:64]
    pagina = request.args.get("pagina", "1")
    pagina = int(pagina) if pagina.isdigit() and 0 < int(pagina) < 100000 else 1
    query = select(Auditoria).order_by(Auditoria.cuando.desc(), Auditoria.id.desc())
    if agente:
        query = query.where(or_(Auditoria.objetivo == agente, Auditoria.actor == agente))
    rows = db.session.scalars(query.offset((pagina - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1)).all()
    entries = rows[:AUDIT_PAGE]
    names = display_names({e.actor for e in entries if e.actor} | {e.objetivo for e in entries if e.objetivo})
    agents = db.session.execute(select(Usuario.usuario, Usuario.nombre).filter_by(rol="admin")
                                .order_by(Usuario.nombre)).all()
    return render_template("auditoria.html", entries=entries, names=names, agents=agents, agente=agente,
                           pagina=pagina, more=len(rows) > AUDIT_PAGE, label=action_label, detail=detail_of,
                           role_word=role_word)


def role_word(code):
    """A role as stored in the audit detail, in the reader's language."""
    return {"agente": _("agente"), "supervisor": _("supervisor"), "cliente": _("cliente")}.get(code, code)
