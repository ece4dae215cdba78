"""The agency's national summary of a year's monitoring: per region, the rounds, how complete and how
timely the reports were, where the indicators stand, and the services with their occupancy.

Read with a fixed number of queries plus, per region with a monitored plan, the two of
`aggregation.Book` (the municipalities and the values; two more for the population when a weighted
indicator is among them): the whole country (265 municipalities, 28 plans of 200 indicators with ten
years of municipal values, 530 000 values) takes about 2.5 s on PostgreSQL, most of it reading the
values (bench/bench_monitoring_report.py).
"""

from __future__ import annotations

import datetime
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.organizations.models import Organization
from socplan.plans.exports.common import fmt_date
from socplan.social_services.models import Service
from socplan.territory.models import Region

from ..aggregation import Book
from ..models import Assignment, Deadline, Indicator, Round, Submission, Target
from .data import (
    LATE,
    NO_DATA,
    ON_TIME,
    OVERDUE,
    PENDING,
    STATUSES,
    indicator_progress,
    occupancy_as_of,
    percent,
    region_name,
    services_in_period,
    status_labels,
    timeliness,
)
from .docx import ReportWriter


@dataclass
class NationalRow:
    region: str
    code: str
    rounds: list[str] = field(default_factory=list)
    expected: int = 0
    submitted: int = 0
    accepted: int = 0
    timeliness: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    indicators_round: str = ""  # the round whose indicators are counted
    services: int = 0
    capacity: int = 0
    users: int = 0
    capacity_reported: int = 0

    @property
    def indicators(self) -> int:
        return sum(self.statuses.values())

    @property
    def completeness(self) -> str:
        return percent(Decimal(self.submitted) * 100 / self.expected, decimals=0) if self.expected else "—"

    @property
    def rate(self) -> str:
        return (
            percent(Decimal(self.users) * 100 / self.capacity_reported, decimals=0)
            if self.capacity_reported
            else "—"
        )

    def add(self, other: NationalRow) -> None:
        self.expected += other.expected
        self.submitted += other.submitted
        self.accepted += other.accepted
        self.timeliness.update(other.timeliness)
        self.statuses.update(other.statuses)
        self.services += other.services
        self.capacity += other.capacity
        self.users += other.users
        self.capacity_reported += other.capacity_reported


@dataclass
class NationalSummary:
    year: int
    title: str
    owner: str
    kind_label: str
    generated_on: str
    as_of: str
    method: list[str]
    rows: list[NationalRow]
    total: NationalRow
    national_rounds: list[str]


def national_summary_data(year: int, *, today: datetime.date | None = None) -> NationalSummary:
    """Per region, the rounds whose period ends in `year` and what they gathered."""
    today = today or timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    as_of = min(end, today)
    regions = list(Region.objects.order_by("name_bg"))
    rows = {region.pk: NationalRow(region_name(region), region.code) for region in regions}
    region_by_id = {region.pk: region for region in regions}

    rounds = list(
        Round.objects.filter(period_end__year=year)
        .select_related("region", "plan")
        .order_by("period_end", "name", "pk")
    )
    national_rounds = [r.name for r in rounds if r.region_id is None]
    for r in rounds:
        if r.region_id in rows:
            rows[r.region_id].rounds.append(r.name)
    _reports(rounds, rows, today)
    _indicators(rounds, rows, region_by_id)
    _services(rows, start, end, as_of)

    total = NationalRow(_("Total"), "")
    for row in rows.values():
        total.add(row)
        total.rounds.extend(row.rounds)
    agency = Organization.objects.filter(kind=Organization.Kind.AGENCY).values_list("name", flat=True).first()
    return NationalSummary(
        year=year,
        title=_("National summary of the monitoring of social services for %(year)s") % {"year": year},
        owner=agency or "",
        kind_label=_("National summary"),
        generated_on=fmt_date(today),
        as_of=fmt_date(as_of),
        method=_method(year, as_of),
        rows=list(rows.values()),
        total=total,
        national_rounds=national_rounds,
    )


def _method(year: int, as_of: datetime.date) -> list[str]:
    return [
        _(
            "The summary covers the monitoring rounds whose reporting period ends in %(year)s. The reports of a "
            "national round count in the region of the respondent."
        )
        % {"year": year},
        _(
            "Completeness is the share of the requested reports that were submitted at least once. Timeliness "
            "compares the first submission with the round's deadline for the reports: on time, late, or overdue "
            "when the deadline has passed without a report."
        ),
        _(
            "The indicators are those of the plan monitored by the region's latest round of the year, at the end "
            "of its period, rated by that round's thresholds (the rule is stated in each regional report)."
        ),
        _(
            "Services and occupancy: the services that operated in %(year)s, with each one's latest figure "
            "of users up to %(date)s."
        )
        % {"year": year, "date": fmt_date(as_of)},
    ]


def _reports(rounds: list[Round], rows: dict[int, NationalRow], today: datetime.date) -> None:
    """Completeness and timeliness per region: one query for the deadlines, one for the reports."""
    if not rounds:
        return
    due = dict(
        Deadline.objects.filter(round__in=rounds, kind=Deadline.Kind.SUBMISSION).values_list(
            "round_id", "due_on"
        )
    )
    region_of_round = {r.pk: r.region_id for r in rounds}
    for round_id, respondent_region, municipality_region, status, first in Assignment.objects.filter(
        round__in=rounds
    ).values_list(
        "round_id",
        "respondent__region_id",
        "respondent__municipality__region_id",
        "submission__status",
        "submission__first_submitted_at",
    ):
        region_id = region_of_round[round_id] or respondent_region or municipality_region
        row = rows.get(region_id)
        if row is None:
            continue
        row.expected += 1
        row.submitted += first is not None
        row.accepted += status == Submission.Status.ACCEPTED
        kind, _days = timeliness(first, due.get(round_id), today)
        if kind:
            row.timeliness[kind] += 1


def _indicators(rounds: list[Round], rows: dict[int, NationalRow], regions: dict[int, Region]) -> None:
    """Indicator statuses per region, from its latest round of the year that monitors a plan."""
    latest: dict[int, Round] = {}
    for r in rounds:  # ordered by period_end: the last one wins
        if r.region_id and r.plan_id:
            latest[r.region_id] = r
    if not latest:
        return
    plan_ids = {r.plan_id for r in latest.values()}
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(plan_id__in=plan_ids).order_by("position", "id"):
        indicators[indicator.plan_id].append(indicator)
    targets: dict[int, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(indicator__plan_id__in=plan_ids).order_by("due_on"):
        targets[target.indicator_id].append(target)
    for region_id, r in latest.items():
        row, region = rows[region_id], regions[region_id]
        row.indicators_round = r.name
        numeric = [i for i in indicators[r.plan_id] if i.is_numeric]
        row.statuses[NO_DATA] += len(indicators[r.plan_id]) - len(numeric)
        if not numeric:
            continue
        book = Book(numeric, region=region)
        for indicator in numeric:
            result, _period, _aggregate = indicator_progress(
                book, indicator, targets[indicator.pk], r, region.code
            )
            row.statuses[result.status] += 1


def _services(
    rows: dict[int, NationalRow], start: datetime.date, end: datetime.date, as_of: datetime.date
) -> None:
    """Services, places and users per region: one query (each service's latest figure as a subquery)."""
    for region_id, capacity, users in (
        Service.objects.filter(services_in_period(start, end))
        .annotate(**occupancy_as_of(as_of))
        .values_list("region_id", "capacity", "last_users")
    ):
        row = rows.get(region_id)
        if row is None:
            continue
        row.services += 1
        row.capacity += capacity
        if users is not None:
            row.users += users
            row.capacity_reported += capacity


# --- Labels shared by the DOCX and the XLSX -------------------------------------------------------------


def _columns() -> dict[str, str]:
    names = status_labels()
    return {
        "region": _("Region"),
        "rounds": _("Rounds"),
        "expected": _("Reports requested"),
        "submitted": _("Submitted"),
        "accepted": _("Accepted"),
        "completeness": _("Completeness"),
        ON_TIME: _("On time"),
        LATE: _("Late"),
        OVERDUE: _("Overdue"),
        PENDING: _("Not yet due"),
        "indicators": _("Indicators"),
        **{status: names[status].capitalize() for status in STATUSES},
        "services": _("Services"),
        "capacity": _("Places"),
        "users": _("Users"),
        "rate": _("Occupancy"),
    }


def _cells(row: NationalRow, *, numeric: bool = False) -> dict[str, object]:
    """The values of a row: formatted for the document, or as numbers (shares as fractions) for the
    spreadsheet."""
    if numeric:
        shares = {
            "completeness": round(row.submitted / row.expected, 4) if row.expected else None,
            "rate": round(row.users / row.capacity_reported, 4) if row.capacity_reported else None,
        }
    else:
        shares = {"completeness": row.completeness, "rate": row.rate}
    return {
        "region": row.region,
        "rounds": len(row.rounds),
        "expected": row.expected,
        "submitted": row.submitted,
        "accepted": row.accepted,
        "completeness": shares["completeness"],
        ON_TIME: row.timeliness.get(ON_TIME, 0),
        LATE: row.timeliness.get(LATE, 0),
        OVERDUE: row.timeliness.get(OVERDUE, 0),
        PENDING: row.timeliness.get(PENDING, 0),
        "indicators": row.indicators,
        **{status: row.statuses.get(status, 0) for status in STATUSES},
        "services": row.services,
        "capacity": row.capacity,
        "users": row.users,
        "rate": shares["rate"],
    }


TABLES = (
    (
        "reports",
        ("region", "rounds", "expected", "submitted", "accepted", "completeness", ON_TIME, LATE, OVERDUE),
    ),
    ("indicators", ("region", "indicators", *STATUSES)),
    ("services", ("region", "services", "capacity", "users", "rate")),
)


def _table_titles() -> dict[str, str]:
    return {
        "reports": _("Reports: completeness and timeliness"),
        "indicators": _("Indicators by status"),
        "services": _("Social services and their occupancy"),
    }


# --- DOCX ----------------------------------------------------------------------------------------------


def national_summary_docx(data: NationalSummary) -> bytes:
    """The national summary as an editable Word document: the method, then one table per subject."""
    return _NationalWriter(data).render()


# Column widths in mm (160: A4 portrait less the margins).
_WIDTHS = {
    "reports": (34, 14, 16, 16, 16, 18, 15, 15, 16),
    "indicators": (44, 22, 22, 22, 22, 22),
    "services": (50, 25, 25, 25, 25),
}


class _NationalWriter(ReportWriter):
    def render(self) -> bytes:
        data = self.data
        self._setup()
        self.centred(data.owner.upper(), 14, bold=True)
        self.centred(data.title, 17, bold=True, space_before=150)
        self.centred(data.generated_on, 12, space_before=120)
        self.page_break()
        self.heading(_("Method"))
        for text in data.method:
            self.paragraph(text)
        columns, titles = _columns(), _table_titles()
        for key, names in TABLES:
            self.heading(titles[key])
            table = self.table(
                [columns[name] for name in names], _WIDTHS[key], right=tuple(range(1, len(names)))
            )
            for row in [*data.rows, data.total]:
                cells = _cells(row)
                table.add([[str(cells[name])] for name in names], bold=row is data.total)
        self.heading(_("Rounds of the year"))
        for row in data.rows:
            if row.rounds:
                self.labelled(row.region, "; ".join(row.rounds))
        if data.national_rounds:
            self.labelled(_("National rounds"), "; ".join(data.national_rounds))
        if not data.total.rounds and not data.national_rounds:
            self.italic(_("No round has a reporting period ending in %(year)s.") % {"year": data.year})
        return self.save()


# --- PDF -----------------------------------------------------------------------------------------------

# The PDF's HTML, kept here beside the data it shows: the same parts as the Word document. Every
# label comes formatted from this module, so the template holds no strings of its own to translate.
_HTML = """<!DOCTYPE html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<title>{{ data.title }}</title>
<style>
  @page { size: A4; margin: 2.2cm 2cm;
    @bottom-center { content: {{ page_css|safe }}; font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; } }
  @page :first { @bottom-center { content: none; } }
  html { font-family: "DejaVu Serif", serif; font-size: 10.5pt; line-height: 1.35; }
  p { margin: 0 0 0.45em; text-align: justify; }
  h1 { font-family: "DejaVu Sans", sans-serif; font-size: 13pt; margin: 1.1em 0 0.45em;
       border-bottom: 1px solid #000; page-break-after: avoid; }
  .title-page { page-break-after: always; text-align: center; }
  .title-page p { text-align: center; }
  .owner { font-weight: bold; text-transform: uppercase; font-size: 13pt; }
  .title { margin-top: 6cm; font-size: 16pt; font-weight: bold; }
  .date { margin-top: 4cm; }
  table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 0.3em 0 0.8em; }
  th, td { border: 0.6pt solid #000; padding: 2pt 3pt; text-align: right; vertical-align: top; }
  th { background: #d9d9d9; font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; }
  th:first-child, td:first-child { text-align: left; width: 26%; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  tr.total td { font-weight: bold; }
  .label { font-weight: bold; }
</style>
</head>
<body>
<section class="title-page">
  <p class="owner">{{ data.owner }}</p>
  <p class="title">{{ data.title }}</p>
  <p class="date">{{ data.generated_on }}</p>
</section>
<h1>{{ method }}</h1>
{% for text in data.method %}<p>{{ text }}</p>{% endfor %}
{% for table in tables %}
<h1>{{ table.title }}</h1>
<table>
  <thead><tr>{% for header in table.headers %}<th>{{ header }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for row in table.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
  <tr class="total">{% for cell in table.total %}<td>{{ cell }}</td>{% endfor %}</tr>
  </tbody>
</table>
{% endfor %}
<h1>{{ rounds_title }}</h1>
{% for line in rounds %}<p><span class="label">{{ line.0 }}:</span> {{ line.1 }}</p>{% empty %}<p>{{ no_rounds }}</p>{% endfor %}
</body>
</html>
"""


def national_summary_html(data: NationalSummary) -> str:
    from django.template import engines
    from django.utils.translation import get_language

    from .pdf import page_css

    columns, titles = _columns(), _table_titles()
    tables = []
    for key, names in TABLES:
        tables.append(
            {
                "title": titles[key],
                "headers": [columns[name] for name in names],
                "rows": [[_cells(row)[name] for name in names] for row in data.rows],
                "total": [_cells(data.total)[name] for name in names],
            }
        )
    rounds = [(row.region, "; ".join(row.rounds)) for row in data.rows if row.rounds]
    if data.national_rounds:
        rounds.append((_("National rounds"), "; ".join(data.national_rounds)))
    return (
        engines["django"]
        .from_string(_HTML)
        .render(
            {
                "data": data,
                "language": get_language() or "bg",
                "page_css": page_css(),
                "method": _("Method"),
                "tables": tables,
                "rounds_title": _("Rounds of the year"),
                "rounds": rounds,
                "no_rounds": _("No round has a reporting period ending in %(year)s.") % {"year": data.year},
            }
        )
    )


def national_summary_pdf(data: NationalSummary) -> bytes:
    """The national summary as a PDF (WeasyPrint), with the same parts as the Word document."""
    from socplan.core.pdf import html_to_pdf

    return html_to_pdf(national_summary_html(data))


# --- XLSX ----------------------------------------------------------------------------------------------


def national_summary_xlsx(data: NationalSummary) -> bytes:
    """The national summary as one spreadsheet table (a row per region, and the total)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    columns = _columns()
    names = list(dict.fromkeys(name for _key, group in TABLES for name in group))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(data.year)
    sheet.append([data.title])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append([])
    sheet.append([columns[name] for name in names])
    header = sheet.max_row
    for cell in sheet[header]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in [*data.rows, data.total]:
        cells = _cells(row, numeric=True)
        sheet.append([cells[name] for name in names])
        for index, name in enumerate(names, 1):
            if name in ("completeness", "rate"):
                sheet.cell(row=sheet.max_row, column=index).number_format = "0%"
        if row is data.total:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=header + 1, column=2)
    sheet.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
