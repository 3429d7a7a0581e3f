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
        context = {**context, "enlace": chat_link(), "idioma": idioma}
        return (subject(), render_template(f"correo/{name}.txt", **context),
                render_template(f"correo/{name}.html", **context))


def when(fecha, idioma):
    """A message's time as the page shows it (UTC), in the email's language."""
    with force_locale(language(idioma)):
        return format_datetime(fecha, DATE_PATTERNS[language(idioma)]) + " UTC"


def replies_email(nombre, idioma, mensajes):
    """The email of unread replies: mensajes are (author's name, time, text)."""
    return render("respuestas", idioma, lambda: _("Tienes respuestas nuevas de soporte"),
                  nombre=nombre, mensajes=mensajes)


def new_conversation_email(nombre, idioma, cliente, texto):
    """The email to an agent who opted in: a conversation is waiting and nobody is online."""
    return render("nueva", idioma, lambda: _("Conversación en espera: %(cliente)s", cliente=cliente),
                  nombre=nombre, cliente=cliente, texto=texto)


def transcript_email(nombre, idioma, mensajes):
    """The transcript a customer asked for: mensajes are (author's name, time, text)."""
    return render("transcripcion", idioma, lambda: _("Transcripción de tu conversación con soporte"),
                  nombre=nombre, mensajes=mensajes)
