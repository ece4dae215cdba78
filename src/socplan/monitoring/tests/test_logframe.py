"""The logical framework of a plan version: rows, values per territory, status, and its exports.

A municipal strategy of Велико Търново (VTR04) with two goals, a measure under the first, and
indicators after document 000's logframe: baseline as of the end of 2016, targets for 2018 and
2020, values reported per year.
"""

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook

from socplan.monitoring.aggregation import NO_DATA, ON_TRACK
from socplan.monitoring.logframe import logframe_docx, logframe_rows, logframe_xlsx, period_label
from socplan.monitoring.models import Indicator, Target, Value
from socplan.plans.models import Level, Node
from socplan.plans.tests.factories import PlanFactory
from socplan.territory.models import Municipality, Region

pytestmark = pytest.mark.django_db

END_2017, END_2018, END_2020 = (
    datetime.date(2017, 12, 31),
    datetime.date(2018, 12, 31),
    datetime.date(2020, 12, 31),
)


def year(y: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(y, 1, 1), datetime.date(y, 12, 31)


def value(indicator, unit_code: str, period, number=None, text=""):
    municipality = Municipality.objects.filter(code=unit_code).first()
    region = municipality.region if municipality else Region.objects.filter(code=unit_code).first()
    return Value.objects.create(
        indicator=indicator,
        period_start=period[0],
        period_end=period[1],
        unit_code=unit_code,
        municipality=municipality,
        region=region,
        value=Decimal(number) if number is not None else None,
        text=text,
    )


def indicator(plan, node, name: str, **fields):
    return Indicator.objects.create(plan=plan, node_key=node.key if node else None, name=name, **fields)


def target(item, label: str, due_on, number: str):
    return Target.objects.create(indicator=item, label=label, due_on=due_on, value=Decimal(number))


def build(plan):
    """Two levels: goals 1 and 2, measure 1.1 under goal 1; indicators on each and on the plan."""
    version = plan.versions.get()
    goal = Node.objects.create(
        version=version, level=Level.GENERAL_GOAL, number="1", position=0, title="Деинституционализация"
    )
    measure = Node.objects.create(
        version=version,
        parent=goal,
        level=Level.MEASURE,
        number="1.1",
        position=0,
        title="Разкриване на услуги в общността",
    )
    second = Node.objects.create(
        version=version, level=Level.GENERAL_GOAL, number="2", position=1, title="Капацитет"
    )
    children = indicator(
        plan,
        goal,
        "Деца в специализирани институции",
        code="1.a",
        kind=Indicator.Kind.OUTCOME,
        unit="деца",
        baseline_value=Decimal(40),
        baseline_date=datetime.date(2016, 12, 31),
        higher_is_better=False,
        source="ДСП",
        verification="всяка година, към 31 декември",
        collected_by_text="Община Велико Търново",
        position=1,
    )
    target(children, "2018", END_2018, "30")
    target(children, "2020", END_2020, "20")
    places = indicator(
        plan, measure, "Места в услуги в общността", code="1.1.a", unit="места", baseline_value=Decimal(0)
    )
    target(places, "2020", END_2020, "50")
    quality = indicator(
        plan,
        second,
        "Приет план за обучения",
        code="2.a",
        value_type=Indicator.ValueType.TEXT,
        kind=Indicator.Kind.PROCESS,
    )
    overall = indicator(
        plan, None, "Удовлетвореност на потребителите", code="0.a", unit="%", kind=Indicator.Kind.IMPACT
    )
    Indicator.objects.create(
        plan=plan, node_key=uuid.uuid4(), name="Индикатор на изтрит елемент"
    )  # not in this version
    return (
        version,
        {"goal": goal, "measure": measure, "second": second},
        {
            "children": children,
            "places": places,
            "quality": quality,
            "overall": overall,
        },
    )


@pytest.fixture
def municipal_plan():
    plan = PlanFactory()
    version, nodes, indicators = build(plan)
    other = Municipality.objects.filter(region__code="VTR").exclude(code="VTR04").order_by("code").first()
    value(indicators["children"], "VTR04", year(2017), "35")
    value(indicators["children"], "VTR04", year(2018), "31")
    value(indicators["children"], other.code, year(2018), "7")  # another municipality: not this plan's
    value(indicators["places"], "VTR04", (datetime.date(2019, 1, 1), datetime.date(2019, 3, 31)), "12.5")
    value(indicators["quality"], "VTR04", year(2018), text="Планът е приет")
    return plan, version, nodes, indicators


def indicator_row(rows, item):
    return next(row for row in rows if row.indicator == item)


def test_rows_list_each_element_followed_by_its_indicators(municipal_plan):
    plan, version, nodes, indicators = municipal_plan

    rows = logframe_rows(plan, version)

    shown = [(row.node, row.indicator) for row in rows]
    assert shown == [
        (None, None),
        (None, indicators["overall"]),
        (nodes["goal"], None),
        (nodes["goal"], indicators["children"]),
        (nodes["measure"], None),
        (nodes["measure"], indicators["places"]),
        (nodes["second"], None),
        (nodes["second"], indicators["quality"]),
    ]
    assert [row.depth for row in rows[2:6]] == [0, 0, 1, 1]
    assert rows[2].title.endswith("1. Деинституционализация")


def test_indicator_row_has_baseline_targets_values_and_status(municipal_plan):
    plan, version, _nodes, indicators = municipal_plan

    row = indicator_row(logframe_rows(plan, version), indicators["children"])

    assert (row.number, row.unit, row.baseline, row.baseline_date) == (
        "1.a",
        "деца",
        Decimal(40),
        datetime.date(2016, 12, 31),
    )
    assert [(t.label, t.value) for t in row.targets] == [("2018", Decimal(30)), ("2020", Decimal(20))]
    # The municipality's own values only, not its neighbour's.
    assert [(a.label, a.value) for a in row.actuals] == [("2017", Decimal(35)), ("2018", Decimal(31))]
    assert (row.source, row.verification, row.collected_by) == (
        "ДСП",
        "всяка година, към 31 декември",
        "Община Велико Търново",
    )
    # (31 − 40) ÷ (30 − 40) = 90 % of the way down to the 2018 target: on track.
    assert row.status == ON_TRACK and row.progress.percent == Decimal("90.0")
    assert row.territory and row.kind


def test_quarter_and_text_values_and_no_data(municipal_plan):
    plan, version, _nodes, indicators = municipal_plan
    rows = logframe_rows(plan, version)

    places = indicator_row(rows, indicators["places"])
    quality = indicator_row(rows, indicators["quality"])
    overall = indicator_row(rows, indicators["overall"])

    assert [(a.label, a.value) for a in places.actuals] == [
        (period_label(datetime.date(2019, 1, 1), datetime.date(2019, 3, 31)), Decimal("12.5"))
    ]
    assert [(a.value, a.text) for a in quality.actuals] == [(None, "Планът е приет")]
    assert quality.status == NO_DATA and overall.status == NO_DATA and overall.actuals == []


def test_regional_plan_adds_up_its_municipalities_and_says_how_many_reported():
    plan = PlanFactory(regional=True)
    version, _nodes, indicators = build(plan)
    codes = list(
        Municipality.objects.filter(region__code="VTR").order_by("code").values_list("code", flat=True)
    )
    value(indicators["children"], codes[0], year(2018), "10")
    value(indicators["children"], codes[1], year(2018), "5")
    value(indicators["places"], codes[0], year(2019), "3")
    value(indicators["places"], "VTR", year(2019), "20")  # recorded for the region itself: wins

    rows = logframe_rows(plan, version)

    children = indicator_row(rows, indicators["children"]).actuals[0]
    assert (children.value, children.reported, children.expected, children.complete) == (
        Decimal(15),
        2,
        len(codes),
        False,
    )
    places = indicator_row(rows, indicators["places"]).actuals[0]
    assert (places.value, places.complete) == (Decimal(20), True)


def test_values_of_another_territory_can_be_asked_for(municipal_plan):
    plan, version, _nodes, indicators = municipal_plan
    other = Municipality.objects.filter(region__code="VTR").exclude(code="VTR04").order_by("code").first()

    row = indicator_row(logframe_rows(plan, version, municipality=other), indicators["children"])

    assert [(a.label, a.value) for a in row.actuals] == [("2018", Decimal(7))]


def test_rows_cost_the_same_few_queries_however_large_the_plan(municipal_plan):
    plan, version, _nodes, _indicators = municipal_plan
    with CaptureQueriesContext(connection) as small:
        logframe_rows(plan, version)
    for number in range(3, 13):
        node = Node.objects.create(
            version=version,
            level=Level.GENERAL_GOAL,
            number=str(number),
            position=number,
            title=f"Цел {number}",
        )
        item = indicator(plan, node, f"Индикатор {number}", baseline_value=Decimal(number))
        target(item, "2020", END_2020, "100")
        value(item, "VTR04", year(2018), str(number))

    with CaptureQueriesContext(connection) as large:
        rows = logframe_rows(plan, version)

    assert len(rows) > 25
    assert len(large) == len(small) <= 8


def test_logframe_xlsx_has_numbers_as_numbers(municipal_plan):
    plan, version, _nodes, _indicators = municipal_plan
    rows = logframe_rows(plan, version)

    sheet = load_workbook(io.BytesIO(logframe_xlsx(plan, version, rows))).active

    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value is not None}
    header = next(cell for cell in cells.values() if cell.value == "№").row
    headings = [cell.value for cell in sheet[header]]
    line = next(
        r for r in sheet.iter_rows(min_row=header + 1) if r[1].value == "Деца в специализирани институции"
    )
    by_heading = dict(zip(headings, (cell.value for cell in line), strict=True))
    numbers = [v for v in by_heading.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    # Baseline 40, targets 30 and 20, values 35 and 31, progress 90.
    assert sorted(numbers) == [20, 30, 31, 35, 40, 90]
    assert line[5].value == datetime.datetime(2016, 12, 31)
    assert "Планът е приет" in cells  # a qualitative value, as text
    assert any("Деинституционализация" in str(v) for v in cells)


def test_logframe_docx_is_a_landscape_table(municipal_plan):
    plan, version, _nodes, _indicators = municipal_plan
    rows = logframe_rows(plan, version)

    document = Document(io.BytesIO(logframe_docx(plan, version, rows)))

    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    table = document.tables[0]
    text = [[cell.text for cell in row.cells] for row in table.rows]
    assert len(table.rows) == len(rows) + 1
    children = next(row for row in text if row[0] == "1.a")
    assert "Деца в специализирани институции" in children[1]
    assert "40" in children[2] and "2018: 30" in children[3] and "2018: 31" in children[4]
    assert "ДСП" in children[5] and "90" in children[7]
    assert any("Деинституционализация" in " ".join(row) for row in text)


def test_exports_of_a_plan_without_indicators():
    plan = PlanFactory()
    version = plan.versions.get()
    Node.objects.create(version=version, level=Level.GENERAL_GOAL, number="1", position=0, title="Цел")

    rows = logframe_rows(plan, version)

    assert len(rows) == 1 and rows[0].is_element
    assert load_workbook(io.BytesIO(logframe_xlsx(plan, version, rows))).active
    assert Document(io.BytesIO(logframe_docx(plan, version, rows))).tables


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), "2024"),
        (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31), "03.2024"),
        (datetime.date(2024, 1, 1), datetime.date(2024, 6, 30), "01.01.2024 – 30.06.2024"),
    ],
)
def test_period_labels(start, end, label):
    assert period_label(start, end) == label
