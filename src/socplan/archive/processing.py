"""Processing a stored document into a searchable PDF/A with the text and an image of every page.

A document's status moves like this:

    RECEIVED ──claim──▶ PROCESSING ──▶ READY
                          │  ├──▶ FAILED     the file itself is the problem, or 3 attempts failed
                          │  └──▶ RECEIVED   a transient failure: Celery tries again in a minute
                          └── (the worker died) stale after STALE_AFTER: claimed again by stale_requeue's job
    FAILED ──document_retry──▶ RECEIVED

Every claim counts an attempt, so a file that kills the worker each time (memory, a crash in a
library) fails after MAX_ATTEMPTS instead of looping. The original file is only ever read: the
PDF and page images are new files beside it in the archive storage, always through Django's
storage API (the storage may be S3). Each step that writes rows is one short transaction; the OCR
itself runs outside any transaction.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError

from . import convert, ocr
from .convert import ProcessingError, ProcessingRetry
from .models import Document, Page

log = logging.getLogger(__name__)

# Attempts of one document (claims, counted in Document.attempts) before it fails for good.
MAX_ATTEMPTS = 3
# Celery waits this long before the second attempt, twice as long before the third.
RETRY_SECONDS = 60
# A job older than this is dead (its worker was killed): ocr.MAX_SECONDS keeps a living one shorter.
STALE_AFTER = timedelta(minutes=30)
# A document still waiting after this long has probably lost its job (a queue that was emptied, a
# broker that lost a message): it is queued again. Queued twice is harmless: only one job claims it.
WAITING_AFTER = timedelta(minutes=10)
# The temporary folders of jobs (the original, the PDF, OCRmyPDF's work files).
TEMP_PREFIX = "socplan-archive-"
# Documents queued again per run of stale_requeue (the rest wait for the next run).
REQUEUE_LIMIT = 500


class _Superseded(Exception):
    """Another job finished the document first (or it left PROCESSING): our results are dropped."""


def document_process(document_id: int) -> Document | None:
    """Process the document if it is waiting (or its job died); None when there is nothing to do.

    Raises ProcessingRetry for a transient failure with attempts left (the task retries it); every
    other failure ends as status FAILED with the reason, in the site's language, in `error`.
    """
    with translation.override(settings.LANGUAGE_CODE):
        document = _claim(document_id)
        if document is None:
            return None
        if document.attempts > MAX_ATTEMPTS:
            return _fail(
                document,
                _("Processing was interrupted %(count)s times (the server may lack memory); tell the administrator.")
                % {"count": MAX_ATTEMPTS},
            )
        started = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
                document = _process(document, Path(tmp))
        except ProcessingError as error:
            log.info("Document %s failed: %s", document_id, error.reason)
            return _fail(document, error.reason)
        except (ProcessingRetry, OSError, DatabaseError) as error:
            return _transient(document, error)
        except _Superseded:
            log.info("Document %s was finished by another job; this job's results are dropped", document_id)
            return Document.objects.get(pk=document_id)
        except Exception:
            # A bug, or a file that breaks a library in a way we did not foresee: fail the document
            # (it can be retried after a fix) rather than the job.
            log.exception("Document %s: unexpected error while processing", document_id)
            return _fail(document, _("An unexpected error stopped the processing; tell the administrator."))
        log.info(
            "Document %s ready: %s pages, OCR %s, %.1f s",
            document_id, document.page_count, document.ocr_applied, time.monotonic() - started,
        )
        return document


def _claim(document_id: int) -> Document | None:
    """Mark the document PROCESSING if it waits or its job died, counting the attempt; one UPDATE, so
    two jobs for the same document never both get it."""
    now = timezone.now()
    claimable = Q(status=Document.Status.RECEIVED) | Q(status=Document.Status.PROCESSING) & (
        Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=now - STALE_AFTER)
    )
    claimed = Document.objects.filter(claimable, pk=document_id).update(
        status=Document.Status.PROCESSING, processing_started_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        log.info("Document %s is not waiting for processing; nothing to do", document_id)
        return None
    return Document.objects.get(pk=document_id)


def _process(document: Document, tmp: Path) -> Document:
    original = tmp / ("original" + Path(document.original_name).suffix.lower()[:10])
    _download(document, original)
    kind = convert.kind_detect(original)
    pdf = original
    if kind == "image":
        pdf = tmp / "converted.pdf"
        convert.image_to_pdf(original, pdf)
    elif kind == "office":
        pdf = tmp / "converted.pdf"
        convert.office_to_pdf(original, pdf, tmp)
    with_text = convert.pages_with_text(pdf)
    if all(with_text):
        # Born digital (or OCRed before): the text is there and exact; OCR would only degrade it.
        return _store(document, pdf, reuse_original=pdf == original, ocr_applied=False)
    searchable = tmp / "searchable.pdf"
    ocr.ocr_run(pdf, searchable, pages=len(with_text), tmp=tmp)
    return _store(document, searchable, reuse_original=False, ocr_applied=True)


def _download(document: Document, target: Path) -> None:
    """Copy the original out of the archive storage (which may be S3) to a local file."""
    with document.original.storage.open(document.original.name, "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def _store(document: Document, pdf: Path, *, reuse_original: bool, ocr_applied: bool) -> Document:
    """Write the PDF and the page images to the storage, then the rows in one transaction. Files of a
    previous run are removed once the new rows are committed; ours, if the rows are not."""
    storage = document.original.storage
    written: list[str] = []
    try:
        if reuse_original:
            pdf_name = document.original.name
        else:
            with open(pdf, "rb") as file:
                pdf_name = document.pdf.field.generate_filename(document, Path(document.original_name).stem[:100] + ".pdf")
                pdf_name = storage.save(pdf_name, File(file))
            written.append(pdf_name)
        pages = []
        for rendered in convert.pages_read(pdf):
            page = Page(document=document, number=rendered.number, text=rendered.text, width=rendered.width, height=rendered.height)
            page.image.save(f"{rendered.number:04d}.jpg", ContentFile(rendered.jpeg), save=False)
            written.append(page.image.name)
            pages.append(page)
        suggestions = _suggest("\n\f".join(page.text for page in pages))
        return _save(document.pk, pages=pages, pdf_name=pdf_name, ocr_applied=ocr_applied, suggestions=suggestions)
    except BaseException:
        _files_delete(storage, written)
        raise


def _save(document_id: int, *, pages: list[Page], pdf_name: str, ocr_applied: bool, suggestions: dict | None) -> Document:
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status != Document.Status.PROCESSING:
            raise _Superseded
        old_files = [name for name in document.pages.values_list("image", flat=True) if name]
        if document.pdf.name and document.pdf.name not in (pdf_name, document.original.name):
            old_files.append(document.pdf.name)
        document.pages.all().delete()
        for page in pages:
            page.document = document
        Page.objects.bulk_create(pages)
        document.pdf.name = pdf_name
        document.page_count = len(pages)
        document.ocr_applied = ocr_applied
        document.status = Document.Status.READY
        document.processed_at = timezone.now()
        document.error = ""
        fields = ["pdf", "page_count", "ocr_applied", "status", "processed_at", "error", "updated_at"]
        if suggestions is not None:
            document.suggestions = suggestions
            fields.append("suggestions")
        document.save(update_fields=fields)
        _index(document)
        storage = document.original.storage
        transaction.on_commit(lambda: _files_delete(storage, old_files))
    return document


def _suggest(text: str) -> dict | None:
    """What the text suggests for the operator (archive/metadata.py); None while it does not exist."""
    try:
        from .metadata import suggest
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.metadata":
            raise
        return None
    return suggest(text)


def _index(document: Document) -> None:
    """Put the document's text in the search index, in the transaction that saves the pages, so the
    index never shows pages that are not there (archive/search.py)."""
    try:
        from .search import index_document
    except ModuleNotFoundError as error:
        # search.py is written separately (issue #6); until it exists there is no index to update.
        if error.name != f"{__package__}.search":
            raise
        return
    index_document(document)


def _files_delete(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            log.warning("Could not delete %s from the archive storage", name, exc_info=True)


def _transient(document: Document, error: Exception) -> Document:
    reason = getattr(error, "reason", None) or _("The server could not read or write a file.")
    log.warning("Document %s: transient failure (attempt %s of %s): %s", document.pk, document.attempts, MAX_ATTEMPTS, error)
    if document.attempts >= MAX_ATTEMPTS:
        return _fail(document, reason + " " + _("Tried %(count)s times.") % {"count": document.attempts})
    _finish(document, status=Document.Status.RECEIVED, error="")
    raise ProcessingRetry(reason) from error


def _fail(document: Document, reason: str) -> Document:
    return _finish(document, status=Document.Status.FAILED, error=reason)


def _finish(document: Document, *, status: str, error: str) -> Document:
    """Leave PROCESSING for `status`, unless another job has already taken the document further."""
    with transaction.atomic():
        current = Document.objects.select_for_update().get(pk=document.pk)
        if current.status != Document.Status.PROCESSING:
            return current
        current.status = status
        current.error = error
        current.save(update_fields=["status", "error", "updated_at"])
    return current


# --- Jobs that died, and documents sent again -----------------------------------------------------


def stale_requeue() -> int:
    """Queue again the documents whose job died (PROCESSING for longer than STALE_AFTER) or never
    came (RECEIVED for longer than WAITING_AFTER); returns how many. Run by the beat every 10 minutes.

    With Redis or RabbitMQ a killed worker's job comes back by itself (acks_late); the embedded
    filesystem queue loses it, and this is what brings it back.
    """
    now = timezone.now()
    _temporary_folders_clean()
    stuck = Document.objects.filter(
        Q(status=Document.Status.PROCESSING)
        & (Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=now - STALE_AFTER))
        | Q(status=Document.Status.RECEIVED, updated_at__lt=now - WAITING_AFTER)
    )
    ids = list(stuck.order_by("updated_at").values_list("pk", flat=True)[:REQUEUE_LIMIT])
    if not ids:
        return 0
    # Waiting ones start waiting again: the next run queues them once more only if still not taken.
    Document.objects.filter(pk__in=ids, status=Document.Status.RECEIVED).update(updated_at=now)
    from .services import document_process_enqueue

    for document in Document.objects.filter(pk__in=ids).only("pk"):
        document_process_enqueue(document)
    log.warning("Queued %s document(s) again whose processing had stopped or never started", len(ids))
    return len(ids)


def orphans_requeue() -> int:
    """Queue again, at once, the documents left PROCESSING when the embedded local worker starts.

    The embedded queue has one local worker (`./run demo`, `./run worker`): when it starts, nothing
    is being processed, so a document marked PROCESSING belongs to a worker that was killed. It
    goes back to waiting (its attempts kept, so one that kills its worker again and again still
    fails) instead of waiting STALE_AFTER for stale_requeue. Brokers that re-deliver (Redis,
    RabbitMQ) do not need this, and with several workers it would be wrong: tasks.py calls it only
    for the embedded queue.
    """
    ids = list(Document.objects.filter(status=Document.Status.PROCESSING).values_list("pk", flat=True)[:REQUEUE_LIMIT])
    if not ids:
        return 0
    Document.objects.filter(pk__in=ids, status=Document.Status.PROCESSING).update(
        status=Document.Status.RECEIVED, processing_started_at=None
    )
    from .services import document_process_enqueue

    for document in Document.objects.filter(pk__in=ids).only("pk"):
        document_process_enqueue(document)
    log.warning("Queued %s document(s) again that a stopped worker had left half-processed", len(ids))
    return len(ids)


def _temporary_folders_clean() -> None:
    """Remove the temporary folders that killed jobs left on this machine (nothing cleans them when a
    worker dies); a living job's folder is never that old (see STALE_AFTER)."""
    limit = time.time() - 2 * STALE_AFTER.total_seconds()
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def document_retry(document: Document) -> Document:
    """Send a failed document through processing again, with a fresh count of attempts."""
    updated = Document.objects.filter(pk=document.pk, status=Document.Status.FAILED).update(
        status=Document.Status.RECEIVED, attempts=0, error="", updated_at=timezone.now()
    )
    if not updated:
        raise ApplicationError(_("Only a document whose processing failed can be processed again."))
    document.refresh_from_db()
    from .services import document_process_enqueue

    document_process_enqueue(document)
    return document
