"""The logical framework of a plan version: its elements, each followed by its indicators with the
baseline, the targets, the values measured so far and where the indicator stands.

`logframe_rows` reads it in a fixed number of queries (the tree, the indicators with their targets
and organisations, the values and municipalities through `aggregation.Book`, and the qualitative
values), however large the plan. `logframe_xlsx` and `logframe_docx` lay the rows out, in the
house style of the plan's exports (plans/exports).

The values are those of one territorial unit: the plan's municipality for a municipal plan, its
region for a regional one (the municipalities' values added up by each indicator's rule, unless a
value was recorded for the region itself), the country otherwise. A total that lacks some
municipalities says how many reported. The status is `aggregation.progress` at the end of the
period of the latest value, with the default thresholds (on track from 90 %, at risk from 60 %).
"""

from __future__ import annotations

import calendar
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from socplan.plans import selectors as plan_selectors
from socplan.plans.exports.common import (
    field_label,
    clean,
    fmt_date,
    fmt_number,
    fmt_period,
    node_heading_text,
)
from socplan.plans.exports.docx import DocxWriter, shade
from socplan.plans.exports.xlsx import sheet_title
from socplan.plans.models import LEVEL_ORDER, Node, Plan, PlanVersion
from socplan.territory.models import Municipality, Region

from .aggregation import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, Aggregate, Book, Progress, progress
from .dashboards import STATUS_LABELS
from .models import Indicator, Target, Value

# Shading of the status in the exports: green, amber, red (Excel's "good", "neutral", "bad").
STATUS_FILLS = {ON_TRACK: "C6EFCE", AT_RISK: "FFEB9C", OFF_TRACK: "FFC7CE"}


@dataclass
class PeriodValue:
    """The value of an indicator for one period in the logframe's territorial unit."""

    start: datetime.date
    end: datetime.date
    value: Decimal | None
    text: str = ""
    reported: int = 0
    expected: int = 0
    direct: bool = False

    @property
    def complete(self) -> bool:
        return self.direct or self.reported >= self.expected

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)


@dataclass
class LogframeRow:
    """A row of the logical framework: a plan element (`indicator` is None) or one of its indicators.

    Indicators set on the plan as a whole come first, under a row with neither node nor indicator.
    """

    node: Node | None
    indicator: Indicator | None = None
    depth: int = 0
    targets: list[Target] = field(default_factory=list)
    actuals: list[PeriodValue] = field(default_factory=list)
    progress: Progress | None = None
    territory: str = ""

    @property
    def is_element(self) -> bool:
        return self.indicator is None

    @property
    def number(self) -> str:
        if self.indicator is not None:
            return self.indicator.code
        return self.node.number if self.node is not None else ""

    @property
    def title(self) -> str:
        if self.indicator is not None:
            return clean(self.indicator.name)
        if self.node is not None:
            return node_heading_text(self.node)
        return _("The plan as a whole")

    @property
    def kind(self) -> str:
        return str(self.indicator.get_kind_display()) if self.indicator is not None else ""

    @property
    def unit(self) -> str:
        if self.indicator is None:
            return ""
        if self.indicator.unit:
            return self.indicator.unit
        return "%" if self.indicator.value_type == Indicator.ValueType.PERCENT else ""

    @property
    def baseline(self) -> Decimal | None:
        return self.indicator.baseline_value if self.indicator is not None else None

    @property
    def baseline_date(self) -> datetime.date | None:
        return self.indicator.baseline_date if self.indicator is not None else None

    @property
    def source(self) -> str:
        return clean(self.indicator.source) if self.indicator is not None else ""

    @property
    def verification(self) -> str:
        return clean(self.indicator.verification) if self.indicator is not None else ""

    @property
    def collected_by(self) -> str:
        """Who collects the values: as written, then the organisation when the text does not name it."""
        if self.indicator is None:
            return ""
        written = clean(self.indicator.collected_by_text)
        organisation = self.indicator.collected_by.name if self.indicator.collected_by_id else ""
        if organisation and organisation not in written:
            return f"{written}; {organisation}" if written else organisation
        return written

    @property
    def latest(self) -> PeriodValue | None:
        return next((a for a in reversed(self.actuals) if a.value is not None or a.text), None)

    @property
    def status(self) -> str:
        if self.indicator is None:
            return ""
        return self.progress.status if self.progress is not None else NO_DATA

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status]) if self.status else ""


def period_label(start: datetime.date, end: datetime.date) -> str:
    """2024 for a calendar year, Q1 2024 for a quarter, 03.2024 for a month, else the two dates."""
    last_day = calendar.monthrange(end.year, end.month)[1]
    if start.day == 1 and end.day == last_day and start.year == end.year:
        if start.month == 1 and end.month == 12:
            return str(start.year)
        if start.month == end.month:
            return f"{start:%m.%Y}"
        if start.month % 3 == 1 and end.month == start.month + 2:
            return _("Q%(quarter)s %(year)s") % {"quarter": start.month // 3 + 1, "year": start.year}
    return fmt_period(start, end)


def _territory(plan: Plan, region: Region | None, municipality: Municipality | None):
    """The unit whose values are shown: (municipality, region) objects, at most one of them set."""
    if municipality is None and region is None:
        if plan.municipality_id:
            municipality = Municipality.objects.select_related("region").get(pk=plan.municipality_id)
        elif plan.region_id:
            region = Region.objects.get(pk=plan.region_id)
    return (municipality, None) if municipality is not None else (None, region)


def logframe_rows(
    plan: Plan,
    version: PlanVersion,
    *,
    region: Region | None = None,
    municipality: Municipality | None = None,
) -> list[LogframeRow]:
    """The logical framework of a version: each element in document order followed by its indicators
    (by display order), with their values for the plan's territory (or the `region` or
    `municipality` given). Indicators of elements no longer in the version are left out."""
    nodes = plan_selectors.node_rows(version=version, prefetch=False)
    municipality, region = _territory(plan, region, municipality)
    if municipality is not None:
        unit_code = municipality.code
        territory = _("Municipality of %(name)s") % {"name": municipality.name}
    elif region is not None:
        unit_code = region.code
        territory = _("Region of %(name)s") % {"name": region.name}
    else:
        unit_code, territory = "BG", _("Bulgaria")
    keys = {node.key for node in nodes}
    indicators = [
        indicator
        for indicator in Indicator.objects.filter(plan=plan)
        .select_related("collected_by")
        .prefetch_related("targets")
        if indicator.node_key is None or indicator.node_key in keys
    ]
    values = _Values(indicators, municipality=municipality, region=region, unit_code=unit_code)
    by_node: dict = {}
    for indicator in indicators:
        by_node.setdefault(indicator.node_key, []).append(indicator)
    used = [level for level in LEVEL_ORDER if any(node.level == level for node in nodes)]
    depth = {level: index for index, level in enumerate(used)}

    rows: list[LogframeRow] = []
    groups = ([(None, by_node[None])] if by_node.get(None) else []) + [
        (node, by_node.get(node.key, [])) for node in nodes
    ]
    for node, own in groups:
        level = depth.get(node.level, 0) if node is not None else 0
        rows.append(LogframeRow(node=node, depth=level, territory=territory))
        for indicator in own:
            targets = list(indicator.targets.all())
            actuals = values.series(indicator)
            # The status is judged on the latest complete value (a total of a few municipalities
            # would read as "off track"); the latest one when none is complete yet.
            latest = next((a for a in reversed(actuals) if a.value is not None and a.complete), None) or next(
                (a for a in reversed(actuals) if a.value is not None), None
            )
            status = progress(
                indicator,
                targets,
                latest.value if latest else None,
                latest.end if latest else timezone.localdate(),
            )
            rows.append(
                LogframeRow(
                    node=node,
                    indicator=indicator,
                    depth=level,
                    targets=targets,
                    actuals=actuals,
                    progress=status,
                    territory=territory,
                )
            )
    return rows


class _Values:
    """The values of the indicators for one unit: numbers through `aggregation.Book` (two queries),
    the qualitative ones (text) in one more."""

    def __init__(self, indicators: list[Indicator], *, municipality, region, unit_code: str):
        self.municipality, self.region, self.unit_code = municipality, region, unit_code
        self.book = None
        self.texts: dict[int, dict[tuple, str]] = {}
        if not indicators:
            return
        if municipality is not None:
            self.book = Book(indicators, region=municipality.region)
        elif region is not None:
            self.book = Book(indicators, region=region)
        else:
            self.book = Book(indicators, national=True)
        rows = Value.objects.filter(indicator__in=indicators, unit_code=unit_code).exclude(text="")
        for indicator_id, start, end, text in rows.values_list(
            "indicator_id", "period_start", "period_end", "text"
        ):
            self.texts.setdefault(indicator_id, {})[(start, end)] = text

    def _aggregate(self, indicator: Indicator, period: tuple) -> Aggregate:
        if self.municipality is not None:
            return self.book.municipality(indicator, self.unit_code, period)
        if self.region is not None:
            return self.book.region_value(indicator, self.unit_code, period)
        return self.book.national(indicator, period)

    def series(self, indicator: Indicator) -> list[PeriodValue]:
        texts = self.texts.get(indicator.pk, {})
        periods = sorted(set(self.book.periods(indicator)) | set(texts), key=lambda p: (p[1], p[0]))
        series = []
        for period in periods:
            total = self._aggregate(indicator, period)
            text = texts.get(period, "")
            if total.value is None and not text:
                continue
            # A qualitative value is recorded for the unit itself; it does not add up from parts.
            direct = total.direct or total.value is None
            series.append(
                PeriodValue(period[0], period[1], total.value, text, total.reported, total.expected, direct)
            )
        return series


# --- Formatting -------------------------------------------------------------------------------------


def _number(value: Decimal | None, row: LogframeRow | None = None) -> str:
    """1 234,5 (as many decimals as the value has, up to four), with % for a percentage indicator."""
    if value is None:
        return ""
    decimals = min(max(-value.normalize().as_tuple().exponent, 0), 4)
    text = fmt_number(value, decimals)
    if (
        row is not None
        and row.indicator is not None
        and row.indicator.value_type == Indicator.ValueType.PERCENT
    ):
        return f"{text}\u00a0%"
    return text


def _actual_text(row: LogframeRow, actual: PeriodValue) -> str:
    shown = _number(actual.value, row) if actual.value is not None else clean(actual.text)
    text = f"{actual.label}: {shown}"
    if not actual.complete:
        text += " " + _("(%(reported)s of %(expected)s reported)") % {
            "reported": actual.reported,
            "expected": actual.expected,
        }
    return text


def _status_text(row: LogframeRow) -> list[str]:
    lines = [capfirst(row.status_label)]
    if row.progress is not None and row.progress.percent is not None:
        lines.append(f"{fmt_number(row.progress.percent, 1)}\u00a0%")
    return lines


def _labels() -> dict[str, str]:
    return {
        "title": _("Logical framework"),
        "number": "№",
        "element": _("Element / indicator"),
        "kind": field_label(Indicator, "kind"),
        "unit": _("Unit"),
        "baseline": field_label(Indicator, "baseline_value"),
        "baseline_date": field_label(Indicator, "baseline_date"),
        "targets": _("Targets"),
        "actuals": _("Values"),
        "source": field_label(Indicator, "source"),
        "verification": field_label(Indicator, "verification"),
        "collected_by": field_label(Indicator, "collected_by"),
        "status": _("Status"),
        "percent": _("Progress (%)"),
        "values_for": _("Values for: %(territory)s"),
        "rule": _(
            "Status: the progress from the baseline to the value expected by the end of the latest "
            "period with every unit reported, on the straight path to the next target; on track from 90 %, "
            "at risk from 60 %."
        ),
    }


def _heading(plan: Plan, version: PlanVersion, rows: list[LogframeRow]) -> list[str]:
    lines = [f"{clean(plan.title)} ({plan.period_label}), {version.label}"]
    if rows and rows[0].territory:
        lines.append(_labels()["values_for"] % {"territory": rows[0].territory})
    lines.append(_("As of %(date)s") % {"date": fmt_date(timezone.localdate())})
    return lines


# --- XLSX -------------------------------------------------------------------------------------------


def logframe_xlsx(plan: Plan, version: PlanVersion, rows: list[LogframeRow]) -> bytes:
    """The logical framework as a spreadsheet: one row per element and indicator, a column per
    target (year or stage) and per period of values, the numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    labels = _labels()
    targets = sorted({(t.due_on, t.label) for row in rows for t in row.targets})
    periods = sorted({(a.start, a.end) for row in rows for a in row.actuals}, key=lambda p: (p[1], p[0]))
    target_labels = [label for _due, label in targets]
    headers = [
        (labels["number"], 10),
        (labels["element"], 60),
        (labels["kind"], 12),
        (labels["unit"], 12),
        (labels["baseline"], 12),
        (labels["baseline_date"], 12),
    ]
    headers += [
        (
            f"{labels['targets']}: {label}"
            + (f" ({fmt_date(due)})" if target_labels.count(label) > 1 else ""),
            12,
        )
        for due, label in targets
    ]
    headers += [(f"{labels['actuals']}: {period_label(*period)}", 12) for period in periods]
    headers += [
        (labels["source"], 30),
        (labels["verification"], 20),
        (labels["collected_by"], 25),
        (labels["status"], 14),
        (labels["percent"], 10),
    ]
    first_target = 7
    first_period = first_target + len(targets)
    tail = first_period + len(periods)
    target_column = {key: first_target + index for index, key in enumerate(targets)}
    period_column = {key: first_period + index for index, key in enumerate(periods)}

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(labels["title"])
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    heading_fill = PatternFill("solid", fgColor="D9D9D9")
    group_fill = PatternFill("solid", fgColor="EDEDED")
    heading = _heading(plan, version, rows)
    for number, line in enumerate(heading, start=1):
        sheet.cell(row=number, column=1, value=line).font = bold if number == 1 else Font()
    top = len(heading) + 2
    for column, (name, width) in enumerate(headers, start=1):
        cell = sheet.cell(row=top, column=column, value=name)
        cell.font, cell.fill = bold, heading_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width

    def put(row: int, column: int, value, number_format: str | None = None):
        if value in (None, ""):
            return None
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # a title that starts with "=" is text, not a formula
        if number_format:
            cell.number_format = number_format
        cell.alignment = wrap
        return cell

    for index, row in enumerate(rows, start=top + 1):
        put(index, 1, row.number)
        put(index, 2, row.title)
        if row.is_element:
            for column in range(1, len(headers) + 1):
                sheet.cell(row=index, column=column).fill = group_fill
                if row.depth == 0:
                    sheet.cell(row=index, column=column).font = bold
        else:
            put(index, 3, row.kind)
            put(index, 4, row.unit)
            put(index, 5, row.baseline, _number_format(row.baseline))
            put(index, 6, row.baseline_date, "DD.MM.YYYY")
            for target in row.targets:
                put(
                    index,
                    target_column[(target.due_on, target.label)],
                    target.value,
                    _number_format(target.value),
                )
            for actual in row.actuals:
                column = period_column[(actual.start, actual.end)]
                cell = put(
                    index,
                    column,
                    actual.value if actual.value is not None else clean(actual.text),
                    _number_format(actual.value),
                )
                if cell is not None and not actual.complete:
                    cell.font = Font(italic=True)
            put(index, tail, row.source)
            put(index, tail + 1, row.verification)
            put(index, tail + 2, row.collected_by)
            status = put(index, tail + 3, row.status_label)
            if status is not None and row.status in STATUS_FILLS:
                status.fill = PatternFill("solid", fgColor=STATUS_FILLS[row.status])
            if row.progress is not None and row.progress.percent is not None:
                put(index, tail + 4, row.progress.percent, "0.0")
        if row.depth:
            sheet.row_dimensions[index].outlineLevel = min(row.depth, 7)
    sheet.cell(row=top + len(rows) + 2, column=1, value=labels["rule"])
    sheet.freeze_panes = sheet.cell(row=top + 1, column=3).coordinate
    sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{top + len(rows)}"
    sheet.sheet_properties.outlinePr.summaryBelow = False
    sheet.print_options.gridLines = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = f"{top}:{top}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number_format(value: Decimal | None) -> str:
    """Whole numbers with a thousands separator; others with their decimals (and no trailing point)."""
    if value is None or value == value.to_integral_value():
        return "#,##0"
    return "#,##0.0###"


# --- DOCX -------------------------------------------------------------------------------------------


def logframe_docx(plan: Plan, version: PlanVersion, rows: list[LogframeRow]) -> bytes:
    """The logical framework as a Word document: one landscape table, the elements as shaded rows."""
    return _LogframeDocx(plan, version, rows).render()


class _LogframeDocx(DocxWriter):
    """The plan exports' Word writer (styles, fonts, page numbers, fast tables) for one table."""

    # 247 mm: A4 landscape less the margins.
    WIDTHS = (16, 66, 25, 30, 34, 28, 26, 22)

    def __init__(self, plan: Plan, version: PlanVersion, rows: list[LogframeRow]):
        self.labels = _labels()
        super().__init__(
            SimpleNamespace(title=clean(plan.title), owner=plan.owner.name, kind_label=self.labels["title"])
        )
        self.plan, self.version, self.rows = plan, version, rows

    def render(self) -> bytes:
        from docx.enum.section import WD_ORIENT
        from docx.shared import Mm

        self._setup()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.different_first_page_header_footer = False  # no title page: every page is numbered
        labels = self.labels
        self.heading(labels["title"])
        for number, line in enumerate(_heading(self.plan, self.version, self.rows)):
            self.paragraph(line, bold=number == 0)
        headers = [
            labels["number"],
            labels["element"],
            labels["baseline"],
            labels["targets"],
            labels["actuals"],
            labels["source"],
            labels["verification"],
            labels["status"],
        ]
        table = self.table(headers, self.WIDTHS, right=(2,))
        for row in self.rows:
            if row.is_element:
                tr = table.add([[row.number], [row.title]], bold=row.depth == 0, fill="EDEDED")
                _span(tr, 1, len(headers) - 1, sum(self.WIDTHS[1:]))
                continue
            indicator = [row.title, " · ".join(part for part in (row.kind, row.unit) if part)]
            baseline = [_number(row.baseline, row)]
            if row.baseline_date:
                baseline.append(_("as of %(date)s") % {"date": fmt_date(row.baseline_date)})
            tr = table.add(
                [
                    [row.number],
                    indicator,
                    baseline,
                    [f"{t.label}: {_number(t.value, row)}" for t in row.targets],
                    [_actual_text(row, actual) for actual in row.actuals],
                    [row.source],
                    [line for line in (row.verification, row.collected_by) if line],
                    _status_text(row),
                ]
            )
            if row.status in STATUS_FILLS:
                shade(tr.tc_lst[-1], STATUS_FILLS[row.status])
        self.paragraph(labels["rule"])
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def _span(tr, first: int, count: int, width_mm: float) -> None:
    """Merge `count` cells of a table row (a w:tr element) from `first` into one."""
    from docx.shared import Mm

    cells = tr.tc_lst
    for tc in cells[first + 1 : first + count]:
        tr.remove(tc)
    cells[first].grid_span = count
    cells[first].width = Mm(width_mm)
