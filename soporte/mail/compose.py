"""The emails' words: rendered from templates/correo/ in the recipient's language (plain text and HTML)."""
from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, gettext as _

from soporte.files.attachments import LINK_PATH
from soporte.web.i18n import DATE_PATTERNS, LANGUAGES


def language(idioma):
    """The language to write in: the account's, else Spanish."""
    return idioma if idioma in LANGUAGES else "es"


def chat_link():
    """The chat's address as people reach it (PUBLIC_URL), for the link back in every email."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/soporte"


def way_back(customer):
    """How a customer's email sends them back to the chat: the link to PUBLIC_URL/soporte, or for a guest none.

    A guest (usuarios.invitado) has no password, so soporte's login page is no way back: their
    email says to open the chat on the website they wrote from (usuarios.sitio, when known).
    """
    if customer.invitado:
        return {"enlace": None, "invitado": True, "sitio": customer.sitio}
    return {"enlace": chat_link(), "invitado": False, "sitio": None}


def message_text(mensaje):
    """A stored message's text for an email: its attachments' link lines point at PUBLIC_URL, not at a path."""
    site = current_app.config["PUBLIC_URL"].rstrip("/")
    return mensaje.replace(": " + LINK_PATH, ": " + site + LINK_PATH)


def render(name, idioma, subject, **context):
    """(asunto, texto, html) of templates/correo/<name>.txt/.html in `idioma`; subject() is called in it too.

    The HTML is autoescaped (a message's text stays text); the plain text is not HTML at all.
    """
    idioma = language(idioma)
    with force_locale(idioma):
        context = {"enlace": chat_link(), **context, "idioma": idioma}  # a customer's way_back may replace the link
        return (subject(), render_template(f"correo/{name}.txt", **context),
                render_template(f"correo/{name}.html", **context))


def when(fecha, idioma):
    """A message's time as the page shows it (UTC), in the email's language."""
    with force_locale(language(idioma)):
        return format_datetime(fecha, DATE_PATTERNS[language(idioma)]) + " UTC"


def replies_email(customer, mensajes):
    """The email of a customer's unread replies: mensajes are (author's name, time, text)."""
    return render("respuestas", customer.idioma, lambda: _("Tienes respuestas nuevas de soporte"),
                  nombre=customer.nombre, mensajes=mensajes, **way_back(customer))


def new_conversation_email(nombre, idioma, cliente, texto):
    """The email to an agent who opted in: a conversation is waiting and nobody is online."""
    return render("nueva", idioma, lambda: _("Conversación en espera: %(cliente)s", cliente=cliente),
                  nombre=nombre, cliente=cliente, texto=texto)


def transcript_email(customer, mensajes):
    """The transcript a customer asked for: mensajes are (author's name, time, text)."""
    return render("transcripcion", customer.idioma, lambda: _("Transcripción de tu conversación con soporte"),
                  nombre=customer.nombre, mensajes=mensajes, **way_back(customer))
