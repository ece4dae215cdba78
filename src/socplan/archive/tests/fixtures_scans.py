"""Test pages made on the spot: Bulgarian text rendered as a scanner would see it, in every format
the archive takes (PNG, JPEG, multi-page TIFF, PDF of images, PDF with text, DOCX), plus the bad
files it must refuse (damaged, password-protected, a decompression bomb).

Used by the archive's tests and by bench/bench_archive_ocr.py; nothing here touches the database.
"""

from __future__ import annotations

import io
import random
import struct
import textwrap
import zlib

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 300
A4_PIXELS = (2480, 3508)  # A4 at 300 dpi

FORM_TEXT = (
    "ЗАЯВЛЕНИЕ-ДЕКЛАРАЦИЯ за отпускане на месечна социална помощ\n"
    "Долуподписаният Иван Петров Георгиев, ЕГН 7501020018, живущ в град Велико Търново, "
    "улица Независимост 12, моля да ми бъде отпусната месечна социална помощ "
    "по чл. 9 от Правилника за прилагане на Закона за социално подпомагане.\n"
    "Декларирам, че доходите на семейството ми за предходния месец са 320 лева.\n"
    "Дата: 12.03.2024 Подпис:"
)

# Sentences of the kind the directorates receive, for pages of varied text (the benchmark).
SENTENCES = (
    "Дирекция „Социално подпомагане“ Велико Търново приема заявлението за разглеждане.",
    "Към заявлението прилагам копие от лична карта и удостоверение за доходи.",
    "Социалният работник извърши проучване на социалния статус на лицето.",
    "Семейството се състои от двама възрастни и три деца на възраст до седем години.",
    "Месечният доход на член от семейството е по-нисък от диференцирания минимален доход.",
    "Със заповед № ЗСП/Д-ВТ/1234 от 15.04.2024 г. е отпусната целева помощ за отопление.",
    "Лицето няма право на помощ, тъй като притежава моторно превозно средство.",
    "Заповедта подлежи на обжалване пред директора на Регионалната дирекция в 14-дневен срок.",
    "Детето е настанено в приемно семейство по реда на Закона за закрила на детето.",
    "Майката получава еднократна помощ при раждане на второ дете в размер на 1500 лева.",
    "Уведомяваме Ви, че в срок до 30.06.2024 г. следва да представите липсващите документи.",
    "Социален доклад за оценка на потребностите от подкрепа на лице с увреждания.",
    "Степента на увреждане според експертното решение на ТЕЛК е 75 процента.",
    "Получател: Мария Стоянова Димитрова, ЕГН 8206154432, село Самоводене.",
    "Входящ номер ДСП-ВТ-00123/05.02.2024, регистриран от гише за административно обслужване.",
    "Помощта се изплаща по банкова сметка в Общинска банка или чрез пощенски запис.",
    "Проверката установи, че лицето не е регистрирано в Агенцията по заетостта.",
    "Протокол от заседание на Комисията за закрила на детето при община Горна Оряховица.",
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def page_image(
    text: str,
    *,
    size: tuple[int, int] = A4_PIXELS,
    font_size: int = 46,
    angle: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """`text` set on a white page in DejaVu Sans, as a grey-scale scan (mode "L", 300 dpi).

    `angle` tilts the page like a sheet laid crooked on the glass; `noise` (0–1) adds the grain and
    softness of a cheap scanner.
    """
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = _font(font_size)
    margin = size[0] // 12
    width_chars = int((size[0] - 2 * margin) / (font_size * 0.55))
    y = margin
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, width_chars) or [""]:
            draw.text((margin, y), line, font=font, fill=0)
            y += int(font_size * 1.5)
        y += font_size // 2
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    if noise:
        rng = random.Random(seed)
        grain = Image.effect_noise(size, 40 * noise)
        page = Image.blend(page, grain, 0.12 * noise)
        page = page.filter(ImageFilter.GaussianBlur(0.6 * noise))
        # A few specks of dust, as on any glass.
        draw = ImageDraw.Draw(page)
        for _ in range(int(200 * noise)):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            r = rng.choice((1, 1, 2, 3))
            draw.ellipse((x, y, x + r, y + r), fill=rng.randrange(0, 90))
    page.info["dpi"] = (DPI, DPI)
    return page


def page_texts(count: int, *, seed: int = 1, sentences: int = 14) -> list[str]:
    """`count` different pages of text (the first is the application form), reproducibly."""
    rng = random.Random(seed)
    texts = [FORM_TEXT]
    while len(texts) < count:
        chosen = [rng.choice(SENTENCES) for _ in range(sentences)]
        texts.append("\n".join(" ".join(chosen[i : i + 2]) for i in range(0, len(chosen), 2)))
    return texts[:count]


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", dpi=image.info.get("dpi", (DPI, DPI)))
    return out.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, dpi=image.info.get("dpi", (DPI, DPI)))
    return out.getvalue()


def tiff_bytes(images: list[Image.Image]) -> bytes:
    """A multi-page TIFF, as document scanners write it (one frame per page)."""
    out = io.BytesIO()
    images[0].save(
        out, "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw", dpi=(DPI, DPI)
    )
    return out.getvalue()


def image_pdf_bytes(images: list[Image.Image]) -> bytes:
    """A PDF whose pages are pictures only (no text layer): what most scanners send."""
    import img2pdf

    layout = img2pdf.get_fixed_dpi_layout_fun((DPI, DPI))
    return img2pdf.convert([png_bytes(image) for image in images], layout_fun=layout)


def text_pdf_bytes(paragraphs: list[str]) -> bytes:
    """A PDF with real text (one page per paragraph), as a word processor writes it."""
    from html import escape

    from weasyprint import HTML

    body = "".join(
        f'<section style="page-break-after: always"><p>{escape(p)}</p></section>' for p in paragraphs
    )
    html = f'<html><body style="font-family: DejaVu Sans; font-size: 12pt">{body}</body></html>'
    return HTML(string=html).write_pdf()


def docx_bytes(paragraphs: list[str]) -> bytes:
    from docx import Document

    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def encrypted_pdf_bytes(password: str = "tajna") -> bytes:
    """A PDF that opens only with a password (what a bank or a court sometimes sends)."""
    import pikepdf

    source = pikepdf.open(io.BytesIO(text_pdf_bytes(["Поверително"])))
    out = io.BytesIO()
    source.save(out, encryption=pikepdf.Encryption(user=password, owner=password + "-owner", R=6))
    return out.getvalue()


def corrupt_pdf_bytes() -> bytes:
    """Starts like a PDF (so it passes the check at the door) but is a broken download."""
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + bytes(range(256)) * 8


def bomb_png_bytes(side: int = 40_000) -> bytes:
    """A valid PNG of side × side one-bit pixels that is only a few hundred KB on disk.

    1.6 gigapixels decoded: the kind of file that exhausts a worker's memory if opened blindly.
    Written by hand, row by row, so making it costs no memory either.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grey-scale
    row = b"\x00" + b"\xff" * ((side + 7) // 8)  # filter byte, then a white row
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
