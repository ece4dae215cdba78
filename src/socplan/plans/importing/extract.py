"""File bytes → a flat list of text blocks (paragraphs, table cells, lines), in reading order.

The type is decided from the content, not from the name: people rename files, save a DOC as
"….docx" or upload a scan as "….pdf", and the message they get should say what the file really is.
Every failure is an ImportFileError with a Bulgarian and an English message, so that a view can show
it as is and the management command can print it.

DOCX and ODT are read straight from their XML (lxml, which python-docx already needs) rather than
through python-docx: the body has to be walked in document order including content controls
(a Word table of contents sits in a w:sdt, which python-docx's iterators do not enter), and the
direct walk is several times faster on a 150-page strategy.
"""

from __future__ import annotations

import codecs
import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

__all__ = ["MAX_IMPORT_BYTES", "Block", "ImportFileError", "extract_blocks"]

# Strategies with photos and annexes reach 20–30 MB; more than this is almost surely not one document.
MAX_IMPORT_BYTES = 50 * 1024 * 1024
# A part of a DOCX/ODT (its XML) may not unpack to more than this many times the upload limit:
# a 500-page strategy's document.xml is some 30 MB, so 200 MB is a zip bomb, not a document.
_MAX_PART_FACTOR = 4
SOFFICE_TIMEOUT = 180  # seconds; a 300-page DOC converts in well under a minute


@dataclass
class Block:
    """One unit of text as the document lays it out: a paragraph, a table cell paragraph, a line."""

    text: str
    style: str = ""  # paragraph style name, e.g. "Heading 2", "Заглавие 2", "TOC 1"
    in_table: bool = False
    page: int | None = None  # 1-based, only where the format has pages (PDF, text with form feeds)
    list_item: bool = False  # a bulleted/numbered list paragraph whose bullet is not in the text


class ImportFileError(Exception):
    """The file cannot be read as a document; the message says why in Bulgarian and English."""

    def __init__(self, message_bg: str, message_en: str, code: str = "invalid") -> None:
        self.message_bg = message_bg
        self.message_en = message_en
        self.code = code  # stable, for views and tests: empty, too_large, not_document, …
        super().__init__(f"{message_bg} / {message_en}")

    def __str__(self) -> str:
        return f"{self.message_bg} / {self.message_en}"


def _error(code: str) -> ImportFileError:
    bg, en = _MESSAGES[code]
    return ImportFileError(bg, en, code)


_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("Файлът е празен.", "The file is empty."),
    "no_text": ("Документът не съдържа текст.", "The document contains no text."),
    "not_document": (
        "Файлът не е текстов документ. Качете DOCX, DOC, ODT, PDF с текстов слой или TXT.",
        "The file is not a text document. Upload a DOCX, DOC, ODT, PDF with a text layer or TXT.",
    ),
    "encrypted_pdf": (
        "PDF файлът е защитен с парола. Премахнете защитата и го качете отново.",
        "The PDF is password-protected. Remove the protection and upload it again.",
    ),
    "encrypted_office": (
        "Документът е защитен с парола. Запишете го без парола и го качете отново.",
        "The document is password-protected. Save it without a password and upload it again.",
    ),
    "no_text_layer": (
        (
            "PDF файлът няма текстов слой (вероятно е сканиран). Нужно е разпознаване на текст (OCR) "
            "или PDF с текстов слой, напр. запазен директно от Word."
        ),
        (
            "The PDF has no text layer (it is probably a scan). It needs text recognition (OCR), or a "
            "PDF with a text layer, e.g. saved directly from Word."
        ),
    ),
    "corrupt": (
        "Файлът е повреден или непълен и не може да бъде прочетен.",
        "The file is damaged or incomplete and cannot be read.",
    ),
    "needs_libreoffice": (
        (
            "За файлове във формат DOC/RTF е нужен LibreOffice на сървъра. Запишете документа като "
            "DOCX и го качете отново."
        ),
        "DOC/RTF files need LibreOffice on the server. Save the document as DOCX and upload it again.",
    ),
    "conversion_failed": (
        "Документът не можа да бъде преобразуван от LibreOffice (повреден или защитен с парола).",
        "LibreOffice could not convert the document (it is damaged or password-protected).",
    ),
}


def _too_large(limit: int) -> ImportFileError:
    mb = limit / (1024 * 1024)
    size = f"{mb:g} MB" if mb >= 1 else f"{limit} B"
    return ImportFileError(
        f"Файлът е твърде голям (над {size}).", f"The file is too large (over {size}).", "too_large"
    )


def extract_blocks(data: bytes, filename: str) -> list[Block]:
    """Read the document in `data`. The type comes from the content; `filename` only decides whether
    bytes that are no document at all are reported as a damaged document or as a wrong file."""
    if not data:
        raise _error("empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large(MAX_IMPORT_BYTES)
    kind = _sniff(data)
    if kind == "pdf":
        blocks = _pdf_blocks(data)
    elif kind == "zip":
        blocks = _zip_blocks(data)
    elif kind == "ole":
        blocks = _ole_blocks(data)
    elif kind == "rtf":
        blocks = _docx_blocks(_convert_with_soffice(data, ".rtf"))
    else:
        try:
            text = _decode_text(data)
        except ImportFileError as exc:
            # A ".docx" or ".pdf" that is neither is more likely damaged than a wrong kind of file.
            if exc.code == "not_document" and PurePosixPath(filename.lower()).suffix in _DOCUMENT_SUFFIXES:
                raise _error("corrupt") from None
            raise
        blocks = _text_blocks(text)
    if not any(b.text.strip() for b in blocks):
        raise _error("no_text")
    return blocks


# --- type detection ----------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Formats people upload by mistake; named so that the message is not just "not a document".
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"\x7fELF", "ELF"),
    (b"MZ", "EXE"),
)


_DOCUMENT_SUFFIXES = frozenset({".docx", ".docm", ".doc", ".odt", ".pdf", ".rtf", ".xlsx"})


def _sniff(data: bytes) -> str:
    head = data[:8]
    if data[:1024].find(b"%PDF-") != -1:  # some producers put junk before the header; readers accept it
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head == _OLE_MAGIC:
        return "ole"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    for magic, name in _BINARY_MAGIC:
        # "MZ"/"GIF8" could begin a text file, so only bytes that no text has make these a verdict.
        if data.startswith(magic) and (len(magic) > 2 or b"\x00" in data[:512]):
            raise ImportFileError(
                f"Файлът е {name}, а не текстов документ. Качете DOCX, DOC, ODT, PDF или TXT.",
                f"The file is {name}, not a text document. Upload a DOCX, DOC, ODT, PDF or TXT.",
                "not_document",
            )
    return "text"


# --- plain text --------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")  # \x1a: the DOS end-of-file mark old editors add


def _decode_text(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise _error("corrupt") from None
            break
    else:
        if b"\x00" in data[:65536]:  # no text encoding without a BOM that we accept has NUL bytes
            raise _error("not_document")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Bulgarian files from older Windows tools are cp1251; it maps almost every byte, so a
            # binary file also "decodes" — the control-character test below catches that.
            text = data.decode("cp1251", errors="replace")
    sample = text[:200_000]
    controls = sum(1 for ch in sample if ch not in _TEXT_CONTROLS and unicodedata.category(ch) == "Cc")
    if controls > max(2, len(sample) // 100):
        raise _error("not_document")
    return text


def _text_blocks(text: str) -> list[Block]:
    """One block per line (empty lines kept), so that a block's index is the file's line number."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x1a", "")
    if "\f" not in text:
        return [Block(line) for line in text.split("\n")]
    # Form feeds are page breaks in text saved from PDF (pdftotext): keep pages for furniture removal.
    blocks: list[Block] = []
    for page_no, page in enumerate(text.split("\f"), start=1):
        blocks.extend(Block(line, page=page_no) for line in page.split("\n"))
    return blocks


# --- PDF ---------------------------------------------------------------------------------------

_LETTER = re.compile(r"[^\W\d_]")
_FPDF_ERR_PASSWORD = 4
_FPDF_ERR_SECURITY = 6


def _pdf_blocks(data: bytes) -> list[Block]:
    import pypdfium2 as pdfium  # heavy native library: load only for PDFs

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in (_FPDF_ERR_PASSWORD, _FPDF_ERR_SECURITY):
            raise _error("encrypted_pdf") from None
        raise _error("corrupt") from None
    blocks: list[Block] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_range()
            finally:
                textpage.close()
                page.close()
            blocks.extend(_pdf_page_blocks(text, index + 1))
    except pdfium.PdfiumError:
        raise _error("corrupt") from None
    finally:
        pdf.close()
    if not any(_LETTER.search(b.text) for b in blocks):
        raise _error("no_text_layer")
    return blocks


def _pdf_page_blocks(text: str, page_no: int) -> list[Block]:
    """One block per visual line: a PDF knows lines, not paragraphs. Wrapped lines are joined back
    by the parser, after it has removed headers and footers (which a join would swallow)."""
    blocks = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if line:
            # pdfium marks a hyphen it judged to be a line-end hyphenation with \x02: keep it as a soft
            # hyphen, which the parser's join keeps invisible and which separates no words.
            blocks.append(Block(line.replace("\x02", "\xad"), page=page_no))
    return blocks


# --- zip containers: DOCX, ODT, XLSX ------------------------------------------------------------


# What a damaged zip or XML part raises (NotImplementedError: an unknown zip version or method).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    etree.XMLSyntaxError,
    KeyError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)


def _zip_blocks(data: bytes) -> list[Block]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except _ZIP_ERRORS:
        raise _error("corrupt") from None
    with archive:
        try:
            if "word/document.xml" in names or "[Content_Types].xml" in names and _main_part(archive):
                return _docx_from_archive(archive)
            if "content.xml" in names and _read(archive, "mimetype").startswith(
                b"application/vnd.oasis.opendocument.text"
            ):
                return _odt_from_archive(archive)
            if "xl/workbook.xml" in names:
                return _xlsx_blocks(data)
        except RuntimeError as exc:  # zipfile: "File … is encrypted, password required"
            if "encrypted" in str(exc):
                raise _error("encrypted_office") from None
            raise _error("corrupt") from None
        except _ZIP_ERRORS:
            raise _error("corrupt") from None
    raise _error("not_document")


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    """A part of the archive, b"" if it is missing. zipfile stops at the declared size, so checking
    that size bounds the memory an upload can take."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > MAX_IMPORT_BYTES * _MAX_PART_FACTOR:
        raise _too_large(MAX_IMPORT_BYTES)
    return archive.read(info)


def _xml(raw: bytes) -> etree._Element:
    # No entity expansion, no network: the XML comes from an upload.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
    return etree.fromstring(raw, parser)


_OFFICE_DOC_REL = "/officeDocument"


def _main_part(archive: zipfile.ZipFile) -> str | None:
    """The main document part named by _rels/.rels; Word always uses word/document.xml, others not."""
    try:
        rels = _xml(archive.read("_rels/.rels"))
    except (KeyError, etree.XMLSyntaxError):
        return None
    for rel in rels:
        if str(rel.get("Type", "")).endswith(_OFFICE_DOC_REL):
            target = str(rel.get("Target", "")).lstrip("/")
            if target.startswith("word/") or target.endswith("document.xml"):
                return target if target in archive.namelist() else None
    return None


def _docx_blocks(data: bytes) -> list[Block]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise _error("corrupt") from None
    with archive:
        try:
            return _docx_from_archive(archive)
        except (*_ZIP_ERRORS, RuntimeError):
            raise _error("corrupt") from None


def _docx_from_archive(archive: zipfile.ZipFile) -> list[Block]:
    part = "word/document.xml" if "word/document.xml" in archive.namelist() else _main_part(archive)
    if part is None:
        raise _error("not_document")
    root = _xml(_read(archive, part))
    ns = etree.QName(root).namespace or ""  # transitional or strict OOXML: same names, other URI
    style_names = _docx_style_names(_read(archive, str(PurePosixPath(part).parent / "styles.xml")))
    body = root.find(f"{{{ns}}}body")
    if body is None:
        raise _error("corrupt")
    walker = _DocxWalker(ns, style_names)
    walker.walk(body, in_table=False, toc=False)
    return walker.blocks


_BUILTIN_STYLE = re.compile(r"^(heading|toc|list bullet|list number|title|subtitle)\b(.*)$")


def _docx_style_names(raw: bytes) -> dict[str, str]:
    """styleId → name. Word stores built-in names in lower case ("heading 2"); they are shown
    capitalised like python-docx does, while a localised custom name ("Заглавие 2") stays as is."""
    if not raw:
        return {}
    try:
        root = _xml(raw)
    except etree.XMLSyntaxError:
        return {}
    ns = etree.QName(root).namespace or ""
    names: dict[str, str] = {}
    for style in root.iter(f"{{{ns}}}style"):
        style_id = style.get(f"{{{ns}}}styleId")
        name_el = style.find(f"{{{ns}}}name")
        if style_id is None or name_el is None:
            continue
        name = name_el.get(f"{{{ns}}}val", style_id)
        m = _BUILTIN_STYLE.match(name)
        if m:
            word = m.group(1)
            name = ("TOC" if word == "toc" else word.title()) + m.group(2)
        names[style_id] = name
    return names


_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


class _DocxWalker:
    """Walks w:body in document order: paragraphs, tables (cell by cell), content controls."""

    def __init__(self, ns: str, style_names: dict[str, str]) -> None:
        w = f"{{{ns}}}"
        self.blocks: list[Block] = []
        self.style_names = style_names
        self.w = w
        self.P, self.TBL, self.SDT = f"{w}p", f"{w}tbl", f"{w}sdt"
        self.T, self.TAB, self.BR, self.CR = f"{w}t", f"{w}tab", f"{w}br", f"{w}cr"
        self.SYM, self.NBH, self.PPR, self.RPR = f"{w}sym", f"{w}noBreakHyphen", f"{w}pPr", f"{w}rPr"
        self.VAL = f"{w}val"
        # Deleted revisions, the fallback copy of drawings and properties hold no reading text.
        self.skip = frozenset(
            {
                f"{w}del",
                f"{w}moveFrom",
                f"{w}sectPr",
                f"{w}tblPr",
                f"{w}tblGrid",
                f"{w}trPr",
                f"{w}tcPr",
                f"{w}sdtPr",
                f"{w}sdtEndPr",
                f"{w}footnoteReference",
                f"{w}endnoteReference",
                f"{{{_MC}}}Fallback",
            }
        )

    def walk(self, element: etree._Element, *, in_table: bool, toc: bool) -> None:
        for child in element:
            tag = child.tag
            if tag == self.P:
                self._paragraph(child, in_table=in_table, toc=toc)
            elif tag == self.TBL:
                self.walk(child, in_table=True, toc=toc)
            elif tag == self.SDT:
                self.walk(child, in_table=in_table, toc=toc or self._is_toc_control(child))
            elif tag not in self.skip and isinstance(tag, str):
                self.walk(child, in_table=in_table, toc=toc)

    def _is_toc_control(self, sdt: etree._Element) -> bool:
        gallery = sdt.find(f"{self.w}sdtPr/{self.w}docPartObj/{self.w}docPartGallery")
        return gallery is not None and "contents" in str(gallery.get(self.VAL, "")).lower()

    def _paragraph(self, p: etree._Element, *, in_table: bool, toc: bool) -> None:
        w = self.w
        style = ""
        list_item = False
        ppr = p.find(self.PPR)
        if ppr is not None:
            style_el = ppr.find(f"{w}pStyle")
            if style_el is not None:
                style_id = style_el.get(self.VAL, "")
                style = self.style_names.get(style_id, style_id)
            num_id = ppr.find(f"{w}numPr/{w}numId")
            list_item = num_id is not None and num_id.get(self.VAL) not in (None, "0")
        lowered = style.lower()
        if lowered.startswith(("list bullet", "list number")):
            list_item = True
        if lowered.startswith(("heading", "заглавие", "title", "toc")):
            list_item = False  # outline-numbered headings are lists to Word, not bullets to a reader
        if toc and not lowered.startswith("toc"):
            style = "TOC"
        parts: list[str] = []
        self._text(p, parts)
        text = "".join(parts)
        if text.strip():
            self.blocks.append(Block(text, style=style, in_table=in_table, list_item=list_item))

    def _text(self, element: etree._Element, parts: list[str]) -> None:
        for child in element:
            tag = child.tag
            if tag == self.T:
                if child.text:
                    parts.append(child.text)
            elif tag == self.TAB:
                parts.append("\t")
            elif tag == self.BR or tag == self.CR:
                parts.append("\n")
            elif tag == self.NBH:
                parts.append("-")
            elif tag == self.SYM:
                code = child.get(f"{self.w}char", "")
                try:
                    parts.append(chr(int(code, 16)))
                except ValueError:
                    pass
            elif tag == self.P:  # a paragraph inside a text box: keep it on its own line
                parts.append("\n")
                self._text(child, parts)
            elif tag in (self.PPR, self.RPR) or tag in self.skip or not isinstance(tag, str):
                continue
            else:
                self._text(child, parts)


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _odt_from_archive(archive: zipfile.ZipFile) -> list[Block]:
    """ODT read natively (no LibreOffice needed): headings, paragraphs, lists, tables, the index."""
    if b"encryption-data" in _read(archive, "META-INF/manifest.xml"):
        raise _error("encrypted_office")
    root = _xml(_read(archive, "content.xml"))
    body = root.find(f"{{{_ODF_OFFICE}}}body/{{{_ODF_OFFICE}}}text")
    if body is None:
        raise _error("corrupt")
    blocks: list[Block] = []
    _odt_walk(body, blocks, in_table=False, list_item=False, toc=False)
    return blocks


_T = f"{{{_ODF_TEXT}}}"
_TB = f"{{{_ODF_TABLE}}}"
_ODT_SKIP = frozenset(
    {f"{_T}note", f"{{{_ODF_OFFICE}}}annotation", f"{_T}tracked-changes", f"{_TB}covered-table-cell"}
)


def _odt_walk(
    element: etree._Element, blocks: list[Block], *, in_table: bool, list_item: bool, toc: bool
) -> None:
    for child in element:
        tag = child.tag
        if tag in (f"{_T}p", f"{_T}h"):
            style = f"Heading {child.get(f'{_T}outline-level', '1')}" if tag == f"{_T}h" else ""
            if toc:
                style = "TOC"
            parts: list[str] = []
            _odt_text(child, parts)
            text = "".join(parts)
            if text.strip():
                blocks.append(Block(text, style=style, in_table=in_table, list_item=list_item))
        elif tag == f"{_TB}table":
            _odt_walk(child, blocks, in_table=True, list_item=False, toc=toc)
        elif tag == f"{_T}list-item":
            _odt_walk(child, blocks, in_table=in_table, list_item=True, toc=toc)
        elif tag in (f"{_T}table-of-content", f"{_T}index-body"):
            _odt_walk(child, blocks, in_table=in_table, list_item=list_item, toc=True)
        elif tag in _ODT_SKIP or not isinstance(tag, str):
            continue
        else:
            _odt_walk(child, blocks, in_table=in_table, list_item=list_item, toc=toc)


def _odt_text(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if tag == f"{_T}s":
            parts.append(" " * int(child.get(f"{_T}c", "1") or 1))
        elif tag == f"{_T}tab":
            parts.append("\t")
        elif tag == f"{_T}line-break":
            parts.append("\n")
        elif tag in _ODT_SKIP or not isinstance(tag, str):
            pass
        else:
            _odt_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def _xlsx_blocks(data: bytes) -> list[Block]:
    """A plan kept as a spreadsheet: every non-empty cell, row by row, as a table cell."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds (KeyError, InvalidFileException, …)
        raise _error("corrupt") from None
    blocks: list[Block] = []
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                blocks.extend(Block(str(v), in_table=True) for v in row if v is not None and str(v).strip())
    finally:
        workbook.close()
    return blocks


# --- OLE: legacy Word, encrypted OOXML ----------------------------------------------------------

# Stream names in the OLE directory are UTF-16LE.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_WORD_DOCUMENT = "WordDocument".encode("utf-16-le")


def _ole_blocks(data: bytes) -> list[Block]:
    # A password-protected DOCX/XLSX is an OLE container with an EncryptedPackage stream.
    if _ENCRYPTED_PACKAGE in data:
        raise _error("encrypted_office")
    if _WORD_DOCUMENT not in data:
        raise _error("not_document")  # an XLS, MSG, … saved in the same container
    return _docx_blocks(_convert_with_soffice(data, ".doc"))


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _run_soffice(command: list[str], timeout: int) -> None:
    subprocess.run(command, capture_output=True, timeout=timeout, check=False)


def _convert_with_soffice(data: bytes, suffix: str) -> bytes:
    """DOC/RTF → DOCX with LibreOffice, in a private temporary folder with its own profile
    (a shared profile makes parallel conversions fail with a lock error)."""
    executable = _soffice()
    if executable is None:
        raise _error("needs_libreoffice")
    with tempfile.TemporaryDirectory(prefix="socplan-import-") as tmp:
        folder = Path(tmp)
        source = folder / f"input{suffix}"
        source.write_bytes(data)
        command = [
            executable,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx",
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            _run_soffice(command, SOFFICE_TIMEOUT)
        except (subprocess.TimeoutExpired, OSError):  # TimeoutExpired is not the builtin TimeoutError
            raise _error("conversion_failed") from None
        target = folder / "input.docx"
        if not target.is_file() or target.stat().st_size == 0:
            raise _error("conversion_failed")
        return target.read_bytes()
