"""Text recognition: the one place that says how OCRmyPDF is called.

OCRmyPDF is Debian's command (/usr/bin/ocrmypdf, on the system Python), not a library of our
virtualenv, so it runs as a program with a time limit. bench/bench_archive_ocr.py measures these
options against the settings a typical document-management system uses; see bench/README.md.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .convert import ProcessingError, ProcessingRetry, damaged_pdf, program_missing, run

log = logging.getLogger(__name__)

# Per page, on the 2-core reference machine Tesseract needs 2–5 s; a page that takes a minute is
# a page Tesseract is stuck on.
SECONDS_PER_PAGE = 60
# Never more than this for one document, so that a job older than processing.STALE_AFTER is surely
# dead (a worker that was killed), never one still working.
MAX_SECONDS = 25 * 60

# OCRmyPDF's exit codes (ocrmypdf.ExitCode).
EXIT_BAD_ARGS = 1
EXIT_INPUT_FILE = 2
EXIT_MISSING_DEPENDENCY = 3
EXIT_INVALID_OUTPUT = 4
EXIT_FILE_ACCESS = 5
EXIT_ALREADY_DONE_OCR = 6
EXIT_CHILD_PROCESS = 7
EXIT_ENCRYPTED_PDF = 8
EXIT_INVALID_CONFIG = 9
EXIT_PDFA_CONVERSION_FAILED = 10


def ocr_options(*, languages: str | None = None, jobs: int | None = None) -> list[str]:
    """socplan's OCRmyPDF options (without the file names). Why each one, measured on scanned
    Bulgarian pages (bench/bench_archive_ocr.py, figures in bench/README.md):

    - `--skip-text`: pages that already have text are kept as they are, only the others are read
      (a PDF mixing born-digital and scanned pages).
    - `--clean`: unpaper cleans the grain and specks of the scan in the image Tesseract reads (not
      in the archived image): about a fifth more CPU, a quarter fewer wrong characters.
    - `--output-type pdfa`: the archive keeps PDF/A (Ghostscript writes it).
    - `--pdfa-image-compression lossless`: Ghostscript keeps the scan's images as they are instead of
      re-encoding them: no second loss of quality.
    - `--optimize 0`: no image optimisation pass; the scans come compressed already and the pass
      costs time on every page for a few per cent of size.
    - `--fast-web-view 999999`: no linearisation (a second rewrite of the file); the viewer shows our
      page images, not the PDF.
    - no `--deskew`, `--rotate-pages`: deskewing and orientation detection cost more CPU than they
      gave back in text quality on pages laid up to 1.5° crooked (Tesseract copes with that).
    """
    options = [
        "-l",
        languages or settings.ARCHIVE_OCR_LANGUAGES,
        "--jobs",
        str(jobs or settings.ARCHIVE_OCR_JOBS),
        "--skip-text",
    ]
    if shutil.which("unpaper"):
        # Without unpaper OCRmyPDF refuses --clean; the text is a little worse but still there.
        options.append("--clean")
    return [
        *options,
        "--output-type",
        "pdfa",
        "--pdfa-image-compression",
        "lossless",
        "--optimize",
        "0",
        "--fast-web-view",
        "999999",
    ]


def ocrmypdf_program() -> str:
    return shutil.which("ocrmypdf") or "ocrmypdf"


def ocr_timeout(pages: int) -> int:
    return min(MAX_SECONDS, 120 + SECONDS_PER_PAGE * pages)


def ocr_run(source: Path, target: Path, *, pages: int, tmp: Path, options: list[str] | None = None) -> None:
    """Make `target`, a PDF/A with a text layer, from `source` (a PDF). Raises ProcessingError for a
    file OCRmyPDF refuses and ProcessingRetry for what may pass next time."""
    command = [ocrmypdf_program(), *(options if options is not None else ocr_options()), str(source), str(target)]
    result = run(command, timeout=ocr_timeout(pages), tmp=tmp, step=_("text recognition"))
    code = result.returncode
    if code == 0:
        return
    detail = result.stderr.decode("utf-8", "replace")[-3000:]
    if code == EXIT_PDFA_CONVERSION_FAILED and target.exists():
        # The PDF is good and has its text; only its PDF/A conformance could not be confirmed.
        log.warning("OCRmyPDF: %s is not valid PDF/A, kept anyway: %s", source.name, detail)
        return
    log.warning("OCRmyPDF exit %s for %s: %s", code, source.name, detail)
    if code == EXIT_ENCRYPTED_PDF:
        raise ProcessingError(_("The PDF is protected with a password; send it without the password."))
    if code == EXIT_INPUT_FILE:
        raise damaged_pdf()
    if code == EXIT_MISSING_DEPENDENCY:
        raise program_missing(_missing_program(detail))
    if code in (EXIT_BAD_ARGS, EXIT_INVALID_CONFIG):
        # Our options are wrong (a language that is not installed, say): the administrator's to fix.
        raise ProcessingError(
            _("Text recognition is not set up correctly on the server; tell the administrator.")
        )
    # Everything else (a child program that crashed or was killed, the disk, an invalid output):
    # often not the file's fault, so try again.
    raise ProcessingRetry(_("Text recognition failed (code %(code)s).") % {"code": code})


def _missing_program(detail: str) -> str:
    for program in ("tesseract", "gs", "Ghostscript", "unpaper", "pngquant", "jbig2"):
        if program.lower() in detail.lower():
            return program
    return "OCRmyPDF"
