"""A customer's data as one zip archive: a README that lists every file, then each holder's files."""
import posixpath
import tempfile
import zipfile
from datetime import datetime, timezone

from flask_babel import gettext as _

from soporte.models import iso_utc
from soporte.privacy.holders import HOLDERS

IN_MEMORY = 8 * 1024 * 1024  # bytes of archive kept in memory; a larger one goes to a temporary file


def archive_path(holder, path):
    """Where a holder's file goes in the archive: under the holder's name, never outside the archive."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    path = posixpath.join(*parts) if parts else "datos"
    if path == holder.name or path.startswith((holder.name + "/", holder.name + ".")):
        return path
    return f"{holder.name}/{path}"


def build_archive(customer, for_customer=False):
    """The archive of everything held about a customer, as a file positioned at its start.

    for_customer: the customer's own download, without what only agents read (private notes).
    """
    out = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)
    listed = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for holder in HOLDERS:
            if for_customer and not holder.customer_sees:
                continue
            for path, content in holder.export(customer):
                name = archive_path(holder, path)
                archive.writestr(name, content)
                listed.append((name, len(content)))
        archive.writestr("LEEME.txt", readme(customer, listed).encode("utf-8"))
    out.seek(0)
    return out


def readme(customer, listed):
    """The archive's manifest: whose data, when it was made, and every file with its size."""
    made = iso_utc(datetime.now(timezone.utc).replace(tzinfo=None))
    lines = [_("Datos guardados de %(usuario)s (cliente #%(id)s)", usuario=customer.usuario, id=customer.id),
             _("Generado: %(fecha)s (UTC)", fecha=made), "",
             _("Fechas en UTC (ISO 8601). Archivos JSON en UTF-8; los mensajes también como texto."), "",
             _("Archivos:")]
    lines += [f"  {name}  ({size} bytes)" for name, size in listed]
    return "\n".join(lines) + "\n"
