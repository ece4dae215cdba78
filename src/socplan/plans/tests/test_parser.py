"""The importer of strategy documents: file types, their errors, the parser's rules, no lost text.

No database: everything here is pure Python. The main real input is the Veliko Tarnovo regional
strategy 2011–2015 (fixtures/vtr_regional_strategy_2011.txt), also as a PDF made from it with a
running header and "страница N/M" footers (fixtures/make_pdf_fixture.py), and as a DOCX built here
with some headings in table cells and a table of contents.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import struct
import zipfile
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from socplan.plans.importing import (
    LEVELS,
    Block,
    ImportFileError,
    ParseResult,
    extract_blocks,
    parse_blocks,
    parse_file,
    result_to_json,
)
from socplan.plans.importing import extract as extract_module
from socplan.plans.management.commands.import_plan import Command

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOC000_TXT = FIXTURES / "vtr_regional_strategy_2011.txt"
DOC000_PDF = FIXTURES / "vtr_regional_strategy_2011.pdf"
PDF_HEADER = "Областна стратегия за развитие на социалните услуги – Велико Търново"


def _range(prefix: str, first: int, last: int) -> list[str]:
    return [f"{prefix}.{i}" for i in range(first, last + 1)]


# Every node of document 000, in document order. Обща цел 5 comes first (section 6.2); the specific
# goals 4.1–4.3 are listed as bullets under Обща цел 4 and written out later: one node each.
DOC000_EXPECTED: list[tuple[str, str]] = [
    ("general_goal", "5"),
    *[("specific_goal", n) for n in _range("5", 1, 2)],
    ("general_goal", "4"),
    *[("specific_goal", n) for n in _range("4", 1, 3)],
    ("measure", "4.1.1"),
    *[("activity", n) for n in _range("4.1.1", 1, 2)],
    ("measure", "4.2.1"),
    *[("activity", n) for n in _range("4.2.1", 1, 4)],
    ("measure", "4.2.2"),
    *[("activity", n) for n in _range("4.2.2", 1, 2)],
    ("measure", "4.2.3"),
    *[("activity", n) for n in _range("4.2.3", 1, 2)],
    ("measure", "4.2.4"),
    *[("activity", n) for n in _range("4.2.4", 1, 3)],
    ("measure", "4.2.5"),
    *[("activity", n) for n in _range("4.2.5", 1, 3)],
    ("measure", "4.3.1"),
    *[("activity", n) for n in _range("4.3.1", 1, 4)],
    ("measure", "4.3.2"),
    *[("activity", n) for n in _range("4.3.2", 1, 2)],
    ("measure", "4.3.3"),
    *[("activity", n) for n in _range("4.3.3", 1, 2)],
    ("measure", "4.3.4"),
    *[("activity", n) for n in _range("4.3.4", 1, 3)],
]
DOC000_TITLES = {
    "4.2.1": "Изграждане на капацитет за управление на социалните услуги",
    "4.1.1": (
        "Изграждане на местен капацитет за подкрепа на развитието на човешките ресурси "
        "в област Велико Търново"
    ),
    "4.3.4.1": (
        "Консултиране и подкрепа за изграждане на системи на супервизия на персонала на социалните услуги"
    ),
    "4.2.5": "Формиране на умения за изграждане на партньорства",
    "5.1": "Да се стимулира междуобщинското партньорство в социалните услуги;",
    # The detailed heading ("Регионален ресурсен център") is longer than the overview bullet: it wins.
    "4.1": "Да се разработи план за създаване на Регионален ресурсен център за развитие на човешките ресурси "
    "в област Велико Търново",
}


def _pairs(result: ParseResult) -> list[tuple[str, str | None]]:
    return [(node.level, node.number) for node in result.nodes]


def _node(result: ParseResult, number: str):
    return next(node for node in result.nodes if node.number == number)


def _assert_doc000(result: ParseResult) -> None:
    assert _pairs(result) == DOC000_EXPECTED
    for node in result.nodes:
        if node.level == "general_goal":
            assert node.parent is None
            continue
        parent = result.nodes[node.parent]
        assert parent.number == node.number.rsplit(".", 1)[0], node.number
        assert LEVELS.index(parent.level) < LEVELS.index(node.level)
    for number, title in DOC000_TITLES.items():
        assert _node(result, number).title == title
    assert all(node.label in ("Обща цел", "Специфична цел", "Мярка", "Дейност") for node in result.nodes)


def _parse(*lines: str, **block_fields) -> ParseResult:
    return parse_blocks([Block(line, **block_fields) for line in lines])


# --- document 000 ------------------------------------------------------------------------------


def test_doc000_text():
    result = parse_file(DOC000_TXT.read_bytes(), DOC000_TXT.name)
    _assert_doc000(result)
    assert result.skipped == ["страница13/15"]
    assert result.preamble.startswith("2011 – 2015 Област Велико Търново")
    # The prose mentions of priority directions 4 and 5 stay text.
    assert "определено като Приоритетно направление 5 в Областната стратегия" in result.preamble + "".join(
        node.description for node in result.nodes
    )
    assert (
        "• Подготовка на длъжностни характеристики и административни регулации;"
        in _node(result, "4.1.1.1").description.splitlines()
    )
    assert _node(result, "4.2.1.1").line == 398  # block index = line of the text file


def test_doc000_merge_of_overview_and_detail_is_reported():
    result = parse_file(DOC000_TXT.read_bytes(), DOC000_TXT.name)
    goal = _node(result, "4.2")
    # Overview: "…организационен капацитет…", detail: "…организационния капацитет…" (longer, kept).
    assert "организационния капацитет" in goal.title
    assert "организационен капацитет" in goal.description
    assert any("4.2" in warning for warning in result.warnings)
    assert goal.line < _node(result, "4.1.1").line  # the first position is kept


def _docx_from_text(text: str) -> bytes:
    """Document 000 as Word: headings styled, bullets as list paragraphs, measures 4.2.x and
    activities 4.3.4.x as table rows (label | title), a table of contents at the start."""
    document = docx.Document()
    document.styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH)
    body = document.element.body
    # A Word TOC field sits in a content control; its paragraphs have no TOC style here on purpose.
    body.insert(
        0,
        parse_xml(
            f'<w:sdt {nsdecls("w")}><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
            "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Дейност 4.1.1.1 Проучване</w:t></w:r>"
            "</w:p></w:sdtContent></w:sdt>"
        ),
    )
    document.add_paragraph("Съдържание", style="TOC Heading")
    document.add_paragraph("Обща цел 4\t15", style="TOC 1")
    document.add_paragraph(
        "Мярка 4.2.1 Изграждане на капацитет за управление на социалните услуги", style="TOC 1"
    )
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        cell = re.match(r"(Мярка 4\.2\.\d|Дейност 4\.3\.4\.\d)\.\s*(.*)", line)
        if cell:
            row = document.add_table(rows=1, cols=3).rows[0].cells
            row[0].text, row[1].text, row[2].text = cell[1], cell[2], "2011–2015"
        elif line.startswith("•"):
            document.add_paragraph(line.lstrip("• "), style="List Bullet")
        elif re.match(r"(Обща цел|Специфична цел|Мярка|Дейност) \d", line):
            document.add_paragraph(line, style="Heading 3")
        else:
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def doc000_docx() -> bytes:
    return _docx_from_text(DOC000_TXT.read_text(encoding="utf-8"))


def test_doc000_docx_with_headings_in_tables(doc000_docx):
    result = parse_file(doc000_docx, "strategy.docx")
    _assert_doc000(result)
    assert result.skipped == [
        "Дейност 4.1.1.1 Проучване",
        "Съдържание",
        "Обща цел 4\t15",
        "Мярка 4.2.1 Изграждане на капацитет за управление на социалните услуги",
        "страница13/15",
    ]
    # The third cell of a table row is description of the node in that row.
    assert _node(result, "4.2.2").description.startswith("2011–2015")
    assert _node(result, "4.3.4.3").title.startswith("Осигуряване на възможности за участие в работни срещи")


def test_docx_file_extension_does_not_matter(doc000_docx):
    assert _pairs(parse_file(doc000_docx, "strategy.txt")) == DOC000_EXPECTED


def test_doc000_pdf_with_running_header_and_page_footers():
    result = parse_file(DOC000_PDF.read_bytes(), DOC000_PDF.name)
    _assert_doc000(result)
    pages = len(pdfium.PdfDocument(DOC000_PDF.read_bytes()))
    assert pages >= 10
    assert result.skipped.count(PDF_HEADER) == pages
    assert [line for line in result.skipped if line.startswith("страница ")] == [
        f"страница {n}/{pages}" for n in range(1, pages + 1)
    ]
    text = result.preamble + "\n".join(node.title + "\n" + node.description for node in result.nodes)
    assert PDF_HEADER not in text
    # A heading wrapped over two PDF lines keeps its whole title.
    assert _node(result, "4.2.2").title == _node(parse_file(DOC000_TXT.read_bytes(), "a.txt"), "4.2.2").title


# --- labels and numbers ------------------------------------------------------------------------


def test_numbers_with_and_without_trailing_dots():
    result = _parse("Мярка 1.2. Текст", "Мярка 1.3 Текст", "Дейност 1.2.3.4.Обучение", "Мярка № 7: Седма")
    assert [(n.number, n.title) for n in result.nodes] == [
        ("1.2", "Текст"),
        ("1.3", "Текст"),
        ("1.2.3.4", "Обучение"),
        ("7", "Седма"),
    ]


def test_roman_numerals():
    result = _parse("Приоритет II – Деинституционализация", "Обща цел IV. Достъп", "Приоритет ІІІ: Кирилица")
    assert _pairs(result) == [("priority", "II"), ("general_goal", "IV"), ("priority", "III")]
    assert result.nodes[0].title == "Деинституционализация"
    assert result.nodes[1].parent == 0
    assert _parse("Приоритет IIII нещо").nodes == []  # not a numeral


def test_upper_case_and_multiword_labels():
    result = _parse(
        "МЯРКА 1.2 ИЗГРАЖДАНЕ", "Стратегическа цел 1: Качество", "Приоритетно направление 3. Хора"
    )
    assert _pairs(result) == [("measure", "1.2"), ("general_goal", "1"), ("priority", "3")]
    assert [n.label for n in result.nodes] == ["МЯРКА", "Стратегическа цел", "Приоритетно направление"]


def test_unnumbered_labels_with_a_colon():
    result = _parse("Мярка 1.1 Обучения", "Дейност: Курсове", "1. Приоритетно направление: Развитие")
    assert [(n.level, n.number, n.title) for n in result.nodes] == [
        ("measure", "1.1", "Обучения"),
        ("activity", None, "Курсове"),
        ("priority", "1", "Развитие"),
    ]


def test_prose_mentions_are_not_nodes():
    lines = [
        (
            "Изграждането на механизми на партньорство е определено като Приоритетно направление 5 в "
            "Областната стратегия, което е едно от функционалните приоритетни направления."
        ),
        "В отговор са формулирани целите на приоритетно направление 4: Развитие на човешките ресурси.",
        "Приоритетно направление 5 в Областната стратегия е едно от функционалните.",
        "Мярка 1.1 е насочена към общините.",
        "Мярка 1.1, 1.2 и 1.3 се изпълняват от общините.",
        "Приоритет 2011 година.",
        "Дейностите 1.1 и 1.2 са общи.",
    ]
    result = _parse(*lines)
    assert result.nodes == []
    assert result.preamble == "\n".join(lines)


def test_heading_alone_takes_the_next_paragraph_as_title():
    result = _parse("Мярка 1.1.", "Изграждане на капацитет", "Описание на мярката.")
    assert result.nodes[0].title == "Изграждане на капацитет"
    assert result.nodes[0].description == "Описание на мярката."


# --- what is skipped and what is kept ------------------------------------------------------------


def test_table_of_contents_lines_are_skipped():
    result = parse_blocks(
        [
            Block("Мярка 1.1 ........ 12"),
            Block("Обща цел 2\t15"),
            Block("6.1 Отговорности . . . . . . 4"),
            Block("Специфична цел 1.1 Заглавие", style="TOC 2"),
            Block("Дейност 1.1.1 Заглавие", style="toc 3"),
            Block("Мярка 1.2 Заглавие", style="Съдържание 1"),
            Block("Мярка 1.3 Заглавие", style="TOC1"),
            Block("Обща цел 1. Истинска"),
            Block("Бюджет\t5000"),
        ]
    )
    assert _pairs(result) == [("general_goal", "1")]
    assert len(result.skipped) == 7
    assert result.nodes[0].description == "Бюджет\t5000"  # a tab and a number, but not a heading


def test_page_furniture_is_skipped():
    result = _parse(
        "Обща цел 1. Качество",
        "страница 13/15",
        "стр. 5",
        "Страница 3 от 40",
        "12",
        "- 12 -",
        "2012",
        "Текст след тях.",
    )
    assert result.skipped == ["страница 13/15", "стр. 5", "Страница 3 от 40", "12", "- 12 -"]
    assert result.nodes[0].description == "2012\nТекст след тях."


def test_a_number_in_a_table_is_data():
    result = _parse("Мярка 1.1", "Обучения", "12", in_table=True)
    assert result.skipped == []
    assert (result.nodes[0].title, result.nodes[0].description) == ("Обучения", "12")


def _pdf_like(pages: list[list[str]]) -> list[Block]:
    return [Block(line, page=number) for number, lines in enumerate(pages, start=1) for line in lines]


def test_running_headers_and_footers_on_three_pages_are_skipped():
    header = "Стратегия за социалните услуги 2011–2015"
    body = ["Първи ред.", "Втори ред.", "Още текст.", "Четвърти ред.", "Пети ред."]
    pages = [
        [
            header,
            ["Обща цел 1. Качество", "Въведение.", "Анализ.", "Заключение."][n - 1],
            *body,
            f"Община {n}",
            str(n),
        ]
        for n in range(1, 5)
    ]
    result = parse_blocks(_pdf_like(pages))
    # "Община N" repeats at the bottom with another number each time: a footer like "стр. N".
    assert result.skipped == [line for n in range(1, 5) for line in (header, f"Община {n}", str(n))]
    for line in body:  # repeated on every page too, but not at its top or bottom
        assert result.nodes[0].description.count(line) == 4


def test_a_line_repeated_on_two_pages_or_mid_page_is_kept():
    pages = [
        [
            "Заглавие на раздел",
            "Обща цел 1. Качество" if n == 1 else "а",
            "б",
            "в",
            "Повтаря се.",
            "г",
            "д",
            "е",
        ]
        for n in range(1, 3)
    ]
    pages.append(["Друго", "ж", "з", "и", "Повтаря се.", "й", "к", "л"])
    result = parse_blocks(_pdf_like(pages))
    assert result.skipped == []
    assert result.nodes[0].description.count("Повтаря се.") == 3
    assert result.nodes[0].description.count("Заглавие на раздел") == 1


def test_headings_at_the_top_of_pages_are_not_furniture():
    pages = [[f"Дейност 1.1.{n}. Обучение", "Текст.", "Още."] for n in range(1, 5)]
    result = parse_blocks(_pdf_like(pages))
    assert [n.number for n in result.nodes] == ["1.1.1", "1.1.2", "1.1.3", "1.1.4"]


def test_pdf_lines_of_a_paragraph_are_joined_but_not_across_a_sentence_end():
    blocks = _pdf_like(
        [
            [
                "Мярка 4.2.2. Адекватно ресурсно обезпечаване на развитието на отделите, ангажирани с",
                "администрирането на социалните услуги.",
                "Текстът продължава на нов ред и стига чак до десния край на страницата в",
                "Област Велико Търново, където свършва.",
                "Нов абзац.",
                "дейностите по",
                "приоритетно направление 5: Развитие на партньорства.",
            ]
        ]
    )
    result = parse_blocks(blocks)
    assert _pairs(result) == [("measure", "4.2.2")]
    node = result.nodes[0]
    assert node.title.endswith("ангажирани с администрирането на социалните услуги.")
    assert node.description.splitlines() == [
        # Ran to the margin without a sentence end: joined although the next line starts upper case.
        (
            "Текстът продължава на нов ред и стига чак до десния край на страницата в Област Велико "
            "Търново, където свършва."
        ),
        "Нов абзац.",
        # A label in lower case after an unfinished line is the sentence going on, not a heading.
        "дейностите по приоритетно направление 5: Развитие на партньорства.",
    ]


def test_pdf_hyphenation_keeps_every_word():
    result = parse_blocks(
        _pdf_like([["Мярка 1.1 Адекватно обез\xad", "печаване и социално-", "образователни услуги"]])
    )
    assert result.nodes[0].title == "Адекватно обез\xadпечаване и социално-образователни услуги"


def test_a_label_broken_from_its_number_in_a_pdf_column():
    blocks = _pdf_like(
        [["Текст.", "Мярка", "1.1.1", "Изграждане на капацитет за подкрепа на", "човешките ресурси"]]
    )
    result = parse_blocks(blocks)
    assert [(n.number, n.title) for n in result.nodes] == [
        ("1.1.1", "Изграждане на капацитет за подкрепа на човешките ресурси")
    ]


def test_a_label_cell_above_a_row_number_in_a_docx_table_is_not_joined():
    result = _parse("№", "Мярка", "1", "Обучение", in_table=True)
    assert result.nodes == []


# --- tables, bullets, sub-activities --------------------------------------------------------------


def test_heading_in_table_cells():
    result = parse_blocks(
        [
            Block("Мярка 1.1", in_table=True),
            Block("Изграждане на капацитет", in_table=True),
            Block("2012", in_table=True),
            Block("Дейност 1.1.1", in_table=True),
            Block("Обучения", in_table=True),
        ]
    )
    assert [(n.level, n.number, n.title, n.description) for n in result.nodes] == [
        ("measure", "1.1", "Изграждане на капацитет", "2012"),
        ("activity", "1.1.1", "Обучения", ""),
    ]
    assert result.nodes[1].parent == 0


def test_table_rows_written_as_text():
    result = _parse(
        "Мярка 1.1 | Изграждане на капацитет | 2012 | Община",
        "3473 | Дейност | Дейност 1 Подобряване на достъпа |",
        "3473 | Описание |",
    )
    assert [(n.level, n.number, n.title) for n in result.nodes] == [
        ("measure", "1.1", "Изграждане на капацитет"),
        ("activity", "1", "Подобряване на достъпа"),
    ]
    assert result.nodes[0].description == "2012 | Община"
    assert result.nodes[1].description == "3473 | Дейност\n3473 | Описание |"


def test_bullets_with_labels_are_nodes_and_plain_bullets_are_description():
    result = _parse(
        "Обща цел 5. Да се повиши ефикасността, чрез:",
        "  • Специфична цел 5.1. Да се стимулира партньорството;",
        "- обикновен ред",
        "– тире",
        "* звезда",
        "o кръгче",
        "\uf0b7 символ от Word",
        "• Специфична цел 5.2. Втората",
    )
    assert _pairs(result) == [("general_goal", "5"), ("specific_goal", "5.1"), ("specific_goal", "5.2")]
    assert result.nodes[1].description.splitlines() == [
        "• обикновен ред",
        "• тире",
        "• звезда",
        "• кръгче",
        "• символ от Word",
    ]
    assert [n.parent for n in result.nodes] == [None, 0, 0]


def test_list_paragraphs_become_bullets():
    result = parse_blocks([Block("Мярка 1.1 Обучения"), Block("първо", list_item=True)])
    assert result.nodes[0].description == "• първо"


def test_sub_activities():
    result = _parse(
        "Мярка 1.1 Обучения",
        "Дейност 1.1.1 Курсове",
        "Поддейност 1.1.1.1 Модул А",
        "Поддейност: Модул Б",
        "Дейност 1.1.2 Срещи",
        "Поддейност 1 Първа среща",
        "Дейност 1.1.3 Супервизия",
        "Поддейност 1 Първа супервизия",
    )
    assert [(n.level, n.label, n.number, n.parent) for n in result.nodes] == [
        ("measure", "Мярка", "1.1", None),
        ("activity", "Дейност", "1.1.1", 0),
        ("activity", "Поддейност", "1.1.1.1", 0),
        ("activity", "Поддейност", None, 0),
        ("activity", "Дейност", "1.1.2", 0),
        ("activity", "Поддейност", "1", 0),
        ("activity", "Дейност", "1.1.3", 0),
        ("activity", "Поддейност", "1", 0),  # numbered within its activity: not merged with the other "1"
    ]


# --- merging and parents ---------------------------------------------------------------------------


def test_overview_and_detail_are_merged():
    result = _parse(
        "Обща цел 1. Качество, чрез:",
        "• Специфична цел 1.1. Кадри",
        "• Специфична цел 1.2. Капацитет",
        "Подробно:",
        "Специфична цел 1.1. Кадри за социалните услуги",
        "Описание на целта.",
        "Мярка 1.1.1 Обучения",
        "Специфична цел 1.2. Капацитет",
        "Мярка 1.2.1 Структури",
    )
    assert _pairs(result) == [
        ("general_goal", "1"),
        ("specific_goal", "1.1"),
        ("specific_goal", "1.2"),
        ("measure", "1.1.1"),
        ("measure", "1.2.1"),
    ]
    first = result.nodes[1]
    assert first.title == "Кадри за социалните услуги"  # the longer title
    assert first.line == 2  # the first position
    assert first.description == "Описание на целта."  # nothing added: the short title is contained
    assert result.nodes[2].description == "Подробно:"
    assert [n.parent for n in result.nodes] == [None, 0, 0, 1, 2]
    assert result.warnings == []


def test_merge_keeps_words_of_the_other_title():
    result = _parse("Мярка 1.1 Обучения за екипи", "Мярка 1.1 Обучение на персонала")
    assert len(result.nodes) == 1
    node = result.nodes[0]
    assert (node.title, node.description) == ("Обучение на персонала", "Обучения за екипи")
    assert len(result.warnings) == 1


def test_an_action_plan_row_adds_to_the_activity_it_names():
    result = parse_blocks(
        [
            Block("Мярка 1.1 Обучения"),
            Block("Дейност 1.1.1 Курсове за персонала"),
            Block("Описание."),
            Block("План за действие"),
            *[Block(cell, in_table=True) for cell in ("Дейност 1.1.1", "2012–2015", "Общини", "5000")],
        ]
    )
    assert _pairs(result) == [("measure", "1.1"), ("activity", "1.1.1")]
    activity = result.nodes[1]
    assert activity.title == "Курсове за персонала"  # a period in the next cell is not a title
    assert activity.description == "Описание.\nПлан за действие\n2012–2015\nОбщини\n5000"
    assert result.warnings == []


def test_single_numbers_restarting_in_each_priority_are_not_merged():
    result = _parse("Приоритет 1 А", "Мярка 1 Първа", "Приоритет 2 Б", "Мярка 1 Първа във втория")
    assert _pairs(result) == [("priority", "1"), ("measure", "1"), ("priority", "2"), ("measure", "1")]
    assert [n.parent for n in result.nodes] == [None, 0, None, 2]


def test_skipped_levels():
    result = _parse("Приоритет 1. Деца", "Мярка 1.1 Превенция", "Дейност 1.1.1 Центрове", "Обща цел 2 Друго")
    assert [n.parent for n in result.nodes] == [None, 0, 1, 0]  # a goal after a priority is under it


def test_number_names_the_parent():
    result = _parse(
        "Специфична цел 4.2 Втора",
        "Специфична цел 4.3 Трета",
        "Мярка 4.2.6 Допълнителна",  # after 4.3, but its number names 4.2
        "Дейност 4.3.1.1 Към трета",  # no measure 4.3.1: the goal 4.3 is the nearest named one
    )
    assert [n.parent for n in result.nodes] == [None, None, 0, 1]
    assert result.warnings == []


def test_a_parent_that_contradicts_the_number_is_reported():
    result = _parse("Специфична цел 4.3 Трета", "Мярка 4.3.1 М", "Мярка 4.2.6 Допълнителна")
    assert [n.parent for n in result.nodes] == [None, 0, 0]  # the nearest preceding higher node
    assert len(result.warnings) == 1 and "4.2.6" in result.warnings[0]


def test_measures_numbered_per_priority_stay_under_their_goal():
    result = _parse("Приоритет 1 П", "Специфична цел 1.1 Ц", "Мярка 1.2 М")
    assert [n.parent for n in result.nodes] == [None, 0, 1]


def test_no_nodes_gives_a_warning_and_keeps_the_text():
    result = _parse("Само текст.", "И още.")
    assert result.nodes == [] and result.preamble == "Само текст.\nИ още."
    assert result.warnings and "No priorities" in result.warnings[0]


# --- file types ------------------------------------------------------------------------------------


def test_text_encodings():
    text = "Мярка 1.1 Обучения\nОписание"
    for data in (
        text.encode("utf-8"),
        text.encode("utf-8-sig"),
        text.encode("cp1251"),
        text.encode("utf-16"),  # with BOM
        b"\xfe\xff" + text.encode("utf-16-be"),
    ):
        result = parse_file(data, "plan.txt")
        assert [(n.number, n.title, n.description) for n in result.nodes] == [("1.1", "Обучения", "Описание")]


def test_text_with_form_feeds_has_pages():
    blocks = extract_blocks("Първа\nстраница 1/2\fВтора\r\nстраница 2/2".encode(), "a.txt")
    assert [(b.text, b.page) for b in blocks] == [
        ("Първа", 1),
        ("страница 1/2", 1),
        ("Втора", 2),
        ("страница 2/2", 2),
    ]


def test_docx_reading_order_styles_and_content_controls():
    document = docx.Document()
    document.add_paragraph("Обща цел 1 Преди таблицата", style="Heading 2")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Мярка 1.1"
    table.cell(0, 1).text = "В таблицата"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Слят ред"
    document.add_paragraph("След таблицата", style="List Bullet")
    document.element.body.sectPr.addprevious(
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>В контрола</w:t><w:tab/>"
            "<w:t>с табулация</w:t><w:br/><w:t>и нов ред</w:t></w:r>"
            "<w:del><w:r><w:delText>изтрито</w:delText></w:r></w:del></w:p></w:sdtContent></w:sdt>"
        )
    )
    out = io.BytesIO()
    document.save(out)
    blocks = extract_blocks(out.getvalue(), "a.docx")
    assert [(b.text, b.style, b.in_table, b.list_item) for b in blocks] == [
        ("Обща цел 1 Преди таблицата", "Heading 2", False, False),
        ("Мярка 1.1", "", True, False),
        ("В таблицата", "", True, False),
        ("Слят ред", "", True, False),
        ("След таблицата", "List Bullet", False, True),
        ("В контрола\tс табулация\nи нов ред", "", False, False),
    ]


def _odt(content_body: str, *, encrypted: bool = False) -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    )
    manifest = "<manifest:encryption-data/>" if encrypted else "<manifest/>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr(
            "content.xml",
            f"<office:document-content {ns}><office:body><office:text>{content_body}</office:text>"
            "</office:body></office:document-content>",
        )
    return out.getvalue()


def test_odt_is_read_without_libreoffice():
    data = _odt(
        '<text:h text:outline-level="2">Мярка 1.1 Обучения</text:h>'
        '<text:list><text:list-item><text:p>първо<text:s text:c="2"/>и</text:p></text:list-item></text:list>'
        "<table:table><table:table-row><table:table-cell><text:p>Дейност 1.1.1</text:p></table:table-cell>"
        "<table:table-cell><text:p>Курсове</text:p></table:table-cell></table:table-row></table:table>"
    )
    result = parse_file(data, "plan.odt")
    assert [(n.number, n.title) for n in result.nodes] == [("1.1", "Обучения"), ("1.1.1", "Курсове")]
    assert result.nodes[0].description == "• първо  и"


def test_xlsx_cells_are_table_blocks():
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Мярка 1.1", "Обучения", 2012])
    out = io.BytesIO()
    workbook.save(out)
    result = parse_file(out.getvalue(), "plan.xlsx")
    assert [(n.number, n.title, n.description) for n in result.nodes] == [("1.1", "Обучения", "2012")]


def test_legacy_doc_is_converted_with_libreoffice(monkeypatch, doc000_docx):
    def fake_soffice(command: list[str], timeout: int) -> None:
        outdir = Path(command[command.index("--outdir") + 1])
        (outdir / "input.docx").write_bytes(doc000_docx)

    monkeypatch.setattr(extract_module, "_soffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(extract_module, "_run_soffice", fake_soffice)
    assert _pairs(parse_file(_ole("WordDocument"), "old.doc")) == DOC000_EXPECTED


# --- errors ----------------------------------------------------------------------------------------

_OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(stream: str) -> bytes:
    """An OLE container only as far as the importer looks: the header and a directory entry name."""
    return _OLE_HEADER + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00" * 512


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


_PDF_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user_password: bytes = b"secret", owner_password: bytes = b"owner") -> bytes:
    """A one-page PDF encrypted with the standard security handler, revision 2 (40-bit RC4, PDF
    1.4 spec, algorithms 3.1–3.4). No library in the project writes encrypted PDFs."""
    permissions = -44
    file_id = hashlib.md5(b"socplan-test").digest()  # the PDF algorithm is MD5
    owner = _rc4(hashlib.md5((owner_password + _PDF_PAD)[:32]).digest()[:5], (user_password + _PDF_PAD)[:32])
    key = hashlib.md5(
        (user_password + _PDF_PAD)[:32] + owner + struct.pack("<i", permissions) + file_id
    ).digest()[:5]
    object_key = hashlib.md5(key + (4).to_bytes(3, "little") + b"\0\0").digest()[:10]
    content = _rc4(object_key, b"BT /F1 24 Tf 72 700 Td (Hello) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner.hex().encode(), _rc4(key, _PDF_PAD).hex().encode(), permissions),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    ident = file_id.hex().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 6 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        ident,
        ident,
        xref,
    )
    return bytes(out)


def _image_only_pdf() -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(2):
        page = pdf.new_page(595, 842)
        image = pdfium.PdfImage.new(pdf)
        image.set_bitmap(pdfium.PdfBitmap.from_pil(Image.new("RGB", (60, 80), "white")))
        image.set_matrix(pdfium.PdfMatrix().scale(500, 700).translate(40, 60))
        page.insert_obj(image)
        page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_the_crafted_encrypted_pdf_is_a_real_one():
    document = pdfium.PdfDocument(_encrypted_pdf(), password="secret")
    assert document[0].get_textpage().get_text_range() == "Hello"


def _corrupt_docx(doc000_docx: bytes) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(doc000_docx))
    files = {name: archive.read(name) for name in archive.namelist()}
    files["word/document.xml"] = files["word/document.xml"][:5000]
    return _zip(files)


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda d: b"", "empty", "empty"),
        (lambda d: b"  \n\t\n", "no_text", "no text"),
        (lambda d: _png(), "not_document", "PNG"),
        (lambda d: random.Random(7).randbytes(4096), "not_document", "not a text document"),
        (lambda d: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "not_document", "EXE"),
        (lambda d: _zip({"photo.jpg": b"x", "readme.txt": b"y"}), "not_document", "not a text document"),
        (lambda d: _encrypted_pdf(), "encrypted_pdf", "password"),
        (lambda d: _image_only_pdf(), "no_text_layer", "OCR"),
        (lambda d: b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "corrupt", "damaged"),
        (lambda d: d[: len(d) // 2], "corrupt", "damaged"),
        (_corrupt_docx, "corrupt", "damaged"),
        (lambda d: _ole("EncryptedPackage"), "encrypted_office", "password"),
        (lambda d: _ole("Workbook"), "not_document", "not a text document"),
        (lambda d: _odt("<text:p>x</text:p>", encrypted=True), "encrypted_office", "password"),
    ],
    ids=[
        "empty",
        "whitespace",
        "png",
        "random-binary",
        "exe",
        "zip",
        "encrypted-pdf",
        "scanned-pdf",
        "truncated-pdf",
        "truncated-docx",
        "broken-docx-xml",
        "encrypted-docx",
        "ole-not-word",
        "encrypted-odt",
    ],
)
def test_unreadable_files(make, code, words, doc000_docx):
    with pytest.raises(ImportFileError) as caught:
        extract_blocks(make(doc000_docx), "upload")
    error = caught.value
    assert error.code == code
    assert words in error.message_en
    assert error.message_bg and error.message_bg != error.message_en
    assert str(error) == f"{error.message_bg} / {error.message_en}"


def test_bytes_that_are_no_document_under_a_document_name_are_reported_as_damaged():
    data = random.Random(3).randbytes(2048)
    with pytest.raises(ImportFileError) as caught:
        extract_blocks(data, "strategy.docx")
    assert caught.value.code == "corrupt"
    with pytest.raises(ImportFileError) as caught:
        extract_blocks(data, "strategy.bin")
    assert caught.value.code == "not_document"


def test_too_large(monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_IMPORT_BYTES", 2 * 1024 * 1024)
    with pytest.raises(ImportFileError) as caught:
        extract_blocks(b"a" * (2 * 1024 * 1024 + 1), "big.txt")
    assert caught.value.code == "too_large"
    assert "2 MB" in caught.value.message_en and "2 MB" in caught.value.message_bg


def test_a_docx_that_unpacks_to_far_more_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_IMPORT_BYTES", 100_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * 1_000_000)  # a few kB packed
    with pytest.raises(ImportFileError) as caught:
        extract_blocks(out.getvalue(), "bomb.docx")
    assert caught.value.code == "too_large"


def test_the_real_size_limit_is_50_mb():
    assert extract_module.MAX_IMPORT_BYTES == 50 * 1024 * 1024


def test_legacy_doc_without_libreoffice(monkeypatch):
    monkeypatch.setattr(extract_module, "_soffice", lambda: None)
    with pytest.raises(ImportFileError) as caught:
        extract_blocks(_ole("WordDocument"), "old.doc")
    assert caught.value.code == "needs_libreoffice"
    assert "LibreOffice" in caught.value.message_bg and "LibreOffice" in caught.value.message_en


# --- no text is lost (property-based) -----------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "Приоритет",
        "Приоритетно направление",
        "Направление",
        "Обща цел",
        "Стратегическа цел",
        "Специфична цел",
        "Оперативна цел",
        "МЯРКА",
        "Мярка",
        "Дейност",
        "Поддейност",
        "дейност",
        "№",
        "1",
        "4.2",
        "4.2.1.",
        "4.2.1.3",
        "12",
        "2011",
        "II",
        "ІV",
        "XIV",
        "•",
        "-",
        "–",
        "*",
        "o",
        "\uf0b7",
        ":",
        ".",
        ",",
        "|",
        "\t",
        " ",
        "  ",
        ". . . . 12",
        "........ 7",
        "страница 3/15",
        "стр. 5",
        "- 12 -",
        "е",
        "в",
        "Да се",
        "текст",
        "ñ",
        "日本",
        "😀",
        "\u00a0",
        "\u2028",
        "\xad",
    ]
)


def _lines(excluded: tuple[str, ...]) -> st.SearchStrategy[str]:
    free = st.text(alphabet=st.characters(blacklist_categories=excluded), max_size=12)
    return st.lists(st.one_of(_PIECES, _PIECES, free), max_size=10).map("".join)


_LINE = _lines(("Cs",))
_FILE_LINE = _lines(("Cs", "Cc"))  # control characters make a file "not a document", rightly
_TEXT = st.lists(_LINE, max_size=25).map("\n".join)
_BLOCK = st.builds(
    Block,
    text=_TEXT,
    style=st.sampled_from(["", "Heading 2", "TOC 1", "Normal", "Заглавие 2"]),
    in_table=st.booleans(),
    page=st.none() | st.integers(min_value=1, max_value=4),
    list_item=st.booleans(),
)
_LOOKALIKES = str.maketrans("іх", "ix")  # Roman numerals typed in Cyrillic are normalised to Latin
_O_BULLET = re.compile(r"^o(?=\s)")  # "o " at the start of a line is Word's second-level bullet


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold().translate(_LOOKALIKES)))


def _input_tokens(texts: list[str]) -> set[str]:
    tokens: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            tokens |= _tokens(_O_BULLET.sub("", line.strip()))
    return tokens


def _output_tokens(result: ParseResult) -> set[str]:
    parts = [result.preamble, *result.skipped]
    for node in result.nodes:
        parts += [node.label, node.number or "", node.title, node.description]
    return _tokens("\n".join(parts))


_HYPOTHESIS = hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_HYPOTHESIS
@given(st.lists(_BLOCK, max_size=12))
def test_no_text_is_lost_from_blocks(blocks):
    result = parse_blocks(blocks)
    missing = _input_tokens([b.text for b in blocks]) - _output_tokens(result)
    assert not missing
    for index, node in enumerate(result.nodes):
        assert node.level in LEVELS
        assert node.parent is None or (
            node.parent < index and LEVELS.index(result.nodes[node.parent].level) < LEVELS.index(node.level)
        )
        assert node.number is None or not node.number.endswith(".")
        assert 1 <= node.line <= len(blocks)


@_HYPOTHESIS
@given(st.lists(_FILE_LINE, min_size=1, max_size=25))
def test_no_text_is_lost_from_a_text_file(lines):
    text = "\n".join(lines)
    data = text.encode("utf-8")
    if not text.strip():
        with pytest.raises(ImportFileError):
            parse_file(data, "plan.txt")
        return
    result = parse_file(data, "plan.txt")
    assert not _input_tokens([text]) - _output_tokens(result)


# --- JSON and the management command ---------------------------------------------------------------


def test_result_to_json_shape():
    rows = result_to_json(parse_file(DOC000_TXT.read_bytes(), DOC000_TXT.name))
    assert [(row["level"], row["number"]) for row in rows] == DOC000_EXPECTED
    assert all(set(row) == {"level", "number", "title"} for row in rows)
    assert all(isinstance(row["title"], str) for row in rows)
    rows = result_to_json(_parse("Дейност: Без номер"))
    assert rows == [{"level": "activity", "number": None, "title": "Без номер"}]


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(Command(), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_dry_run_json():
    out, err = _run(str(DOC000_TXT), "--dry-run", "--json")
    rows = json.loads(out)  # nothing but JSON on stdout
    assert rows == result_to_json(parse_file(DOC000_TXT.read_bytes(), DOC000_TXT.name))
    assert rows[0] == {"level": "general_goal", "number": "5", "title": rows[0]["title"]}
    assert "Да се повиши" in out  # ensure_ascii=False
    assert "skipped: страница13/15" in err


def test_command_dry_run_tree():
    out, _err = _run(str(DOC000_TXT), "--dry-run")
    lines = out.splitlines()
    assert lines[0].startswith("Обща цел 5. Да се повиши")
    assert any(line.startswith("      Дейност 4.2.1.1. Обучения") for line in lines)  # depth 3
    assert lines[-1].startswith("— 44 elements")


def test_command_errors(tmp_path):
    with pytest.raises(CommandError, match="--plan"):
        _run(str(DOC000_TXT))
    with pytest.raises(CommandError, match="--user"):
        _run(str(DOC000_TXT), "--plan", "1")  # refused before the database is asked
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="Файлът е празен. / The file is empty."):
        _run(str(empty), "--dry-run")
    with pytest.raises(CommandError, match="Cannot read"):
        _run(str(tmp_path / "missing.docx"), "--dry-run")


@pytest.mark.skipif(
    "socplan.plans" not in settings.INSTALLED_APPS, reason="socplan.plans not in INSTALLED_APPS yet"
)
def test_command_is_found_by_name():
    out = io.StringIO()
    call_command("import_plan", str(DOC000_TXT), "--dry-run", "--json", stdout=out, stderr=io.StringIO())
    assert len(json.loads(out.getvalue())) == len(DOC000_EXPECTED)
