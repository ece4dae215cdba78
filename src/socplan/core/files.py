"""Checking an uploaded file at the edge: its name, size and what its first bytes say it is."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The first bytes of the file types people attach to reports and plans.
SIGNATURES = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
}
ATTACHMENT_TYPES = (".pdf", ".docx", ".doc", ".odt", ".xlsx", ".xls", ".ods", ".jpg", ".jpeg", ".png", ".tif", ".tiff")
MAX_ATTACHMENT_BYTES = 50 * 2**20


def upload_check(file, *, field: str = "file", types: tuple[str, ...] = ATTACHMENT_TYPES, max_bytes: int = MAX_ATTACHMENT_BYTES) -> str:
    """Refuse an empty, oversized or mistyped file (by name and content); return its SHA-256."""
    name = (getattr(file, "name", "") or "").lower()
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if extension not in types:
        raise ValidationError(
            {field: _("Files of this type cannot be attached. Allowed: %(types)s.") % {"types": ", ".join(types)}}
        )
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError({field: _("The file is larger than %(mb)s MB.") % {"mb": max_bytes // 2**20}})
    if not size:
        raise ValidationError({field: _("The file is empty.")})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    signatures = SIGNATURES.get(extension)
    if signatures and not any(head.startswith(s) for s in signatures):
        raise ValidationError(
            {field: _("The file “%(name)s” is not really a %(type)s file (its content does not match its name).")
             % {"name": getattr(file, "name", ""), "type": extension.lstrip(".").upper()}}
        )
    digest = hashlib.sha256()
    for chunk in file.chunks() if hasattr(file, "chunks") else [file.read()]:
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
