"""Turning a stored file into a PDF and reading a PDF's pages: the file-level steps of processing.

Nothing here touches the database or the archive storage: every function works on local paths in
a temporary folder that processing.py owns. Errors come out as two kinds:

- ProcessingError: the file itself is the problem (damaged, password-protected, absurdly large);
  trying again will not help, the document fails at once with the reason for the operator.
- ProcessingRetry: something around the file failed (a time-out, the disk, a program that was
  killed); the job is tried again later.

Each carries its reason already translated (the caller activates the site's language).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import signal
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageSequence

log = logging.getLogger(__name__)

# The largest page image taken: an A2 sheet at 600 dpi is 140 megapixels. Anything bigger is a
# mistake or a decompression bomb, and decoding it would take gigabytes of the worker's memory.
MAX_PIXELS = 150_000_000
# LibreOffice converts an ordinary document in a few seconds; a minute and more means it hangs.
OFFICE_TIMEOUT = 180
# The page images the viewer shows: about 120 dpi, never wider or taller than this.
VIEW_DPI = 120
VIEW_MAX_SIDE = 2000
VIEW_JPEG_QUALITY = 72


class ProcessingError(Exception):
    """The file cannot be processed; trying again will not help. `reason` is for the operator."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProcessingRetry(Exception):
    """A transient failure (time-out, I/O, a killed program): the job is tried again later."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProgramMissing(ProcessingError):
    """A program the processing needs is not installed: the administrator must act."""


def program_missing(program: str) -> ProgramMissing:
    return ProgramMissing(
        _("A program needed for processing is not installed on the server (%(program)s); tell the administrator.")
        % {"program": program}
    )


def timeout_retry(step: str) -> ProcessingRetry:
    return ProcessingRetry(_("Processing took too long (%(step)s).") % {"step": step})


def subprocess_env(tmp: Path) -> dict[str, str]:
    """The environment for external programs: ours without the virtualenv's Python settings (Debian's
    ocrmypdf runs on the system Python) and with temporary files kept in our own folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["TMPDIR"] = str(tmp)
    return env


def run(command: list[str], *, timeout: float, tmp: Path, step: str) -> subprocess.CompletedProcess:
    """Run an external program in its own process group; on time-out kill the whole group (OCRmyPDF
    and LibreOffice start children that would otherwise go on using the CPU)."""
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=subprocess_env(tmp),
            cwd=tmp,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    except FileNotFoundError:
        raise program_missing(command[0]) from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise timeout_retry(step) from None
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _die_with_parent() -> None:
    """In the child, before the program starts: if the worker is killed (SIGKILL, the OOM killer), the
    kernel kills the program too, instead of leaving it to run on with nobody waiting for it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the time-out still bounds the program


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


# --- What the file is -------------------------------------------------------------------------


def kind_detect(path: Path) -> str:
    """"pdf", "image" or "office", from the file's first bytes (its name may lie)."""
    with open(path, "rb") as file:
        head = file.read(8)
    if not head:
        raise ProcessingError(_("The file is empty."))
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return "office"
    # Some PDF writers put a few bytes before the header; PDF readers accept up to 1 KB of them.
    with open(path, "rb") as file:
        if b"%PDF-" in file.read(1024):
            return "pdf"
    raise ProcessingError(_("Files of this kind cannot be processed."))


# --- To PDF ------------------------------------------------------------------------------------


def pdf_open(path: Path):
    """The PDF opened with PDFium; a damaged or password-protected file is a ProcessingError."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise ProcessingError(_("The PDF is protected with a password; send it without the password.")) from None
        raise damaged_pdf() from None
    if len(pdf) == 0:
        pdf.close()
        raise ProcessingError(_("The file has no pages."))
    return pdf


def damaged_pdf() -> ProcessingError:
    return ProcessingError(_("The PDF file is damaged and cannot be read; send it again or scan the paper again."))


def image_to_pdf(source: Path, target: Path) -> None:
    """A scan (PNG, JPEG, TIFF with any number of pages) as a PDF of its images, without re-encoding
    them (img2pdf), so OCR sees exactly what the scanner saw."""
    import img2pdf

    frames = image_frames_check(source)
    try:
        data = img2pdf.convert(str(source), layout_fun=_layout, rotation=img2pdf.Rotation.ifvalid)
    except (img2pdf.AlphaChannelError, img2pdf.ImageOpenError, ValueError, OSError, Image.DecompressionBombError) as error:
        # Transparency, odd bit depths and the like: decode with Pillow and store losslessly.
        log.info("img2pdf refused %s (%s); converting the %d frame(s) with Pillow", source.name, error, frames)
        data = img2pdf.convert(list(_frames_as_png(source)), layout_fun=_layout)
    target.write_bytes(data)


def image_frames_check(source: Path) -> int:
    """The number of frames (pages) of the image; refuses damaged images and decompression bombs
    before anything decodes their pixels."""
    try:
        with warnings.catch_warnings():
            # The limit is ours (MAX_PIXELS); Pillow's own warning below it would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                frames = 0
                for frame in ImageSequence.Iterator(image):
                    frames += 1
                    width, height = frame.size
                    if width * height > MAX_PIXELS:
                        raise image_too_large(width * height)
                return frames
    except Image.DecompressionBombError:
        raise image_too_large(None) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ProcessingError(_("The image file is damaged or of an unknown kind; scan the paper again.")) from None


def image_too_large(pixels: int | None) -> ProcessingError:
    if pixels is None:
        return ProcessingError(_("The image is far too large to process; scan the paper again at 300 dpi."))
    return ProcessingError(
        _("The image is too large (%(mpx)s megapixels); scan the paper again at 300 dpi.") % {"mpx": pixels // 1_000_000}
    )


def _frames_as_png(source: Path) -> Iterator[bytes]:
    with Image.open(source) as image:
        for frame in ImageSequence.Iterator(image):
            frame = frame.convert("RGBA") if frame.mode in ("P", "PA", "LA", "RGBA") else frame
            if frame.mode == "RGBA":
                flat = Image.new("RGB", frame.size, "white")
                flat.paste(frame, mask=frame.getchannel("A"))
                frame = flat
            elif frame.mode not in ("1", "L", "RGB"):
                frame = frame.convert("RGB")
            out = io.BytesIO()
            frame.save(out, "PNG", dpi=image.info.get("dpi", (0, 0)))
            yield out.getvalue()


def _layout(width_px: int, height_px: int, dpi: tuple[float, float]):
    """img2pdf's page size: the scanner's resolution when it wrote a believable one; otherwise (a phone
    photo says 72 dpi, a screenshot nothing) treat the picture as an A4 page, so the viewer and OCR
    see a page of ordinary size."""
    xdpi, ydpi = dpi or (0, 0)
    if not (150 <= xdpi <= 1200 and 150 <= ydpi <= 1200):
        xdpi = ydpi = max(72.0, max(width_px, height_px) / 11.69)
    width_pt, height_pt = width_px * 72.0 / xdpi, height_px * 72.0 / ydpi
    return width_pt, height_pt, width_pt, height_pt


def office_to_pdf(source: Path, target: Path, tmp: Path) -> None:
    """A DOCX or ODT as PDF/A-2b through LibreOffice, in a profile of its own (two conversions at once
    with a shared profile block each other) and with a time limit."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise program_missing("LibreOffice (soffice)")
    outdir = tmp / "office"
    outdir.mkdir(exist_ok=True)
    # PDF/A-2b directly: the document already has its text, so no OCR and no Ghostscript pass.
    export = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
    result = run(
        [
            soffice,
            f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            export,
            "--outdir",
            str(outdir),
            str(source),
        ],
        timeout=OFFICE_TIMEOUT,
        tmp=tmp,
        step="LibreOffice",
    )
    produced = outdir / (source.stem + ".pdf")
    if result.returncode != 0 or not produced.exists() or produced.stat().st_size == 0:
        log.warning("LibreOffice could not convert %s (exit %s): %s", source.name, result.returncode, result.stderr[-2000:])
        raise ProcessingError(_("The document could not be converted to PDF; save it as PDF and send it again."))
    produced.replace(target)


# --- Reading the PDF ---------------------------------------------------------------------------


def pages_with_text(path: Path) -> list[bool]:
    """For every page, whether it already has a text layer (a born-digital page, or one OCRed before)."""
    pdf = pdf_open(path)
    try:
        return [bool(_page_text(pdf[i]).strip()) for i in range(len(pdf))]
    finally:
        pdf.close()


def _page_text(page) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()


@dataclass
class RenderedPage:
    number: int
    text: str
    jpeg: bytes
    width: int
    height: int


def pages_read(path: Path) -> Iterator[RenderedPage]:
    """Each page's text and its image for the viewer, one page at a time (a 300-page dossier is never
    in memory at once)."""
    pdf = pdf_open(path)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                width_pt, height_pt = page.get_size()
                scale = min(VIEW_DPI / 72.0, VIEW_MAX_SIDE / max(width_pt, height_pt, 1.0))
                bitmap = page.render(scale=scale, may_draw_forms=True)
                image = bitmap.to_pil()
                if image.mode not in ("L", "RGB"):
                    image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, "JPEG", quality=VIEW_JPEG_QUALITY, optimize=True, progressive=True)
                text = _page_text(page).replace("\r\n", "\n").replace("\x00", "")  # PostgreSQL refuses NUL
                yield RenderedPage(index + 1, text, out.getvalue(), image.width, image.height)
            finally:
                page.close()
    finally:
        pdf.close()
