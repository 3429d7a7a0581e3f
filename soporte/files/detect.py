"""What a file is, from its first bytes (never from its name): a short table of signatures.

No new dependency for this: libmagic (python-magic) is a system library to install on
every host, and the types a support chat accepts are few. The table follows the WHATWG
MIME Sniffing standard's patterns; anything it does not know is application/octet-stream.
Markup (HTML, SVG, XML) is recognised so that it can be refused or at least never shown
inline: text/plain means UTF-8 text that is none of those.
"""
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
SIGNATURES = IMAGE_SIGNATURES + (
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),  # also .docx, .xlsx, .odt: zips inside
    (b"PK\x05\x06", "application/zip"),  # an empty zip
    (b"\x1f\x8b\x08", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"OggS\x00", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
)
# WHATWG's "HTML" patterns (case-insensitive, after leading whitespace), each followed by a space or >
HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font", b"<table",
             b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--")
SNIFF_LENGTH = 1445  # the standard's resource header


def detect(data):
    """The MIME type of a file's content."""
    head = data[:SNIFF_LENGTH]
    for signature, tipo in SIGNATURES:
        if head.startswith(signature):
            return tipo
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    markup = markup_type(head)
    if markup:
        return markup
    if is_text(data):
        return "text/plain"
    return "application/octet-stream"


def markup_type(head):
    """text/html, image/svg+xml or application/xml when the start reads as markup, else None."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c").lower()
    for tag in HTML_TAGS:
        if text.startswith(tag) and (tag == b"<!--" or text[len(tag):len(tag) + 1] in (b" ", b">")):
            return "image/svg+xml" if b"<svg" in text else "text/html"
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "image/svg+xml"
    if text.startswith(b"<?xml"):
        return "application/xml"
    if b"<script" in text or b"<html" in text or b"<svg" in text:  # markup further in: still markup
        return "text/html"
    return None


def is_text(data):
    """Whether bytes are UTF-8 text with no control characters a text file does not have."""
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\n\r\x0c" for c in text[:SNIFF_LENGTH])


def is_image(tipo):
    """Whether a type is one of the raster images shown inline (never SVG)."""
    return tipo in {tipo for _, tipo in IMAGE_SIGNATURES} or tipo == "image/webp"
