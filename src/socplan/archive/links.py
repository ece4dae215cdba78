"""Signed, expiring links to a document's files (its PDF, a page's image, the original), and the view
that serves them.

A link carries, signed with the SECRET_KEY (django.core.signing, its own salt): the document, what
is asked for, and who the link was made for — a system client or a user. It works for
settings.ARCHIVE_LINK_SECONDS after it was made. A client's link is a capability (the ИИС may hand it
to an official's browser): it works without a session, but only while the client is active and may
still read the document's directorate. A user's link works only in that user's session and only
while the user may still read the document. Every file served is written to the personal-data
access log. Files are read through their FileField's storage (storages["archive"], which may be
S3), never by a filesystem path.
"""

from __future__ import annotations

import datetime
import mimetypes

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from socplan.core.http import attachment_header

from .access import archive_visible
from .models import ApiClient, Document, Page
from .services import dossier_read_log

SALT = "socplan.archive.file-link"
PDF = "pdf"
ORIGINAL = "original"
PAGE_PREFIX = "page-"


def page(number: int) -> str:
    """The `what` of a page's image: page(3) == "page-3"."""
    return f"{PAGE_PREFIX}{int(number)}"


def _page_number(what: str) -> int | None:
    if what.startswith(PAGE_PREFIX) and what[len(PAGE_PREFIX):].isdigit():
        number = int(what[len(PAGE_PREFIX):])
        return number if number >= 1 else None
    return None


def _what_check(what) -> str:
    if isinstance(what, int) and not isinstance(what, bool):
        what = page(what)
    if what in (PDF, ORIGINAL) or _page_number(str(what)) is not None:
        return str(what)
    raise ValueError(f"Unknown file of a document: {what!r} (pdf, original or page-N)")


def seconds() -> int:
    return int(settings.ARCHIVE_LINK_SECONDS)


def sign(document, what, *, client: ApiClient | None = None, user=None) -> tuple[str, datetime.datetime]:
    """The path of a link to `what` of `document` ("pdf", "original", "page-N" or a page number) for
    `client` or `user` (exactly one), and the moment it stops working."""
    if (client is None) == (user is None or not user.is_authenticated):
        raise ValueError("A file link is made for one client or one signed-in user.")
    payload = {"d": document.pk if hasattr(document, "pk") else int(document), "w": _what_check(what)}
    if client is not None:
        payload["c"] = client.pk
    else:
        payload["u"] = user.pk
    token = signing.dumps(payload, salt=SALT, compress=False)
    # The signature's timestamp has whole seconds; the link works `seconds()` after it.
    expires_at = timezone.now().replace(microsecond=0) + datetime.timedelta(seconds=seconds())
    return reverse("archive:file", kwargs={"token": token}), expires_at


class LinkExpired(Exception):
    pass


def unsign(token: str) -> dict:
    """The payload of a valid link; LinkExpired when it is too old, Http404 when it was tampered with."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=seconds())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(payload, dict) or not isinstance(payload.get("d"), int) or not isinstance(payload.get("w"), str):
        raise Http404
    return payload


# --- Serving -------------------------------------------------------------------------------------


def _client_allows(client_id, document: Document) -> ApiClient:
    client = ApiClient.objects.filter(pk=client_id, is_active=True).first()
    if client is None or (client.expires_at is not None and client.expires_at <= timezone.now()):
        raise PermissionDenied
    restricted = set(client.directorates.values_list("pk", flat=True))
    if restricted and document.directorate_id not in restricted:
        raise Http404
    return client


def _file_of(document: Document, what: str):
    """(FieldFile, object type for the log, object id for the log) of `what`, or Http404."""
    if what == PDF:
        return document.pdf, "archive.pdf", str(document.pk)
    if what == ORIGINAL:
        return document.original, "archive.original", str(document.pk)
    number = _page_number(what)
    found = Page.objects.filter(document=document, number=number).only("image").first() if number else None
    if found is None:
        raise Http404
    return found.image, "archive.page", f"{document.pk}/{number}"


def _content_type(name: str, what: str, document: Document) -> str:
    if what == PDF:
        return "application/pdf"
    if what == ORIGINAL and document.content_type:
        return document.content_type
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _download_name(document: Document, what: str, stored_name: str) -> tuple[str, str]:
    """The file name offered to the browser, and its ASCII fallback."""
    extension = stored_name.rsplit(".", 1)[-1].lower() if "." in stored_name.rsplit("/", 1)[-1] else ""
    suffix = f".{extension}" if extension else ""
    if what == ORIGINAL and document.original_name:
        name = document.original_name
    elif what == PDF:
        base = document.original_name.rsplit(".", 1)[0] if document.original_name else str(document.pk)
        name = f"{base}.pdf"
    else:
        name = f"{document.pk}-{_('page')}-{_page_number(what)}{suffix}"
    fallback = f"document-{document.pk}" + ("" if what in (PDF, ORIGINAL) else f"-page-{_page_number(what)}") + (
        ".pdf" if what == PDF else suffix
    )
    return name, fallback


@require_safe
def file_serve(request, token: str):
    """Stream the file a signed link points to, after checking who may still read it; log the read."""
    try:
        payload = unsign(token)
    except LinkExpired:
        return HttpResponse(_("This link has expired. Ask for the document again to get a new link."), status=410,
                            content_type="text/plain; charset=utf-8")
    what = payload["w"]
    document = Document.objects.select_related("dossier").filter(pk=payload["d"]).first()
    if document is None or document.status == Document.Status.DESTROYED:
        raise Http404
    client, user = None, None
    if "c" in payload:
        client = _client_allows(payload["c"], document)
    else:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.pk != payload.get("u"):
            raise PermissionDenied
        user = request.user
        if not archive_visible(Document.objects.filter(pk=document.pk), user).exists():
            raise Http404
    fieldfile, object_type, object_id = _file_of(document, what)
    if not fieldfile or not fieldfile.name:
        raise Http404
    try:
        handle = fieldfile.storage.open(fieldfile.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    dossier_read_log(request=request, dossier=document.dossier, object_type=object_type, object_id=object_id, client=client)
    response = FileResponse(handle, content_type=_content_type(fieldfile.name, what, document))
    name, fallback = _download_name(document, what, fieldfile.name)
    disposition = attachment_header(name, fallback)
    if what != ORIGINAL:
        # The PDF and the page images open in the browser (the page viewer shows them); the
        # original, whatever it is, is only downloaded.
        disposition = "inline" + disposition.removeprefix("attachment")
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response
