"""The rules for account names and passwords, the same for /registro and the CLI.

Two comparisons, both blind to what a reader would not notice:
- canonical_username: the key that makes usernames unique ("Ana", "ANA", "ana." and
  "_ana" are one name; "carla.perez" and "Carla_Perez" too);
- display_key: what a display name reads as ("Sopórte", "S o p o r t e" and
  "Ｓｏｐｏｒｔｅ" all read "soporte").
"""
import re
import unicodedata

from flask_babel import gettext as _

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_USERNAME = 3
MIN_PASSWORD = 8
# what the team is called whatever the inbox's name: no customer may be named so
SUPPORT_WORDS = ("soporte", "support")
_SEPARATOR_RUN = re.compile(r"[._\-\s]+")
# the website widget's generated usernames (accounts/widget_customers.py): no one may register one
GUEST_PREFIX = "invitado-"
VERIFIED_PREFIX = "verificado-"


def _is_edge_noise(character):
    """Punctuation, symbols, spaces and invisible characters: nothing a reader tells apart at a name's ends."""
    return unicodedata.category(character)[0] in "PZSC"


def canonical_username(name):
    """The form two usernames are compared in: NFKC, casefolded, '.', '_', '-' and spaces as one '.', trimmed.

    Inside a name the separators are one character, since "ana.lopez" and "ana_lopez"
    read the same in a list; at the ends anything that is not a letter or digit goes.
    """
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    folded = _SEPARATOR_RUN.sub(".", folded)
    start, end = 0, len(folded)
    while start < end and _is_edge_noise(folded[start]):
        start += 1
    while end > start and _is_edge_noise(folded[end - 1]):
        end -= 1
    return folded[start:end]


def display_key(name):
    """What a display name reads as: letters and digits only, without accents or case (NFKD)."""
    decomposed = unicodedata.normalize("NFKD", name or "").casefold()
    return "".join(c for c in decomposed if c.isalnum())


def username_format_error(username):
    """Why a username is malformed (the shape /registro allows), or None."""
    if not USERNAME.match(username) or len(canonical_username(username)) < MIN_USERNAME:
        return _("El usuario debe tener de 3 a 64 letras, números, '.', '_' o '-'")
    return None


def generated_username(username):
    """Whether a username reads as one the widget generates ("invitado-…", "verificado-…"), in any spelling."""
    return canonical_username(username).startswith(
        tuple(canonical_username(prefix) + "." for prefix in (GUEST_PREFIX, VERIFIED_PREFIX)))


def password_error(password, confirmation=None):
    """Why a password cannot be used (too short, or not the same twice), or None."""
    if len(password) < MIN_PASSWORD:
        return _("La contraseña debe tener al menos %(n)s caracteres", n=MIN_PASSWORD)
    if confirmation is not None and password != confirmation:
        return _("Las contraseñas no coinciden")
    return None
