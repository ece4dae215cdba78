"""The exported documents: Word for the council, PDF, and the action plan as a spreadsheet.

The plan is built with the models directly, after document 001 (Гулянци, 2016–2020, adopted with
Решение №84/25.03.2016) with a goals tree numbered as document 000's chapter 7 (Обща цел 4 →
Специфична цел 4.1 → Мярка 4.1.1 → Дейност 4.1.1.1). The documents come out in the active
language; the catalogue may not have the export's labels yet, so the tests look at the data
(titles, numbers, amounts, the act), not at translated labels.
"""

import datetime
import io
import re
import sys
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from socplan.core.exceptions import ApplicationError
from socplan.organizations.models import Organization
from socplan.plans import exports
from socplan.plans.models import (
    AdoptionAct,
    CommunicationItem,
    FinancingLine,
    Level,
    Node,
    PartnershipInstrument,
    Plan,
    PlanVersion,
    Responsibility,
    Stage,
    StakeholderRole,
    TargetGroup,
)
from socplan.territory.models import Municipality

TITLE = "Стратегия за развитие на социалните услуги в община Гулянци 2016–2020"
Kind = Organization.Kind

# (number, level, title, budget, currency) in document order; the parent is the number's prefix.
TREE = [
    ("4", Level.GENERAL_GOAL, "Да се гарантира качеството и ефективността на социалните услуги", None, "BGN"),
    ("4.1", Level.SPECIFIC_GOAL, "Да се разработи план за създаване на Ресурсен център", None, "BGN"),
    ("4.1.1", Level.MEASURE, "Изграждане на местен капацитет за подкрепа на човешките ресурси", None, "BGN"),
    (
        "4.1.1.1",
        Level.ACTIVITY,
        "Проучване на възможностите за създаване на Ресурсен център",
        "10267.00",
        "BGN",
    ),
    ("4.1.1.2", Level.ACTIVITY, "Изпълнение на дейностите на Ресурсния център", "5000.00", "EUR"),
    ("4.2", Level.SPECIFIC_GOAL, "Да се стимулира развитието на административния капацитет", None, "BGN"),
    # The measure's budget is the sum of its activities' budgets: counted once, not twice.
    ("4.2.1", Level.MEASURE, "Изграждане на капацитет за управление на социалните услуги", "20000.00", "BGN"),
    ("4.2.1.3", Level.ACTIVITY, "Поредица от базисни и надграждащи обучителни модули", "3000.00", "BGN"),
]


def _node(version, number, level, title, budget, currency, parents, position):
    return Node.objects.create(
        version=version,
        parent=parents.get(number.rpartition(".")[0]),
        level=level,
        number=number,
        position=position,
        title=title,
        description=f"Описание на {number}.\n• първа точка;\n• втора точка.",
        expected_results=f"Резултат {number}: обучени 20 служители" if level == Level.ACTIVITY else "",
        budget=Decimal(budget) if budget else None,
        budget_currency=currency,
    )


@pytest.fixture
def gulyantsi(db):
    municipality = Municipality.objects.get(code="PVN08")
    owner = Organization.objects.get(kind=Kind.MUNICIPALITY, municipality=municipality)
    council = Organization.objects.get(kind=Kind.MUNICIPAL_COUNCIL, municipality=municipality)
    rdsp = Organization.objects.get(kind=Kind.RDSP, region=municipality.region)
    plan = Plan.objects.create(
        kind=Plan.Kind.MUNICIPAL_STRATEGY,
        title=TITLE,
        region=municipality.region,
        municipality=municipality,
        owner=owner,
        period_start=2016,
        period_end=2020,
        status=Plan.Status.IN_FORCE,
        is_public=True,
    )
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        status=PlanVersion.Status.ADOPTED,
        first_number=4,
        vision="Община Гулянци – място с достъпни и качествени социални услуги.",
        introduction="Стратегията обхваща 5-годишен период (2016 – 2020).",
    )
    plan.current_version = version
    plan.save(update_fields=["current_version"])
    AdoptionAct.objects.create(
        version=version,
        body=council,
        decision_number="84",
        protocol_number="8",
        adopted_on=datetime.date(2016, 3, 25),
        signed_by="Огнян Янчев\nПредседател ОбС Гулянци",
    )
    preparatory = Stage.objects.create(
        version=version,
        kind=Stage.Kind.PREPARATORY,
        title="Подготвителен етап",
        starts_on=datetime.date(2016, 1, 1),
        ends_on=datetime.date(2016, 3, 31),
        activities="• Изготвяне и приемане на Общинска стратегия;\n• Оперативно планиране на интервенцията",
        order=0,
    )
    Stage.objects.create(
        version=version,
        kind=Stage.Kind.IMPLEMENTATION,
        title="Първи етап",
        starts_on=datetime.date(2016, 4, 1),
        ends_on=datetime.date(2018, 12, 31),
        activities="Изпълнение на дейностите по стратегията",
        order=1,
    )
    parents: dict[str, Node] = {}
    for position, row in enumerate(TREE):
        parents[row[0]] = _node(version, *row, parents, position)
    nodes = parents
    nodes["4.1.1.1"].starts_on = datetime.date(2016, 4, 1)
    nodes["4.1.1.1"].ends_on = datetime.date(2017, 12, 31)
    nodes["4.1.1.1"].save()
    nodes["4.2.1.3"].responsible_text = "Община Гулянци, ДСП Гулянци"
    nodes["4.2.1.3"].stage = preparatory
    nodes["4.2.1.3"].save()
    nodes["4.1.1.1"].target_groups.add(TargetGroup.objects.get(code="elderly"))
    Responsibility.objects.create(node=nodes["4.1.1.1"], organization=owner, role=Responsibility.Role.LEAD)
    Responsibility.objects.create(node=nodes["4.1.1.1"], organization=rdsp, role=Responsibility.Role.PARTNER)
    Source = FinancingLine.Source
    FinancingLine.objects.create(
        node=nodes["4.1.1.1"], source=Source.LOCAL_REVENUE, amount=Decimal("5267.00")
    )
    FinancingLine.objects.create(
        node=nodes["4.1.1.1"], source=Source.PROJECT, programme="ОП РЧР", amount=Decimal("5000.00"), year=2016
    )
    FinancingLine.objects.create(
        node=nodes["4.1.1.2"],
        source=Source.PROJECT,
        programme="ОП РЧР",
        amount=Decimal("5000.00"),
        currency="EUR",
    )
    FinancingLine.objects.create(node=nodes["4.2.1.3"], source=Source.STATE_BUDGET, amount=Decimal("3000.00"))
    StakeholderRole.objects.create(
        version=version,
        stakeholder="Общински съвет Гулянци",
        organization=council,
        responsibilities="• Приема стратегията и годишните планове;\nКонтролира изпълнението на стратегията.",
    )
    PartnershipInstrument.objects.create(
        version=version,
        kind=PartnershipInstrument.Kind.AGREEMENT,
        description="Споразумения за съвместна работа за иницииране на общи дейности, междуобщински и "
        "смесени.",
        partners="Община Гулянци, РДСП Плевен",
    )
    for order, (kind, text) in enumerate(
        [
            (CommunicationItem.Kind.GOAL, "Да популяризира ползите от изпълнението на стратегията"),
            (CommunicationItem.Kind.AUDIENCE, "Доставчици на социални услуги"),
            (CommunicationItem.Kind.AUDIENCE, "Медии"),
            (CommunicationItem.Kind.PERFORMER, "Експертът за връзки с обществеността"),
        ]
    ):
        CommunicationItem.objects.create(version=version, kind=kind, text=text, order=order)
    return version


def _plain(text: str) -> str:
    """Compare amounts without caring which space separates the thousands."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def _docx(version):
    from docx import Document

    with translation.override("bg"):
        return Document(io.BytesIO(exports.plan_docx(version)))


def _docx_text(document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return _plain("\n".join(parts))


# --- DOCX -------------------------------------------------------------------------------------------


def test_docx_has_the_goals_tree_as_numbered_headings_in_document_order(gulyantsi):
    document = _docx(gulyantsi)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    found = []
    for number, level, title, _budget, _currency in TREE:
        matches = [i for i, (_style, text) in enumerate(headings) if text.endswith(f" {number}. {title}")]
        assert len(matches) == 1, (number, headings)
        found.append(matches[0])
    assert found == sorted(found)
    styles = {text.split(". ", 1)[1]: style for style, text in headings if ". " in text}
    # The tree starts at general goals here, so they are Heading 1 and activities Heading 4.
    assert styles[TREE[0][2]] == "Heading 1"
    assert styles[TREE[1][2]] == "Heading 2"
    assert styles[TREE[3][2]] == "Heading 4"
    body = _docx_text(document)
    assert "Описание на 4.2.1.3." in body
    assert "Резултат 4.1.1.1: обучени 20 служители" in body


def test_docx_title_page_and_closing_cite_the_adoption_act(gulyantsi):
    document = _docx(gulyantsi)
    first_page = [p.text for p in document.paragraphs[:8]]
    assert "ОБЩИНА ГУЛЯНЦИ" in first_page
    assert TITLE in first_page
    assert "2016–2020" in first_page
    assert any(
        "Решение №84/25.03.2016, Протокол №8/25.03.2016" in t and "Общински съвет Гулянци" in t
        for t in first_page
    )
    last = [p.text for p in document.paragraphs if p.text.strip()][-3:]
    assert "Решение №84/25.03.2016" in last[0] and "Общински съвет Гулянци" in last[0]
    assert last[1:] == ["Огнян Янчев", "Председател ОбС Гулянци"]


def test_docx_action_plan_table_rows_amounts_and_mixed_currency_total(gulyantsi):
    document = _docx(gulyantsi)
    table = next(t for t in document.tables if t.rows[1].cells[0].text == "4.1.1")
    rows = [[_plain(cell.text) for cell in row.cells] for row in table.rows[1:]]
    # One row per measure and activity, in document order.
    assert [row[0] for row in rows] == ["4.1.1", "4.1.1.1", "4.1.1.2", "4.2.1", "4.2.1.3"]
    activity = rows[1]
    assert activity[1] == TREE[3][2]
    assert (
        "Община Гулянци" in activity[2]
        and "Регионална дирекция за социално подпомагане Плевен" in activity[2]
    )
    assert activity[3] == "01.04.2016 – 31.12.2017"
    assert activity[4].startswith("10 267,00")
    assert "ОП РЧР: 5 000,00" in activity[5] and "5 267,00" in activity[5]
    assert activity[6] == "Резултат 4.1.1.1: обучени 20 служители"  # expected results stand for indicators
    assert rows[2][4].startswith("5 000,00")
    assert rows[4][2] == "Община Гулянци, ДСП Гулянци"
    assert rows[4][3].startswith("Подготвителен етап (01.01.2016 – 31.03.2016)")
    # Measures are shaded group rows.
    assert 'w:fill="EDEDED"' in table.rows[1].cells[0]._tc.xml
    assert 'w:fill="EDEDED"' not in table.rows[2].cells[0]._tc.xml

    body = _docx_text(document)
    # The measure's 20 000 is the sum of its activities' money: 10 267 + 3 000 BGN and 5 000 EUR.
    assert "13 267,00" in body and "33 267,00" not in body
    # 13 267 + 5 000 × 1,95583 = 23 046,15 BGN; 5 000 + 13 267 / 1,95583 = 11 783,31 EUR.
    conversion = next(line for line in body.splitlines() if "1,95583" in line)
    assert "23 046,15" in conversion and "11 783,31" in conversion
    # Financing by source: local 5 267, project 5 000 BGN and 5 000 EUR, state budget 3 000.
    financing = next(t for t in document.tables if len(t.columns) == 2)
    amounts = [_plain(row.cells[1].text) for row in financing.rows[1:]]
    assert amounts[:4] == ["5 267,00 лв.", "3 000,00 лв.", "5 000,00 лв.", "5 000,00 €"]
    assert amounts[4:] == ["13 267,00 лв.", "5 000,00 €"]


def test_docx_without_euros_has_no_conversion_line(gulyantsi):
    FinancingLine.objects.filter(node__version=gulyantsi, currency="EUR").delete()
    Node.objects.filter(version=gulyantsi, budget_currency="EUR").update(budget_currency="BGN")
    assert "1,95583" not in _docx_text(_docx(gulyantsi))


def test_docx_stages_framework_partnership_and_communication(gulyantsi):
    document = _docx(gulyantsi)
    stages = next(t for t in document.tables if t.rows[1].cells[1].text == "Подготвителен етап")
    assert [row.cells[0].text for row in stages.rows[1:]] == [
        "01.01.2016 – 31.03.2016",
        "01.04.2016 – 31.12.2018",
    ]
    assert [p.text for p in stages.rows[1].cells[2].paragraphs] == [
        "Изготвяне и приемане на Общинска стратегия;",
        "Оперативно планиране на интервенцията",
    ]
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    # Every line of a stakeholder's responsibilities is a bullet, with or without a sign.
    assert "Приема стратегията и годишните планове;" in bullets
    assert "Контролира изпълнението на стратегията." in bullets
    assert ["Доставчици на социални услуги", "Медии"] == [
        b for b in bullets if b in ("Медии", "Доставчици на социални услуги")
    ]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Общински съвет Гулянци" in headings
    body = _docx_text(document)
    assert "Споразумения за съвместна работа" in body and "Община Гулянци, РДСП Плевен" in body
    assert "Експертът за връзки с обществеността" in body


def test_docx_layout_a4_landscape_action_plan_page_numbers_and_cyrillic_fonts(gulyantsi):
    document = _docx(gulyantsi)
    first = document.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert round(first.left_margin.cm, 2) == 2.5
    assert [s.page_width > s.page_height for s in document.sections] == [False, True, False]
    footer = first.footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert {fonts.get(f"{{{fonts.nsmap['w']}}}{a}") for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {
        "Times New Roman"
    }


def test_docx_of_a_draft_has_no_adoption(gulyantsi):
    AdoptionAct.objects.filter(version=gulyantsi).delete()
    PlanVersion.objects.filter(pk=gulyantsi.pk).update(status=PlanVersion.Status.DRAFT)
    body = _docx_text(_docx(gulyantsi))
    assert "Решение" not in body and "Огнян Янчев" not in body
    assert TITLE in body


def test_docx_in_english(gulyantsi):
    from docx import Document

    with translation.override("en"):
        document = Document(io.BytesIO(exports.plan_docx(gulyantsi)))
    body = _docx_text(document)
    assert "Action plan" in body and TITLE in body
    assert "10 267,00 BGN" in body


def test_text_unfit_for_xml_is_dropped_not_fatal(gulyantsi):
    Node.objects.filter(version=gulyantsi, number="4.1").update(title="Цел\x0bс вертикална табулация\x0c")
    body = _docx_text(_docx(gulyantsi))
    assert "Целс вертикална табулация" in body
    with translation.override("bg"):
        exports.action_plan_xlsx(gulyantsi)


# --- XLSX -------------------------------------------------------------------------------------------


def test_xlsx_action_plan_rows_numbers_and_financing_sheet(gulyantsi):
    from openpyxl import load_workbook

    with translation.override("bg"):
        workbook = load_workbook(io.BytesIO(exports.action_plan_xlsx(gulyantsi)))
    sheet, totals = workbook.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert [row[1] for row in body] == [row[0] for row in TREE]
    assert [row[2] for row in body] == [row[2] for row in TREE]
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=len(header)).column_letter}{len(TREE) + 1}"
    assert all(sheet.cell(row=1, column=c).font.b for c in range(1, len(header) + 1))

    activity = dict(zip(range(len(header)), body[3]))
    assert activity[3].startswith("Община Гулянци; Регионална дирекция за социално подпомагане Плевен (")
    assert activity[4] == datetime.datetime(2016, 4, 1) and activity[5] == datetime.datetime(2017, 12, 31)
    assert sheet.cell(row=5, column=5).number_format == "DD.MM.YYYY"
    assert activity[7] == 10267 and isinstance(activity[7], (int, float))
    assert sheet.cell(row=5, column=8).number_format == "#,##0.00"
    assert activity[8] == "BGN"
    # Financing columns: one per source and currency; the activity's two lines sit in two of them.
    money_columns = [i for i, name in enumerate(header) if name and re.search(r"\((BGN|EUR)\)$", name)]
    assert len(money_columns) == 4
    assert sorted(v for i, v in activity.items() if i in money_columns and v is not None) == [5000, 5267]
    assert "ОП РЧР" in activity[money_columns[-1] + 1]
    assert activity[money_columns[-1] + 3] == "Резултат 4.1.1.1: обучени 20 служители"
    measure = body[6]
    assert measure[7] == 20000

    lines = [row for row in totals.iter_rows(min_row=2, values_only=True) if row[0]]
    by_currency = {}
    for source, currency, amount in (row[:3] for row in lines if row[1]):
        by_currency.setdefault(currency, []).append(amount)
    assert by_currency["BGN"] == [5267, 3000, 5000, 13267]
    assert by_currency["EUR"] == [5000, 5000]
    assert any("1,95583" in str(row[0]) for row in lines)


# --- PDF --------------------------------------------------------------------------------------------


def test_pdf_has_the_cyrillic_title_and_the_node_numbers(gulyantsi):
    import pypdfium2

    with translation.override("bg"):
        content = exports.plan_pdf(gulyantsi)
    assert content.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(content)
    try:
        text = _plain("\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))))
        pages = len(pdf)
    finally:
        pdf.close()
    assert pages >= 4  # title page, text, the landscape action plan, stages and framework
    flat = re.sub(r"\s+", " ", re.sub("\u2010\\s*\n", "", text))  # join words hyphenated at line ends
    assert "Стратегия за развитие на социалните услуги в община Гулянци" in flat
    assert "4.2.1.3" in flat and "10 267,00" in flat
    assert "Решение №84/25.03.2016" in flat


def test_pdf_without_weasyprint_says_so_in_both_languages(gulyantsi, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # "import weasyprint" now raises ImportError
    with pytest.raises(ApplicationError) as error:
        exports.plan_pdf(gulyantsi)
    assert (
        "PDF" in error.value.message and "WeasyPrint" in error.value.message and "DOCX" in error.value.message
    )


# --- The interface the views use --------------------------------------------------------------------


def test_export_returns_content_type_and_a_cyrillic_file_name(gulyantsi):
    with translation.override("bg"):
        content, content_type, filename = exports.export(version=gulyantsi, fmt="xlsx")
    assert content.startswith(b"PK")
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert filename == "Стратегия_за_развитие_на_социалните_услуги_в_община_Гулянци_2016-2020_v1.xlsx"
    with pytest.raises(ValueError):
        exports.export(version=gulyantsi, fmt="odt")
    assert exports.FORMATS == ("docx", "pdf", "xlsx")


def test_file_name_adds_the_period_when_the_title_lacks_it(gulyantsi):
    Plan.objects.filter(pk=gulyantsi.plan_id).update(title='Стратегия: Гулянци / "нова"')
    version = PlanVersion.objects.select_related("plan").get(pk=gulyantsi.pk)
    assert exports.export_filename(version, "docx") == "Стратегия_Гулянци_нова_2016-2020_v1.docx"


def test_content_disposition_has_utf8_name_and_ascii_fallback():
    header = exports.content_disposition("Стратегия_Гулянци_2016-2020_v1.docx")
    assert header.startswith("attachment; ")
    assert 'filename="Strategia_Gulyantsi_2016-2020_v1.docx"' in header
    assert "filename*=UTF-8''%D0%A1%D1%82%D1%80" in header
    assert header.isascii()
    assert exports.content_disposition("plan_v1.pdf") == 'attachment; filename="plan_v1.pdf"'
    assert "\n" not in exports.content_disposition('a"\r\nb.pdf')


def test_the_number_of_queries_does_not_grow_with_the_plan(gulyantsi):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            exports.collect(gulyantsi)
        return len(queries)

    small = count()
    measure = Node.objects.get(version=gulyantsi, number="4.2.1")
    owner = gulyantsi.plan.owner
    for position in range(10):
        node = Node.objects.create(
            version=gulyantsi,
            parent=measure,
            level=Level.ACTIVITY,
            number=f"4.2.1.{position + 4}",
            position=position + 4,
            title=f"Дейност {position}",
            budget=Decimal(100),
        )
        FinancingLine.objects.create(node=node, source=FinancingLine.Source.DONOR, amount=Decimal(100))
        Responsibility.objects.create(node=node, organization=owner)
        node.target_groups.add(TargetGroup.objects.get(code="elderly"))
    assert count() == small
    assert small <= 12


def test_an_empty_draft_exports_in_every_format(gulyantsi):
    """A version just created (no elements, no act) still gives three documents that open."""
    from docx import Document
    from openpyxl import load_workbook

    empty = PlanVersion.objects.create(plan=gulyantsi.plan, number=2, based_on=gulyantsi)
    with translation.override("bg"):
        files = {fmt: exports.export(version=empty, fmt=fmt) for fmt in exports.FORMATS}
    assert files["pdf"][0].startswith(b"%PDF")
    assert files["docx"][2].endswith("_v2.docx")
    body = _docx_text(Document(io.BytesIO(files["docx"][0])))
    assert TITLE in body and "Решение" not in body
    sheet = load_workbook(io.BytesIO(files["xlsx"][0])).worksheets[0]
    assert sheet.max_row == 1
