"""Processing archived documents: conversion to PDF, OCR of Bulgarian scans, failures and retries.

The OCR tests run the real OCRmyPDF and Tesseract (CI installs them); the rest use files that
already have text, so they need neither.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone, translation
from django.utils.translation import gettext

from socplan.archive import convert, ocr, processing, services
from socplan.archive.models import Document, Page

from . import fixtures_scans as scans
from .conftest import pdf_file

needs_ocr = pytest.mark.skipif(shutil.which("ocrmypdf") is None, reason="OCRmyPDF is not installed (Debian package ocrmypdf)")
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed (Debian package libreoffice-writer-nogui)"
)

SECOND_PAGE = "СОЦИАЛЕН ДОКЛАД\nСемейството се състои от двама възрастни и три деца. Подпомагане по чл. 12."


def bg(message: str) -> str:
    """`message` as processing writes it: in the site's language."""
    with translation.override("bg"):
        return gettext(message)


@pytest.fixture(scope="module")
def form_page():
    return scans.page_image(scans.FORM_TEXT, angle=0.6, noise=0.3)


@pytest.fixture(scope="module")
def second_page():
    return scans.page_image(SECOND_PAGE, angle=-0.4, noise=0.3, seed=2)


@pytest.fixture
def ingest(vtr_dsp, django_capture_on_commit_callbacks):
    """Store a file as staff would upload it and run its processing (eagerly, once committed)."""

    def ingest(name: str, data: bytes) -> Document:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.document_ingest(directorate=vtr_dsp, file=ContentFile(data, name=name), source=Document.Source.UPLOAD)
        result.document.refresh_from_db()
        return result.document

    return ingest


@pytest.fixture
def retries_run(monkeypatch):
    """Celery's eager mode runs a retried task again at once, but only when errors do not propagate
    (the test settings make them propagate)."""
    from socplan.config.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def words(document: Document) -> str:
    return " ".join(" ".join(page.text.split()) for page in document.pages.order_by("number"))


def storage_sha256(name: str) -> str:
    with storages["archive"].open(name, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def assert_form_read(text: str) -> None:
    for word in ("ЗАЯВЛЕНИЕ-ДЕКЛАРАЦИЯ", "месечна", "социална", "помощ", "Георгиев", "7501020018", "Търново"):
        assert word in text, f"{word!r} not found in the OCR text: {text[:300]!r}"


def assert_ready(document: Document, pages: int) -> None:
    assert document.status == Document.Status.READY, document.error
    assert document.page_count == pages
    assert list(document.pages.values_list("number", flat=True)) == list(range(1, pages + 1))
    assert document.error == ""
    assert document.processed_at is not None
    with storages["archive"].open(document.pdf.name, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    for page in document.pages.all():
        assert page.width > 0 and page.height > 0
        with storages["archive"].open(page.image.name, "rb") as image:
            assert image.read(3) == b"\xff\xd8\xff"  # JPEG
    # The original is never touched.
    assert storage_sha256(document.original.name) == document.sha256


# --- OCR of scans ----------------------------------------------------------------------------------


@needs_ocr
def test_png_scan_is_recognised_into_a_searchable_pdfa(ingest, form_page):
    document = ingest("zayavlenie.png", scans.png_bytes(form_page))

    assert_ready(document, 1)
    assert document.ocr_applied
    assert_form_read(words(document))
    with storages["archive"].open(document.pdf.name, "rb") as pdf:
        assert b"pdfaid" in pdf.read()  # PDF/A identification in the XMP metadata
    assert document.pdf.name != document.original.name
    assert "7501020018" in str(document.suggestions) or document.suggestions == {}


@needs_ocr
def test_multi_page_tiff_gives_a_page_each(ingest, form_page, second_page):
    document = ingest("scan.tiff", scans.tiff_bytes([form_page, second_page]))

    assert_ready(document, 2)
    first, second = document.pages.order_by("number")
    assert_form_read(" ".join(first.text.split()))
    assert "СОЦИАЛЕН ДОКЛАД" in second.text and "Семейството" in second.text


@needs_ocr
def test_pdf_of_scanned_images_is_recognised(ingest, form_page):
    document = ingest("scan.pdf", scans.image_pdf_bytes([form_page]))

    assert_ready(document, 1)
    assert document.ocr_applied
    assert_form_read(words(document))


@needs_ocr
def test_jpeg_photo_without_resolution_is_recognised(ingest, form_page):
    photo = form_page.copy()
    photo.info.pop("dpi", None)
    import io

    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)  # no dpi: a phone photo of the paper
    document = ingest("snimka.jpg", out.getvalue())

    assert_ready(document, 1)
    assert_form_read(words(document))


# --- Files that have text already -------------------------------------------------------------------


def test_pdf_with_a_text_layer_is_not_recognised_again(ingest):
    document = ingest("dokument.pdf", scans.text_pdf_bytes([scans.FORM_TEXT, SECOND_PAGE]))

    assert_ready(document, 2)
    assert not document.ocr_applied
    # The original is the searchable PDF: no second copy of it.
    assert document.pdf.name == document.original.name
    assert_form_read(document.pages.get(number=1).text.replace("\n", " "))


@needs_soffice
def test_docx_is_converted_to_pdf_with_its_text(ingest):
    document = ingest("zayavlenie.docx", scans.docx_bytes(["ЗАЯВЛЕНИЕ за отпускане на еднократна помощ", "ЕГН 7501020018"]))

    assert_ready(document, 1)
    assert not document.ocr_applied
    assert "еднократна помощ" in words(document) and "7501020018" in words(document)
    with storages["archive"].open(document.pdf.name, "rb") as pdf:
        assert b"pdfaid" in pdf.read()  # LibreOffice wrote PDF/A-2b


# --- Files that cannot be processed -------------------------------------------------------------------


def test_each_bad_file_fails_with_its_reason_and_the_rest_of_the_batch_is_processed(
    vtr_dsp, django_capture_on_commit_callbacks
):
    files = [
        ContentFile(scans.corrupt_pdf_bytes(), name="povreden.pdf"),
        ContentFile(scans.encrypted_pdf_bytes(), name="s-parola.pdf"),
        ContentFile(scans.bomb_png_bytes(), name="bomba.png"),
        ContentFile(scans.text_pdf_bytes(["Последният документ от партидата"]), name="dobar.pdf"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch, results = services.batch_ingest(directorate=vtr_dsp, files=files, source=Document.Source.UPLOAD)

    documents = {d.original_name: d for d in batch.documents.all()}
    assert documents["povreden.pdf"].status == Document.Status.FAILED
    assert documents["povreden.pdf"].error == bg(
        "The PDF file is damaged and cannot be read; send it again or scan the paper again."
    )
    assert documents["s-parola.pdf"].status == Document.Status.FAILED
    assert documents["s-parola.pdf"].error == bg("The PDF is protected with a password; send it without the password.")
    assert documents["bomba.png"].status == Document.Status.FAILED
    assert "300 dpi" in documents["bomba.png"].error
    assert documents["dobar.pdf"].status == Document.Status.READY
    for document in documents.values():
        assert storage_sha256(document.original.name) == document.sha256
        if document.status == Document.Status.FAILED:
            assert document.attempts == 1  # failed at once: retrying would not help
            assert not document.pages.exists() and not document.pdf


def test_empty_file_fails(vtr_dsp):
    # Refused at ingestion normally; a file emptied in the storage must still not break the worker.
    document = Document(directorate=vtr_dsp, sha256="0" * 64, original_name="prazen.pdf", source=Document.Source.UPLOAD)
    document.original.save("prazen.pdf", ContentFile(b""), save=False)
    document.save()

    processing.document_process(document.pk)

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.error == bg("The file is empty.")


def test_an_image_bigger_than_the_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(convert, "MAX_PIXELS", 1000)
    path = tmp_path / "big.png"
    path.write_bytes(scans.png_bytes(scans.page_image("x", size=(100, 100))))

    with pytest.raises(convert.ProcessingError, match="300 dpi"):
        convert.image_to_pdf(path, tmp_path / "out.pdf")


@needs_ocr
def test_missing_tesseract_fails_with_a_reason_for_the_administrator(ingest, form_page, tmp_path, monkeypatch):
    # A PATH with OCRmyPDF and Ghostscript but no Tesseract.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("ocrmypdf", "gs"):
        os.symlink(shutil.which(program), bin_dir / program)
    monkeypatch.setenv("PATH", str(bin_dir))

    document = ingest("scan.png", scans.png_bytes(form_page))

    assert document.status == Document.Status.FAILED
    assert "tesseract" in document.error
    assert document.attempts == 1


# --- Transient failures, retries, dead jobs ------------------------------------------------------------


def test_transient_failure_is_retried_and_then_succeeds(ingest, monkeypatch, retries_run):
    real = convert.pages_with_text
    calls = []

    def flaky(path):
        calls.append(path)
        if len(calls) == 1:
            raise OSError("NFS server not responding")
        return real(path)

    monkeypatch.setattr(convert, "pages_with_text", flaky)

    document = ingest("dokument.pdf", scans.text_pdf_bytes(["Документ след втори опит"]))

    assert_ready(document, 1)
    assert document.attempts == 2
    assert len(calls) == 2


def test_transient_failure_fails_after_three_attempts(ingest, monkeypatch, retries_run):
    def stuck(*args, **kwargs):
        raise convert.timeout_retry("LibreOffice")

    monkeypatch.setattr(convert, "pages_with_text", stuck)

    document = ingest("dokument.pdf", scans.text_pdf_bytes(["Документ, който не минава"]))

    assert document.status == Document.Status.FAILED
    assert document.attempts == processing.MAX_ATTEMPTS
    with translation.override("bg"):
        assert document.error.startswith(gettext("Processing took too long (%(step)s).") % {"step": "LibreOffice"})
    assert storage_sha256(document.original.name) == document.sha256


def test_ocr_time_out_kills_the_program_and_asks_for_a_retry(tmp_path, monkeypatch):
    slow = tmp_path / "slow-ocr"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setattr(ocr, "ocrmypdf_program", lambda: str(slow))
    monkeypatch.setattr(ocr, "ocr_timeout", lambda pages: 1)

    with pytest.raises(convert.ProcessingRetry):
        ocr.ocr_run(tmp_path / "in.pdf", tmp_path / "out.pdf", pages=1, tmp=tmp_path)


def test_failed_document_can_be_retried(ingest, monkeypatch, django_capture_on_commit_callbacks):
    def broken(path):
        raise convert.ProcessingError("broken")

    with monkeypatch.context() as patch:
        patch.setattr(convert, "pages_with_text", broken)
        document = ingest("dokument.pdf", scans.text_pdf_bytes(["Документ за повторна обработка"]))
    assert document.status == Document.Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        processing.document_retry(document)

    document.refresh_from_db()
    assert_ready(document, 1)
    assert document.attempts == 1


def test_only_a_failed_document_can_be_retried(ingest):
    from socplan.core.exceptions import ApplicationError

    document = ingest("dokument.pdf", scans.text_pdf_bytes(["Готов документ"]))

    with pytest.raises(ApplicationError):
        processing.document_retry(document)


def test_processing_again_replaces_the_pages_and_their_images(ingest, django_capture_on_commit_callbacks):
    document = ingest("dokument.pdf", scans.text_pdf_bytes(["Първа", "Втора"]))
    old_images = list(document.pages.values_list("image", flat=True))
    Document.objects.filter(pk=document.pk).update(status=Document.Status.RECEIVED)

    with django_capture_on_commit_callbacks(execute=True):
        processing.document_process(document.pk)

    document.refresh_from_db()
    assert_ready(document, 2)
    assert Page.objects.filter(document=document).count() == 2
    assert not any(storages["archive"].exists(name) for name in old_images)


def test_a_job_for_a_document_being_processed_does_nothing(ingest):
    document = ingest("dokument.pdf", scans.text_pdf_bytes(["Документ"]))
    Document.objects.filter(pk=document.pk).update(status=Document.Status.PROCESSING, processing_started_at=timezone.now())

    assert processing.document_process(document.pk) is None
    document.refresh_from_db()
    assert document.status == Document.Status.PROCESSING


def test_stale_jobs_and_forgotten_documents_are_queued_again(ingest, django_capture_on_commit_callbacks):
    dead = ingest("mrtav.pdf", scans.text_pdf_bytes(["Работникът умря"]))
    alive = ingest("jiv.pdf", scans.text_pdf_bytes(["Работникът работи"]))
    forgotten = ingest("zabraven.pdf", scans.text_pdf_bytes(["Задачата се изгуби"]))
    long_ago = timezone.now() - processing.STALE_AFTER - timedelta(minutes=1)
    Document.objects.filter(pk=dead.pk).update(status=Document.Status.PROCESSING, processing_started_at=long_ago)
    Document.objects.filter(pk=alive.pk).update(status=Document.Status.PROCESSING, processing_started_at=timezone.now())
    Document.objects.filter(pk=forgotten.pk).update(status=Document.Status.RECEIVED, updated_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert processing.stale_requeue() == 2

    for document in (dead, alive, forgotten):
        document.refresh_from_db()
    assert dead.status == Document.Status.READY and dead.attempts == 2
    assert forgotten.status == Document.Status.READY
    assert alive.status == Document.Status.PROCESSING
    assert Page.objects.filter(document=dead).count() == 1


def test_a_document_that_keeps_killing_its_worker_fails(ingest, django_capture_on_commit_callbacks):
    document = ingest("otrova.pdf", scans.text_pdf_bytes(["Документ"]))
    long_ago = timezone.now() - processing.STALE_AFTER - timedelta(minutes=1)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.PROCESSING, processing_started_at=long_ago, attempts=processing.MAX_ATTEMPTS
    )

    with django_capture_on_commit_callbacks(execute=True):
        processing.stale_requeue()

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert "3" in document.error


def test_kind_is_read_from_the_content_not_the_name(tmp_path):
    path = tmp_path / "pismo.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert convert.kind_detect(path) == "image"
    path.write_bytes(b"GIF89a....")
    with pytest.raises(convert.ProcessingError):
        convert.kind_detect(path)


def test_ocr_options_use_the_configured_languages_and_jobs(settings):
    settings.ARCHIVE_OCR_LANGUAGES = "bul"
    settings.ARCHIVE_OCR_JOBS = 3
    options = ocr.ocr_options()
    assert options[:4] == ["-l", "bul", "--jobs", "3"]
    assert "--skip-text" in options and "pdfa" in options


def test_page_images_are_modest(tmp_path):
    path = tmp_path / "a4.pdf"
    path.write_bytes(scans.text_pdf_bytes(["Страница"]))
    (page,) = convert.pages_read(path)
    # A4 at 120 dpi: about 990 × 1400 pixels.
    assert 900 < page.width < 1100 and 1300 < page.height < 1500
    assert len(page.jpeg) < 300_000


@pytest.mark.django_db
def test_temporary_folders_of_killed_jobs_are_removed(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old, recent = tmp_path / f"{processing.TEMP_PREFIX}old", tmp_path / f"{processing.TEMP_PREFIX}recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "original.pdf").write_bytes(b"%PDF")
    long_ago = (timezone.now() - 3 * processing.STALE_AFTER).timestamp()
    os.utime(old, (long_ago, long_ago))

    processing.stale_requeue()

    assert not old.exists() and recent.exists()


def test_a_document_left_processing_goes_back_to_waiting_when_the_local_worker_starts(vtr_dsp, no_processing):
    from socplan.archive import processing
    from socplan.archive.tasks import _orphans_requeue

    document = services.document_ingest(directorate=vtr_dsp, file=pdf_file("orphan.pdf"), source=Document.Source.UPLOAD).document
    Document.objects.filter(pk=document.pk).update(status=Document.Status.PROCESSING, attempts=1, processing_started_at=timezone.now())
    no_processing.clear()
    _orphans_requeue()
    document.refresh_from_db()
    assert (document.status, document.attempts, no_processing) == (Document.Status.RECEIVED, 1, [document.pk])
    assert processing.orphans_requeue() == 0
