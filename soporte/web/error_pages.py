"""HTTP errors: the site's own HTML page, in the reader's language, for pages; JSON under /api/."""
from flask import render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from soporte.web.errors import error_response

# status -> (title, what the reader is told); Werkzeug's own descriptions are English only
PAGES = {
    400: (_l("Solicitud no válida"), _l("El navegador envió algo que no se pudo entender. Recarga la página y vuelve a probar.")),
    403: (_l("Acceso denegado"), _l("Esta página es solo para agentes de soporte.")),
    404: (_l("Página no encontrada"), _l("No existe ninguna página en esta dirección.")),
    405: (_l("Método no permitido"), _l("Esta dirección no admite esa operación.")),
    429: (_l("Demasiadas solicitudes"), _l("Demasiados intentos; espera un momento y vuelve a probar")),
    500: (_l("Error del servidor"), _l("Algo falló en el servidor. Inténtalo de nuevo dentro de un momento.")),
}


def is_api_request():
    """Whether the caller is a script of the API (every blueprint under /api), which reads JSON."""
    return request.path.startswith("/api/")


def http_error(error):
    """Answer an HTTP error: JSON `{"error": ...}` under /api/, else the HTML error page."""
    if error.code is None or error.code < 400:
        return error  # not an error (Flask sends routing redirects on their own)
    if is_api_request():
        return error_response(error.code, error.description)
    title, text = PAGES.get(error.code) or PAGES[500 if error.code >= 500 else 400]
    response = error.get_response()  # its headers: Allow for a 405, Retry-After for a 429
    response.set_data(render_template("errors/error.html", status=error.code, title=title, text=text))
    return response


def init_app(app):
    """Register the error pages for every HTTP error and for unexpected exceptions (500)."""
    app.register_error_handler(HTTPException, http_error)
    # an unhandled exception reaches Flask's 500 handler wrapped as InternalServerError
    app.register_error_handler(InternalServerError, http_error)
