"""The plan as an editable Word document (python-docx), laid out as the council receives it."""

from __future__ import annotations

import copy
import io

from django.utils.translation import get_language

from ..models import PlanVersion
from .common import FONT_SERIF, Block, ExportData, page_parts, collect

# --- DOCX ---------------------------------------------------------------------------------------------


def plan_docx(version: PlanVersion) -> bytes:
    """The plan as an editable Word document, laid out as the council receives it."""
    return DocxWriter(collect(version)).render()


class DocxWriter:
    def __init__(self, data: ExportData):
        from docx import Document

        self.data = data
        self.doc = Document()
        self.styles: dict[int | str, str] = {}
        # The body's final section properties: new paragraphs go just before them.
        self.end = self.doc.element.body.get_or_add_sectPr()

    # Styles and page set-up.

    def _setup(self) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Mm, Pt, RGBColor

        doc, styles = self.doc, self.doc.styles
        language = "bg-BG" if (get_language() or "bg").startswith("bg") else "en-GB"
        defaults = styles.element.find(_qn("w:docDefaults"))
        if defaults is not None:
            rpr = defaults.find(_qn("w:rPrDefault") + "/" + _qn("w:rPr"))
            if rpr is not None:
                _set_fonts(rpr, FONT_SERIF)
        normal = styles["Normal"]
        normal.font.size = Pt(12)
        _set_fonts(normal.element.get_or_add_rPr(), FONT_SERIF)
        _set_language(normal.element.get_or_add_rPr(), language)
        normal.paragraph_format.space_after = Pt(6)
        normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        sizes = {1: 15, 2: 14, 3: 13, 4: 12, 5: 12}
        for level, size in sizes.items():
            style = styles[f"Heading {level}"]
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.italic = level == 5
            style.font.color.rgb = RGBColor(0, 0, 0)
            _set_fonts(style.element.get_or_add_rPr(), FONT_SERIF)
            style.paragraph_format.space_before = Pt(12 if level <= 2 else 8)
            style.paragraph_format.space_after = Pt(4)
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
            self.styles[level] = style.style_id
        for name in ("Title", "Subtitle", "Footer", "List Bullet"):
            _set_fonts(styles[name].element.get_or_add_rPr(), FONT_SERIF)
        styles["Title"].font.color.rgb = RGBColor(0, 0, 0)
        styles["Subtitle"].font.color.rgb = RGBColor(0, 0, 0)
        styles["Footer"].font.size = Pt(9)
        cell = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = normal
        cell.font.size = Pt(9.5)
        cell.paragraph_format.space_after = Pt(0)
        cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        # Paragraph styles are applied by id: python-docx's `paragraph.style = …` looks the document's
        # default style up on every call, which made it most of the time of a 500-element plan.
        self.styles["cell"] = cell.style_id
        self.styles["bullet"] = styles["List Bullet"].style_id
        self.grid = styles["Table Grid"]

        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2.5))
        section.footer_distance = Cm(1.2)
        # The title page carries no page number.
        section.different_first_page_header_footer = True
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for is_field, text in page_parts():
            if is_field:
                _add_field(footer, text)
            else:
                footer.add_run(text)

        properties = doc.core_properties
        properties.title = self.data.title[:255]
        properties.author = self.data.owner[:255]
        properties.subject = self.data.kind_label[:255]
        properties.language = language

    def render(self) -> bytes:
        self._setup()
        self._title_page()
        self._text_sections()
        self._goals()
        self._action_plan()
        self._stages()
        self._institutional()
        self._partnership()
        self._communication()
        self._closing()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()

    # Building blocks.

    def paragraph(self, text: str = "", style: str | None = None, *, bold: bool = False):
        """A paragraph at the end of the body (before its final section properties).

        Built directly rather than with Document.add_paragraph, which searches the body for its
        section properties at every call: quadratic in the length of a long plan.
        """
        from docx.oxml import OxmlElement
        from docx.text.paragraph import Paragraph

        element = OxmlElement("w:p")
        self.end.addprevious(element)
        if style:
            element.get_or_add_pPr().style = style
        if text:
            _append_run(element, text, bold=bold)
        return Paragraph(element, self.doc._body)

    def heading(self, text: str, level: int = 1):
        return self.paragraph(text, self.styles[level])

    def blocks(self, items: list[Block]) -> None:
        for block in items:
            if block.is_list:
                for item in block.items:
                    self.paragraph(item, self.styles["bullet"])
            else:
                self.paragraph(block.text)

    def labelled(self, label: str, text: str) -> None:
        paragraph = self.paragraph(f"{label}: ", bold=True)
        _append_run(paragraph._p, text)

    def table(self, headers: list[str], widths_mm: list[float], *, right: tuple[int, ...] = ()) -> _Table:
        """A grid table with a shaded header row repeated on every page; rows are added to it with
        `_Table.add`, copying a prepared empty row (widths, paragraph style, alignment)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        table = self.doc.add_table(rows=0, cols=len(headers))
        table.style = self.grid
        table.autofit = False
        for column, width in zip(table.columns, widths_mm):
            column.width = Mm(width)
        template = table.add_row()._tr
        for index, tc in enumerate(template.tc_lst):
            paragraph = tc.p_lst[0] if tc.p_lst else tc.add_p()
            paragraph.get_or_add_pPr().style = self.styles["cell"]
            if index in right:
                paragraph.get_or_add_pPr().jc_val = WD_ALIGN_PARAGRAPH.RIGHT
        template.getparent().remove(template)
        result = _Table(table._tbl, template)
        header = result.add([[text] for text in headers], bold=True, fill="D9D9D9")
        _repeat_header(header)
        return result

    def new_section(self, *, landscape: bool) -> None:
        from docx.enum.section import WD_ORIENT, WD_SECTION
        from docx.shared import Mm

        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
        else:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = Mm(210), Mm(297)

    # The parts of the document.

    def _title_page(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
        from docx.shared import Pt

        data = self.data

        def centred(text: str, size: int, *, bold: bool = False, space_before: int = 0) -> None:
            paragraph = self.paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_before = Pt(space_before)
            run = paragraph.add_run(text)
            run.bold = bold
            run.font.size = Pt(size)

        centred(data.owner.upper(), 14, bold=True)
        centred(data.kind_label.upper(), 18, bold=True, space_before=150)
        centred(data.title, 16, bold=True, space_before=12)
        centred(data.territory, 14, space_before=12)
        centred(data.period, 14, bold=True, space_before=6)
        centred(data.version_label, 12, space_before=60)
        centred(data.status_line, 12, space_before=6)
        self.doc.paragraphs[-1].runs[-1].add_break(WD_BREAK.PAGE)

    def _text_sections(self) -> None:
        if self.data.vision:
            self.heading(self.data.labels["vision"])
            self.blocks(self.data.vision)
        if self.data.introduction:
            self.heading(self.data.labels["introduction"])
            self.blocks(self.data.introduction)

    def _goals(self) -> None:
        labels = self.data.labels
        for section in self.data.sections:
            self.heading(section.title, section.heading)
            self.blocks(section.blocks)
            if section.target_groups:
                self.labelled(labels["target_groups"], section.target_groups)
            if section.results:
                self.paragraph(f"{labels['expected_results']}:", bold=True)
                self.blocks(section.results)

    def _action_plan(self) -> None:
        data, labels = self.data, self.data.labels
        if not data.action_rows and not data.financing_totals:
            return
        self.new_section(landscape=True)
        self.heading(labels["action_plan"])
        headers = [
            labels["col_number"],
            labels["col_activity"],
            labels["col_responsible"],
            labels["col_period"],
            labels["col_budget"],
            labels["col_financing"],
            labels["col_indicators"],
        ]
        # 247 mm: A4 landscape less the margins.
        table = self.table(headers, [17, 68, 40, 26, 26, 36, 34], right=(4,))
        for row in data.action_rows:
            table.add(
                [
                    [row.number],
                    [row.title],
                    row.responsible,
                    [row.period],
                    [row.budget],
                    row.financing,
                    row.indicators,
                ],
                bold_columns=(0, 1) if row.is_group else (),
                fill="EDEDED" if row.is_group else None,
            )
        if data.budget_totals:
            self.labelled(labels["budget_total"], data.budget_total_text)
        if data.conversion:
            self.paragraph(data.conversion)
        if data.financing_totals:
            self.heading(labels["financing_by_source"], 2)
            table = self.table([labels["source"], labels["amount"]], [120, 50], right=(1,))
            for line in data.financing_totals:
                table.add([[line.label], [line.text]])
            for line in data.financing_currency_totals:
                table.add([[line.label], [line.text]], bold=True)
            if data.financing_conversion:
                self.paragraph(data.financing_conversion)
        self.new_section(landscape=False)

    def _stages(self) -> None:
        labels = self.data.labels
        if not self.data.stages:
            return
        self.heading(labels["stages"])
        table = self.table([labels["col_period"], labels["stage"], labels["activities"]], [40, 45, 75])
        for stage in self.data.stages:
            table.add([[stage.period], [stage.title], stage.activities], bold_columns=(1,))

    def _institutional(self) -> None:
        if not self.data.stakeholders:
            return
        self.heading(self.data.labels["institutional"])
        self.heading(self.data.labels["roles"], 2)
        for stakeholder in self.data.stakeholders:
            self.heading(stakeholder.name, 3)
            for item in stakeholder.items:
                self.paragraph(item, self.styles["bullet"])

    def _partnership(self) -> None:
        if not self.data.partnerships:
            return
        self.heading(self.data.labels["partnership"])
        for item in self.data.partnerships:
            self.heading(item.kind, 3)
            self.blocks(item.blocks)
            if item.partners:
                self.labelled(self.data.labels["partners"], item.partners)

    def _communication(self) -> None:
        if not self.data.communication:
            return
        self.heading(self.data.labels["communication"])
        for group in self.data.communication:
            self.heading(group.label, 2)
            for item in group.items:
                self.paragraph(item, self.styles["bullet"])

    def _closing(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        if not self.data.closing:
            return
        paragraph = self.paragraph(self.data.closing)
        paragraph.paragraph_format.space_before = Pt(24)
        for index, line in enumerate(self.data.signed_by):
            paragraph = self.paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if index == 0:
                paragraph.paragraph_format.space_before = Pt(24)
            paragraph.add_run(line).bold = index == 0


class _Table:
    """Rows appended to a Word table by copying an empty prepared row: lxml copies in C what
    python-docx would rebuild cell by cell (widths, styles), the bulk of a long action plan."""

    def __init__(self, tbl, template):
        self.tbl = tbl
        self.template = template

    def add(
        self,
        columns: list[list[str]],
        *,
        bold: bool = False,
        bold_columns: tuple[int, ...] = (),
        fill: str | None = None,
    ):
        row = copy.deepcopy(self.template)
        self.tbl.append(row)
        for index, (cell, lines) in enumerate(zip(row.tc_lst, columns)):
            first = cell.p_lst[0]
            empty = copy.deepcopy(first) if len(lines) > 1 else None
            for number, line in enumerate(lines):
                paragraph = first
                if number:
                    paragraph = copy.deepcopy(empty)
                    cell.append(paragraph)
                if line:
                    _append_run(paragraph, line, bold=bold or index in bold_columns)
            if fill:
                shade(cell, fill)
        return row


def _append_run(paragraph, text: str, *, bold: bool = False) -> None:
    """A run of plain text (python-docx's Run.text goes through the text character by character)."""
    from lxml import etree

    run = etree.SubElement(paragraph, _qn("w:r"))
    if bold:
        etree.SubElement(etree.SubElement(run, _qn("w:rPr")), _qn("w:b"))
    element = etree.SubElement(run, _qn("w:t"))
    element.text = " ".join(text.split("\n"))
    element.set(_qn("xml:space"), "preserve")


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _set_fonts(rpr, name: str) -> None:
    """Name the font for every script (ascii, hAnsi, eastAsia, cs) and drop theme fonts.

    Word picks the font of a Cyrillic run by the run's script slot, LibreOffice sometimes by the
    eastAsia/cs ones; with only `ascii` set, Cyrillic falls back to the theme font (Calibri).
    """
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(_qn(f"w:{attribute}"), name)
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(_qn(f"w:{attribute}"), None)


def _set_language(rpr, language: str) -> None:
    """Spelling and hyphenation in the document's language."""
    from docx.oxml import OxmlElement

    element = rpr.find(_qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        rpr.append(element)
    element.set(_qn("w:val"), language)
    element.set(_qn("w:eastAsia"), language)


def _add_field(paragraph, instruction: str) -> None:
    """A field (PAGE, NUMPAGES) that Word and LibreOffice fill in when they lay the pages out."""
    from docx.oxml import OxmlElement

    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(_qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(_qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run("1")
    char("end")


def shade(cell, fill: str) -> None:
    """Background of a table cell (a w:tc element)."""
    from docx.oxml import OxmlElement

    properties = cell.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(_qn("w:val"), "clear")
    shading.set(_qn("w:color"), "auto")
    shading.set(_qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row) -> None:
    """The header row (a w:tr element) is repeated at the top of every page the table runs over."""
    from docx.oxml import OxmlElement

    properties = row.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(_qn("w:val"), "true")
    properties.append(header)


