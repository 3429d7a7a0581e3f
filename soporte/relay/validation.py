"""Checks on what a client sends in `mensaje_privado`, before anything is delivered."""

from soporte.protocol import NOT_TEXT, Invalid

CID_MAX_LENGTH = 64


def parse_private_message(data, max_length):
    """Return (para, mensaje, cid) from a payload, or raise Invalid saying what is wrong.

    A message with attachments (`adjuntos`, checked by the relay) may have no text.
    """
    if not isinstance(data, dict):
        raise Invalid("El mensaje debe ser un objeto {para, mensaje}")
    para = data.get("para")
    mensaje = data.get("mensaje")
    cid = data.get("cid")
    if not isinstance(para, str) or not para.strip():
        raise Invalid("Falta el destinatario (para)")
    if not isinstance(mensaje, str):
        raise Invalid("El mensaje debe ser texto")
    if not mensaje.strip() and not data.get("adjuntos"):
        raise Invalid("El mensaje está vacío")
    if len(mensaje) > max_length:
        raise Invalid(f"El mensaje supera los {max_length} caracteres")
    if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= CID_MAX_LENGTH):
        raise Invalid(f"cid debe ser texto de 1 a {CID_MAX_LENGTH} caracteres")
    if not all(encodable(text) for text in (para, mensaje, cid) if text is not None):
        raise Invalid(NOT_TEXT)
    return para, mensaje, cid


def encodable(text):
    """Whether a string can be stored: JSON's "\\ud800" gives a lone surrogate, which UTF-8 cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
