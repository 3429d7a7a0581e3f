"""Email addresses people type: checked before they are stored, so the outbox never writes to nonsense."""
import re

MAX_LENGTH = 254  # RFC 5321's limit of a forward path
# a pragmatic address: a local part without spaces, quotes, brackets or separators, and a domain
# of dotted labels with a top-level one; no CR/LF can pass (no header injection)
ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
                     r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
INVALID = "La dirección de correo no es válida"


def normalized(text):
    """The address as stored: trimmed, its domain in lower case; None for an empty one."""
    text = (text or "").strip()
    if not text:
        return None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if local else text


def address_error(address):
    """Why an address (normalized) cannot be stored, or None."""
    if address is None:
        return None
    if len(address) > MAX_LENGTH or not ADDRESS.fullmatch(address) or ".." in address:
        return INVALID
    return None
