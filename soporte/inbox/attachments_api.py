"""/api/adjuntos: uploading a file to a conversation, and fetching it (or its thumbnail) back.

Only the conversation's customer and the agents may fetch a file; anyone else gets the
same 404 as an id that does not exist, so a stranger learns nothing. A file is served with
nosniff and a sandboxing CSP: raster images (PNG, JPEG, GIF, WebP) inline, anything else
as a download, so no uploaded HTML or SVG ever runs on the chat's origin.
"""
from urllib.parse import quote

from flask import current_app, g, jsonify, request, send_file

from soporte.accounts.directory import check_customer
from soporte.extensions import limiter
from soporte.files import attachments, detect
from soporte.files.storage import get_storage
from soporte.inbox.api import bp
from soporte.inbox.limits import account_key
from soporte.protocol import Invalid
from soporte.web.auth import token_required
from soporte.web.errors import error_response

NOT_FOUND = "No existe ese adjunto"
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


@bp.errorhandler(attachments.Refused)
def refused(error):
    """An upload refused (too big 413, a type not allowed 415, anything else 400): `{"error": text}`."""
    return error_response(error.status, str(error))


@bp.errorhandler(413)
def too_large(error):
    """A request body over the size the server reads at all (MAX_CONTENT_LENGTH): nothing stored."""
    return error_response(413, attachments.too_big(current_app.config))


def upload_limit():
    """ATTACHMENT_UPLOAD_RATE_LIMIT, read per request so a changed setting applies."""
    return current_app.config["ATTACHMENT_UPLOAD_RATE_LIMIT"]


@bp.route("/adjuntos", methods=["POST"])
@token_required
@limiter.limit(upload_limit, key_func=account_key)
def subir_adjunto():
    """Upload one file (multipart field `archivo`; an agent names the conversation in `con`); 201 with its JSON."""
    upload = request.files.get("archivo")
    if upload is None:
        raise attachments.Refused(400, "Falta el archivo (archivo)")
    conversacion = conversation_of_upload()
    data = upload.stream.read(current_app.config["ATTACHMENT_MAX_SIZE"] + 1)  # one byte more tells "too big"
    return jsonify(attachments.create(conversacion, g.usuario["user"], upload.filename, data)), 201


def conversation_of_upload():
    """The customer whose conversation gets the file: the caller, or for an agent the form's `con`."""
    if g.usuario["rol"] != "admin":
        return g.usuario["user"]
    con = request.form.get("con", "")
    if not con or len(con) > 64:
        raise attachments.Refused(400, "Falta la conversación (con)")
    try:
        check_customer(con, "No se pudo comprobar la conversación; inténtalo de nuevo")
    except Invalid as error:
        raise attachments.Refused(400, str(error)) from error
    return con


@bp.route("/adjuntos/<adjunto_id>")
@token_required
def adjunto(adjunto_id):
    """The file itself: an image inline, anything else as a download, with its original name."""
    found = attachments.readable(adjunto_id, g.usuario)
    if found is None:
        return error_response(404, NOT_FOUND)
    return serve(found.id, found.tipo, found.nombre, inline=detect.is_image(found.tipo))


@bp.route("/adjuntos/<adjunto_id>/miniatura")
@token_required
def miniatura(adjunto_id):
    """An image's thumbnail (JPEG, or PNG where it has transparency); 404 for a file without one."""
    found = attachments.readable(adjunto_id, g.usuario)
    if found is None or not found.miniatura:
        return error_response(404, NOT_FOUND)
    key = found.id + attachments.THUMBNAIL_SUFFIX
    try:
        with get_storage().open(key) as thumb:
            tipo = detect.detect(thumb.read(16))
    except FileNotFoundError:
        return error_response(404, NOT_FOUND)
    return serve(key, tipo, "miniatura-" + found.nombre, inline=True)


def serve(key, tipo, nombre, inline):
    """A stored file as a response with the headers that keep it inert."""
    try:
        stream = get_storage().open(key)
    except FileNotFoundError:
        return error_response(404, NOT_FOUND)
    response = send_file(stream, mimetype=tipo, conditional=True, etag=key, max_age=0)
    response.headers["Content-Disposition"] = disposition("inline" if inline else "attachment", nombre)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, max-age=3600"  # ids never change content; never a shared cache
    return response


def disposition(kind, nombre):
    """Content-Disposition with the name: an ASCII fallback and RFC 5987's filename* for the real one."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in nombre) or "archivo"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(nombre, safe='')}"
