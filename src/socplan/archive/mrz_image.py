"""Reading the machine-readable zone from a scanned identity card (an image or a PDF page).

Tesseract reads the zone with only the zone's characters allowed (A–Z, 0–9 and "<"), in the
bottom part of the card first, where TD1 prints it; `mrz.parse` then repairs the usual OCR
confusions and checks every digit.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from . import mrz

ALLOWED = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
TIMEOUT = 60


def _ocr(image: Image.Image) -> str:
    with tempfile.TemporaryDirectory(prefix="socplan-mrz-") as folder:
        path = Path(folder) / "zone.png"
        image.save(path)
        result = subprocess.run(
            ["tesseract", str(path), "stdout", "-l", "eng", "--psm", "6", "-c", f"tessedit_char_whitelist={ALLOWED}"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    return result.stdout


def image_read(data: bytes) -> mrz.CardData:
    """The card data of the zone found in an image; raises mrz.MRZError when no zone is read."""
    if shutil.which("tesseract") is None:
        raise mrz.MRZError(_("Text recognition (Tesseract) is not installed on the server."))
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, Image.DecompressionBombError) as error:
        raise mrz.MRZError(_("The image could not be read.")) from error
    image = ImageOps.exif_transpose(image).convert("L")
    if image.width < 1200:
        # Tesseract reads small print better enlarged.
        scale = 1200 / image.width
        image = image.resize((1200, round(image.height * scale)), Image.Resampling.LANCZOS)
    attempts = [image.crop((0, image.height // 2, image.width, image.height)), image]
    last_error = None
    for part in attempts:
        try:
            return mrz.parse(_ocr(part))
        except mrz.MRZError as error:
            last_error = error
    raise last_error
