"""Pages of the monitoring dashboards: the country, a region, the map of an indicator, the XLSX export.

The content of each page is rendered once per data version, language and scope (core.cache): the
scope decides what is shown (a municipal expert sees the aggregates of the region but the detail
of their own municipality only), so users with the same rights share the rendering. Charts are
inline SVG drawn here, each with a title, a description and its figures as a table beside it.
"""

from __future__ import annotations

import io
import math
import re
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socplan.core.cache import cached_page, cached_render
from socplan.core.http import attachment_header
from socplan.plans.exports.common import clean

from .. import dashboards
from ..dashboards import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, STATUS_LABELS, STATUSES, IndicatorRow, YearPoint
from ..models import Indicator
from .rounds import STATE_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NATIONAL_CODE = "BG"  # the unit code of the country (as in Value.unit_code): the national export
STATUS_COLORS = {ON_TRACK: "#1e6b34", AT_RISK: "#b36200", OFF_TRACK: "#a4161a", NO_DATA: "#8a96a3"}
STATUS_TAGS = {ON_TRACK: "tag-added", AT_RISK: "tag-changed", OFF_TRACK: "tag-removed", NO_DATA: ""}
ACTUAL_COLOR, EXPECTED_COLOR, AXIS_COLOR, TEXT_COLOR = "#0b5394", "#5b7083", "#cfd6de", "#4a5562"


class YearsForm(forms.Form):
    year_from = forms.IntegerField(label=gettext_lazy("From year"), min_value=1990, max_value=2100, required=False)
    year_to = forms.IntegerField(label=gettext_lazy("To year"), min_value=1990, max_value=2100, required=False)

    def clean(self):
        data = super().clean()
        if data.get("year_from") and data.get("year_to") and data["year_from"] > data["year_to"]:
            raise ValidationError(_("The first year is after the last one."))
        return data


def _years(request) -> tuple[YearsForm, int | None, int | None]:
    """The years asked for (an invalid choice shows its error and the whole period)."""
    form = YearsForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data.get("year_from"), form.cleaned_data.get("year_to")
    return form, None, None


# --- Formatting and charts ------------------------------------------------------------------------


def number(value: Decimal | float | None) -> str:
    """1 234,5: as many decimals as the value has, up to two (expected values on the path to a
    target carry more); "" for none.

    The separators of the active format module, as plans.exports.common.fmt_number writes them, but
    by str.format: a region's page formats some 10 000 numbers, and number_format() would take a
    good part of its rendering time.
    """
    if value is None:
        return ""
    value = Decimal(str(value)) if not isinstance(value, Decimal) else value
    decimals = min(max(-value.normalize().as_tuple().exponent, 0), 2)
    text = f"{value:,.{decimals}f}"
    decimal_separator, thousand_separator = get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR")
    return text.replace(",", "\0").replace(".", decimal_separator).replace("\0", thousand_separator)


def _svg_number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def line_chart(points: list[YearPoint], *, title: str, uid: str, width: int = 300, height: int = 110) -> SafeString:
    """Actual values (solid, points coloured by status) and the expected path (dashed) by year.

    Kept small (whole units, shared attributes on groups): a region's page holds 200 of them.
    """
    left, right, top, bottom = 46, 16, 8, 18  # room for the last year's label
    plot_w, plot_h = width - left - right, height - top - bottom
    numbers = [float(v) for p in points for v in (p.actual, p.expected) if v is not None]
    low, high = min([0.0, *numbers]), max([0.0, *numbers])
    if high == low:
        high = low + 1
    n = len(points)

    def x(index: int) -> int:
        return round(left + (plot_w * index / (n - 1) if n > 1 else plot_w / 2))

    def y(value) -> int:
        return round(top + plot_h - (float(value) - low) / (high - low) * plot_h)

    def path(attribute: str) -> str:
        parts, pen_down = [], False
        for index, point in enumerate(points):
            value = getattr(point, attribute)
            if value is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{x(index)} {y(value)}")
            pen_down = True
        return "".join(parts)

    latest = next((p for p in reversed(points) if p.actual is not None), None)
    if latest is not None:
        description = _("%(year)s: %(value)s, expected %(expected)s (%(status)s).") % {
            "year": latest.year, "value": number(latest.actual), "expected": number(latest.expected) or "—",
            "status": STATUS_LABELS[latest.status],
        }
    else:
        description = _("No value yet.")
    step = max(1, math.ceil(n / 6))
    years = "".join(
        f'<text x="{x(index)}" y="{height - 4}">{point.year}</text>'
        for index, point in enumerate(points) if (n - 1 - index) % step == 0  # the last year always
    )
    out = [
        f'<svg class="dashboard-chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" font-size="10">',
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(description)}</desc>',
        f'<g stroke="{AXIS_COLOR}"><line x1="{left}" y1="{y(low)}" x2="{width - right}" y2="{y(low)}"/>',
        f'<line x1="{left}" y1="{y(high)}" x2="{width - right}" y2="{y(high)}" stroke-dasharray="2 3"/></g>',
        f'<g fill="{TEXT_COLOR}" text-anchor="end"><text x="{left - 4}" y="{y(high) + 3}">{escape(number(high))}</text>',
        f'<text x="{left - 4}" y="{y(low) + 3}">{escape(number(low))}</text></g>',
        f'<g fill="{TEXT_COLOR}" text-anchor="middle">{years}</g>',
    ]
    expected = path("expected")
    if expected:
        out.append(f'<path d="{expected}" fill="none" stroke="{EXPECTED_COLOR}" stroke-width="1.5" stroke-dasharray="5 3"/>')
    actual = path("actual")
    if actual:
        out.append(f'<path d="{actual}" fill="none" stroke="{ACTUAL_COLOR}" stroke-width="2"/>')
    # Short tooltips: the figures table below the charts has the rest.
    out.append('<g stroke="#fff">')
    out.extend(
        f'<circle cx="{x(index)}" cy="{y(point.actual)}" r="3.5" fill="{STATUS_COLORS[point.status]}">'
        f"<title>{point.year}: {escape(number(point.actual))}</title></circle>"
        for index, point in enumerate(points) if point.actual is not None
    )
    out.append("</g></svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def status_bar(counts: dict[str, int], *, title: str, uid: str, width: int = 260, height: int = 16) -> SafeString:
    """A stacked bar of the statuses; its title states every count."""
    total = sum(counts.values())
    summary = ", ".join(f"{counts.get(s, 0)} {STATUS_LABELS[s]}" for s in STATUSES)
    out = [
        # As wide as its box allows, up to `width`.
        f'<svg class="status-bar" width="100%" height="{height}" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'style="max-width:{width}px;display:block" role="img" '
        f'aria-labelledby="{uid}-t">',
        f'<title id="{uid}-t">{escape(title)}: {escape(summary if total else _("no indicators"))}</title>',
    ]
    if not total:
        out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eceff3"/>')
    start = 0.0
    for status in STATUSES:
        count = counts.get(status, 0)
        if not count:
            continue
        span = width * count / total
        out.append(
            f'<rect x="{_svg_number(start)}" y="0" width="{_svg_number(span)}" height="{height}" fill="{STATUS_COLORS[status]}">'
            f"<title>{escape(STATUS_LABELS[status])}: {count}</title></rect>"
        )
        start += span
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _reported(point: YearPoint | None) -> str:
    if point is None or point.direct or point.expected_units <= 1 or point.reported >= point.expected_units:
        return ""
    return _("%(reported)s of %(expected)s municipalities") % {"reported": point.reported, "expected": point.expected_units}


def _row(row: IndicatorRow, uid: str) -> dict:
    """An indicator's line as the templates show it."""
    indicator = row.indicator
    latest = row.latest
    status = row.status
    return {
        "indicator": indicator,
        "plan": row.plan,
        "municipality": row.municipality,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "tag": STATUS_TAGS[status],
        "year": latest.year if latest else None,
        "value": number(latest.actual) if latest else "",
        "expected": number(latest.expected) if latest else "",
        "target": number(latest.target) if latest else "",
        "target_label": latest.target_label if latest else "",
        "percent": number(latest.percent) if latest and latest.percent is not None else "",
        "reported": _reported(latest),
        "unit": "%" if indicator.value_type == Indicator.ValueType.PERCENT else indicator.unit,
        "chart": line_chart(row.series, title=_("%(name)s: value and expected value by year") % {"name": indicator.name}, uid=uid)
        if row.series else "",
        "points": {p.year: {"value": number(p.actual), "expected": number(p.expected), "reported": _reported(p)} for p in row.series},
    }


def _block(rows: list[dict]) -> dict:
    """Rows with their figures aligned on the years of the block (the chart's data as a table)."""
    years = sorted({year for row in rows for year in row["points"]})
    for row in rows:
        row["cells"] = [row["points"].get(year) for year in years]
    return {"rows": rows, "years": years}


def _legend(counts: dict[str, int]) -> list[dict]:
    return [{"status": s, "label": STATUS_LABELS[s], "count": counts.get(s, 0), "color": STATUS_COLORS[s]} for s in STATUSES]


# --- Pages ----------------------------------------------------------------------------------------


@login_required
@cached_page
def dashboard(request):
    """The country for those who read all of it; otherwise the user's region (or a choice of them)."""
    if dashboards.can_see_national(user=request.user):
        content = cached_render(request, "monitoring/dashboard_national_content.html", _national_context, parts=("national",))
        return render(request, "monitoring/dashboard_national.html", {"content": content})
    regions = list(dashboards.dashboard_regions(user=request.user).order_by("name_bg"))
    if len(regions) == 1:
        return redirect("monitoring:dashboard_region", region_code=regions[0].code)
    return render(request, "monitoring/dashboard_choose.html", {"regions": regions})


def _national_context() -> dict:
    national = dashboards.national_dashboard()
    lines = []
    for index, line in enumerate(national.regions):
        lines.append(
            {
                "line": line,
                "bar": status_bar(line.counts, title=str(line.region), uid=f"nr{index}"),
                "percent_in": line.completeness.percent_in if line.completeness else None,
            }
        )
    blocks = [
        {"plan": block.plan, "table": _block([_row(row, f"np{b}-{i}") for i, row in enumerate(block.rows)]),
         "legend": _legend(block.counts)}
        for b, block in enumerate(national.national)
    ]
    return {
        "lines": lines,
        "bar": status_bar(national.counts, title=_("All regions"), uid="nall"),
        "legend": _legend(national.counts),
        "shared": national.shared,
        "blocks": blocks,
        "status_labels": STATUS_LABELS,
    }


@login_required
@cached_page
def dashboard_region(request, region_code: str):
    region = dashboards.dashboard_region_get(user=request.user, code=region_code)
    form, year_from, year_to = _years(request)

    def build() -> dict:
        readable = dashboards.readable_municipality_ids(user=request.user, region=region)
        board = dashboards.region_dashboard(region, year_from=year_from, year_to=year_to)
        plans = [
            {
                "plan": block.plan,
                "table": _block([_row(row, f"r{b}-{i}") for i, row in enumerate(block.rows)]),
                "bar": status_bar(block.counts, title=str(block.plan.title), uid=f"rp{b}"),
                "legend": _legend(block.counts),
            }
            for b, block in enumerate(board.regional)
        ]
        own = readable or set()
        municipal = [
            {
                "municipality": block.municipality,
                "counts": [block.counts[s] for s in STATUSES],
                "total": block.total,
                "bar": status_bar(block.counts, title=str(block.municipality), uid=f"mb{m}", width=160, height=12),
                "own": block.municipality.pk in own,
                "table": _block([_row(row, f"m{m}-{i}") for i, row in enumerate(block.rows)])
                if block.rows and (readable is None or block.municipality.pk in readable) else None,
            }
            for m, block in enumerate(board.municipal)
        ]
        states = []
        if board.completeness is not None:
            states = [{"state": k, "label": STATE_LABELS.get(k, k), "count": n} for k, n in board.completeness.counts.items()]
        return {
            "region": region,
            "board": board,
            "plans": plans,
            "bar": status_bar(board.counts, title=_("Regional strategies"), uid="rall", width=360, height=20),
            "legend": _legend(board.counts),
            "municipal": municipal,
            "municipal_bar": status_bar(board.municipal_counts, title=_("Municipal plans"), uid="mall", width=360, height=20),
            "municipal_legend": _legend(board.municipal_counts),
            "states": states,
            "show_respondents": readable is None,
            "status_labels": STATUS_LABELS,
        }

    content = cached_render(request, "monitoring/dashboard_region_content.html", build, parts=(region.code, year_from, year_to))
    return render(
        request,
        "monitoring/dashboard_region.html",
        {"region": region, "content": content, "form": form, "national": dashboards.can_see_national(user=request.user)},
    )


def _map_indicators(region, readable: set[int] | None) -> list[Indicator]:
    """The numeric indicators of the region's dashboard whose map the user may see."""
    return [
        i for i in dashboards.region_indicators(region)
        if i.is_numeric and (i.plan.municipality_id is None or readable is None or i.plan.municipality_id in readable)
    ]


@login_required
@cached_page
def dashboard_indicator_map(request, region_code: str):
    region = dashboards.dashboard_region_get(user=request.user, code=region_code)
    readable = dashboards.readable_municipality_ids(user=request.user, region=region)
    candidates = _map_indicators(region, readable)
    wanted = request.GET.get("indicator", "")
    if wanted:
        indicator = next((i for i in candidates if str(i.pk) == wanted), None)
        if indicator is None:
            raise Http404
    else:
        indicator = candidates[0] if candidates else None
    period = request.GET.get("period", "")
    year = int(period) if period.isdigit() and 1990 <= int(period) <= 2100 else None

    def build() -> dict:
        if indicator is None:
            return {"region": region, "map": None}
        result = dashboards.indicator_map(indicator, year, region=region, shown=readable)
        shown = [item for item in result.items if item.klass != "hidden"]
        return {
            "region": region,
            "indicators": candidates,
            "indicator": indicator,
            "map": result,
            "has_own": readable is not None and any(item.municipality.pk in readable for item in result.items),
            "items": [{"item": item, "value": number(item.value), "own": readable is not None and item.municipality.pk in readable}
                      for item in result.items],
            "shown": shown,
            "legend": [{"klass": e["klass"], "from": number(e["from"]), "to": number(e["to"])} for e in result.legend],
            "value": number(result.region_value.value) if result.region_value else "",
            "expected": number(result.expected),
            "status_label": STATUS_LABELS[result.status],
            "tag": STATUS_TAGS[result.status],
            "reported": _reported_aggregate(result.region_value),
            "unit": "%" if indicator.value_type == Indicator.ValueType.PERCENT else indicator.unit,
            "hidden_any": len(shown) < len(result.items),
        }

    content = cached_render(
        request, "monitoring/dashboard_map_content.html", build, parts=(region.code, indicator.pk if indicator else None, year)
    )
    return render(request, "monitoring/dashboard_map.html", {"region": region, "content": content})


def _reported_aggregate(aggregate) -> str:
    if aggregate is None or aggregate.direct or aggregate.expected <= 1 or aggregate.reported >= aggregate.expected:
        return ""
    return _("%(reported)s of %(expected)s municipalities") % {"reported": aggregate.reported, "expected": aggregate.expected}


@login_required
def dashboard_xlsx(request, region_code: str):
    """The dashboard's tables as a workbook (numbers as numbers); "BG" is the national dashboard."""
    if region_code.upper() == NATIONAL_CODE:
        if not dashboards.can_see_national(user=request.user):
            raise Http404
        content = national_workbook(dashboards.national_dashboard())
        filename = _("Monitoring dashboard — Bulgaria") + ".xlsx"
        fallback = "dashboard-BG.xlsx"
    else:
        region = dashboards.dashboard_region_get(user=request.user, code=region_code)
        _form, year_from, year_to = _years(request)
        board = dashboards.region_dashboard(region, year_from=year_from, year_to=year_to)
        readable = dashboards.readable_municipality_ids(user=request.user, region=region)
        content = region_workbook(board, readable=readable)
        filename = _("Monitoring dashboard — %(region)s") % {"region": region.name} + ".xlsx"
        fallback = f"dashboard-{region.code}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment_header(filename, fallback)
    return response


# --- Workbooks ------------------------------------------------------------------------------------


def _sheet(workbook, title: str, headings: list[tuple[str, int]], *, first: bool = False):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31]
    for column, (heading, width) in enumerate(headings, start=1):
        cell = sheet.cell(row=1, column=column, value=heading)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _put(sheet, row: int, values: list) -> None:
    for column, value in enumerate(values, start=1):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            cell = sheet.cell(row=row, column=column, value=clean(value))
            cell.data_type = "s"  # a name that starts with "=" is text, not a formula
        else:
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.####"


def _finish(sheet, rows: int, columns: int) -> None:
    from openpyxl.utils import get_column_letter

    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1)}"


def _indicator_cells(row: IndicatorRow) -> list:
    latest = row.latest
    indicator = row.indicator
    return [
        indicator.code, indicator.name, indicator.unit, indicator.get_aggregation_display(),
        latest.year if latest else None, latest.actual if latest else None, latest.expected if latest else None,
        latest.target if latest else None, latest.target_label if latest else None,
        latest.percent if latest else None, str(STATUS_LABELS[row.status]),
    ]


INDICATOR_HEADINGS = [
    (gettext_lazy("Code"), 10), (gettext_lazy("Indicator"), 50), (gettext_lazy("Unit"), 12),
    (gettext_lazy("How values add up"), 24), (gettext_lazy("Latest year"), 10), (gettext_lazy("Value"), 14),
    (gettext_lazy("Expected"), 14), (gettext_lazy("Target"), 14), (gettext_lazy("Target by"), 14),
    (gettext_lazy("Progress (%)"), 12), (gettext_lazy("Status"), 14),
]
SERIES_HEADINGS = [
    (gettext_lazy("Year"), 8), (gettext_lazy("Value"), 14), (gettext_lazy("Expected"), 14), (gettext_lazy("Target"), 14),
    (gettext_lazy("Progress (%)"), 12), (gettext_lazy("Status"), 14), (gettext_lazy("Municipalities reported"), 14),
    (gettext_lazy("of"), 8),
]


def _headings(pairs) -> list[tuple[str, int]]:
    return [(str(label), width) for label, width in pairs]


def _series_cells(point: YearPoint) -> list:
    return [
        point.year, point.actual, point.expected, point.target, point.percent,
        str(STATUS_LABELS[point.status]) if point.actual is not None else None,
        point.reported if point.expected_units else None, point.expected_units or None,
    ]


def region_workbook(board: dashboards.RegionDashboard, *, readable: set[int] | None) -> bytes:
    """The region's dashboard as a workbook: the indicators, their values by year, the municipal
    plans (of the municipalities the user may see in detail), the municipalities' status counts
    and the completeness of the current round."""
    from openpyxl import Workbook

    workbook = Workbook()
    plan_heading = (_("Plan"), 40)
    sheet = _sheet(workbook, _("Indicators"), [plan_heading, *_headings(INDICATOR_HEADINGS)], first=True)
    row_number = 1
    for row in board.rows:
        row_number += 1
        _put(sheet, row_number, [row.plan.title, *_indicator_cells(row)])
    _finish(sheet, row_number, len(INDICATOR_HEADINGS) + 1)

    sheet = _sheet(workbook, _("By year"), [plan_heading, (_("Code"), 10), (_("Indicator"), 50), *_headings(SERIES_HEADINGS)])
    row_number = 1
    for row in board.rows:
        for point in row.series:
            row_number += 1
            _put(sheet, row_number, [row.plan.title, row.indicator.code, row.indicator.name, *_series_cells(point)])
    _finish(sheet, row_number, len(SERIES_HEADINGS) + 3)

    sheet = _sheet(
        workbook, _("Municipal plans"),
        [(_("Municipality"), 22), plan_heading, (_("Code"), 10), (_("Indicator"), 50), *_headings(SERIES_HEADINGS[:6])],
    )
    row_number = 1
    for block in board.municipal:
        if readable is not None and block.municipality.pk not in readable:
            continue
        for row in block.rows:
            for point in row.series:
                row_number += 1
                _put(sheet, row_number, [block.municipality.name, row.plan.title, row.indicator.code, row.indicator.name,
                                         *_series_cells(point)[:6]])
    _finish(sheet, row_number, 10)

    sheet = _sheet(workbook, _("Municipalities"), [(_("Municipality"), 22), *[(str(STATUS_LABELS[s]), 12) for s in STATUSES]])
    row_number = 1
    for block in board.municipal:
        row_number += 1
        _put(sheet, row_number, [block.municipality.name, *[block.counts[s] for s in STATUSES]])
    _finish(sheet, row_number, 1 + len(STATUSES))

    if board.completeness is not None:
        row_number = 1
        if readable is None:
            sheet = _sheet(workbook, _("Round"), [(_("Respondent"), 40), (_("Form"), 40), (_("State"), 20), (_("Days late"), 10)])
            for entry in board.completeness.rows:
                row_number += 1
                assignment = entry.submission.assignment
                _put(sheet, row_number, [assignment.respondent.name, assignment.template.name,
                                         str(STATE_LABELS.get(entry.state, entry.state)), entry.late_days or None])
        else:  # who has reported is the region's to see; the others see how many
            sheet = _sheet(workbook, _("Round"), [(_("State"), 30), (_("Forms"), 10)])
            for state, count in board.completeness.counts.items():
                row_number += 1
                _put(sheet, row_number, [str(STATE_LABELS.get(state, state)), count])
        _finish(sheet, row_number, 4 if readable is None else 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def national_workbook(national: dashboards.NationalDashboard) -> bytes:
    """The national dashboard as a workbook: the regions, the shared indicators, the national plans."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = _sheet(
        workbook, _("Regions"),
        [(_("Region"), 24), (_("Indicators"), 12), *[(str(STATUS_LABELS[s]), 12) for s in STATUSES],
         (_("Latest round"), 40), (_("Forms"), 10), (_("Submitted (%)"), 12)],
        first=True,
    )
    row_number = 1
    for line in national.regions:
        row_number += 1
        _put(sheet, row_number, [
            line.region.name, line.indicators, *[line.counts[s] for s in STATUSES],
            line.round.name if line.round else None,
            line.completeness.total if line.completeness else None,
            line.completeness.percent_in if line.completeness else None,
        ])
    _finish(sheet, row_number, 9)

    regions = [line.region for line in national.regions]
    sheet = _sheet(
        workbook, _("Shared indicators"),
        [(_("Code"), 10), (_("Indicator"), 50), *[(str(STATUS_LABELS[s]), 12) for s in STATUSES],
         *[(region.code, 10) for region in regions]],
    )
    row_number = 1
    for shared in national.shared:
        row_number += 1
        _put(sheet, row_number, [shared.code, shared.name, *[shared.counts[s] for s in STATUSES],
                                 *[str(STATUS_LABELS[shared.statuses[r.code]]) if r.code in shared.statuses else None for r in regions]])
    _finish(sheet, row_number, 6 + len(regions))

    sheet = _sheet(workbook, _("National plans"), [(_("Plan"), 40), (_("Code"), 10), (_("Indicator"), 50), *_headings(SERIES_HEADINGS)])
    row_number = 1
    for block in national.national:
        for row in block.rows:
            for point in row.series:
                row_number += 1
                _put(sheet, row_number, [block.plan.title, row.indicator.code, row.indicator.name, *_series_cells(point)])
    _finish(sheet, row_number, len(SERIES_HEADINGS) + 3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

