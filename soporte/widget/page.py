"""GET /widget (the chat in the website's iframe) and GET /widget.js (the loader the snippet loads)."""
import os
import re

from flask import Blueprint, current_app, g, render_template, request, send_from_directory

bp = Blueprint("widget", __name__)

LOADER_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "widget")
LOADER_MAX_AGE = 3600  # seconds a browser keeps the loader: a new version reaches websites within the hour
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOR = "#0d6efd"  # Bootstrap's primary, the chat's own
MAX_GREETING = 200


@bp.route("/widget")
def widget():
    """The widget's chat page, which only WIDGET_ORIGINS (and soporte itself) may frame."""
    g.framed_by = current_app.config["WIDGET_ORIGINS"]  # soporte/web/security.py writes frame-ancestors from it
    color = request.args.get("color", "")
    return render_template(
        "widget.html",
        color=color if COLOR.fullmatch(color) else DEFAULT_COLOR,
        saludo=" ".join(request.args.get("greeting", "").split())[:MAX_GREETING],
        inbox=current_app.config["SUPPORT_INBOX"],
        max_length=current_app.config["MAX_MESSAGE_LENGTH"],
    )


@bp.route("/widget.js")
def loader():
    """The loader script that a website's snippet loads (static, cached for LOADER_MAX_AGE)."""
    return send_from_directory(LOADER_DIR, "loader.js", mimetype="text/javascript", max_age=LOADER_MAX_AGE)
