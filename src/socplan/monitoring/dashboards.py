"""The dashboards of monitoring: where the indicators of a region, and of the country, stand.

The reads behind the dashboard pages and their XLSX export. Values are added up by
`aggregation.Book` (loaded once per region) and judged against the targets by
`aggregation.progress`; nothing here re-implements a rule of aggregation.

- A region's dashboard shows the indicators of its regional strategies (the region's values: a value
  recorded for the region itself, or the municipal values added up by the indicator's rule) and
  the indicators of the municipal plans of its municipalities (each municipality's own values:
  they describe that municipality and are never added up). Each indicator has a yearly series
  (the period of a year is the one ending in that year, the longest when several do), the value
  expected by then on the path to the targets, and a status. Only plans that were adopted
  (adopted, in force or closed) are monitored; qualitative (text) indicators are counted but not
  charted.
- The status of an indicator is its status in the last year with a complete value (every
  municipality reported; else the last year with any value) (`progress()`), with
  the thresholds of the region's current round (the latest open one) or the methodology's
  defaults (90 % / 60 %).
- The national dashboard gives, per region, the status counts of its regional strategies'
  indicators and the completeness of its latest round; indicators that several regions share (the
  same code) with their status in each; and the indicators of the agency's national plans (no
  region, no municipality) with the country's values (`Book.national`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from socplan.core.scoping import scope_for
from socplan.organizations.models import Organization
from socplan.plans.models import Plan
from socplan.territory import geo
from socplan.territory.models import Municipality, Region

from .aggregation import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, Aggregate, Book, Period, progress
from .models import Indicator, Round, Target
from .selectors import Completeness, completeness, reads_national

STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)
STATUS_LABELS = {
    ON_TRACK: _("on track"),
    AT_RISK: _("at risk"),
    OFF_TRACK: _("off track"),
    NO_DATA: _("no data"),
}
# The thresholds of progress() when the region has no open round that sets its own.
DEFAULT_THRESHOLDS = (90, 60)
MONITORED_PLAN_STATUSES = (Plan.Status.ADOPTED, Plan.Status.IN_FORCE, Plan.Status.CLOSED)
MAP_CLASSES = 5


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


# --- Who sees which dashboard ---------------------------------------------------------------------


def dashboard_regions(*, user) -> QuerySet[Region]:
    """The regions whose dashboard a user may see: those they read, as a whole or through one of
    their municipalities (a municipal expert follows the region's aggregates)."""
    scope = scope_for(user)
    regions = Region.objects.defer("svg_path")
    if scope.read.everything:
        return regions
    q = Q(pk__in=sorted(scope.read.region_ids)) | Q(municipalities__in=sorted(scope.read.municipality_ids))
    return regions.filter(q).distinct()


def dashboard_region_get(*, user, code: str) -> Region:
    return get_object_or_404(dashboard_regions(user=user), code=code.upper())


def can_see_national(*, user) -> bool:
    return reads_national(user=user)


def readable_municipality_ids(*, user, region: Region) -> set[int] | None:
    """The municipalities whose own figures (values, municipal plans' indicators) a user may see on
    the region's dashboard; None: all of them (the user reads the whole region)."""
    scope = scope_for(user)
    if scope.read.everything or region.pk in scope.read.region_ids:
        return None
    return set(scope.read.municipality_ids)


# --- Series and status ----------------------------------------------------------------------------


@dataclass
class YearPoint:
    year: int
    period: Period | None
    actual: Decimal | None
    expected: Decimal | None
    target: Decimal | None
    target_label: str
    percent: Decimal | None
    status: str
    reported: int = 0
    expected_units: int = 0
    direct: bool = False


@dataclass
class IndicatorRow:
    indicator: Indicator
    plan: Plan
    municipality: Municipality | None  # for a municipal plan's indicator: its municipality
    series: list[YearPoint]

    @property
    def latest(self) -> YearPoint | None:
        """The last year with a value every municipality reported (a total of a few would read as
        "off track"); the last year with any value when none is complete yet."""
        with_value = [p for p in self.series if p.actual is not None]
        complete = [p for p in with_value if p.direct or p.reported >= p.expected_units]
        return (complete or with_value or [None])[-1]

    @property
    def status(self) -> str:
        latest = self.latest
        return latest.status if latest is not None else NO_DATA


def year_periods(book: Book, indicator: Indicator) -> dict[int, Period]:
    """The period that stands for each year: the one ending last in it, and of those ending that
    day the longest (a year rather than its second half)."""
    chosen: dict[int, Period] = {}
    for period in book.periods(indicator):  # ordered by end, then start
        current = chosen.get(period[1].year)
        if current is None or period[1] > current[1] or (period[1] == current[1] and period[0] < current[0]):
            chosen[period[1].year] = period
    return chosen


# A target as progress() reads it, without the cost of a model instance (the country has thousands).
TargetPoint = namedtuple("TargetPoint", "label due_on value")


def attach_targets(indicators: list[Indicator], qs: QuerySet[Indicator]) -> list[Indicator]:
    """Give each indicator of `qs` its targets (`dashboard_targets`) in one query.

    A subquery rather than prefetch_related: the national dashboard's thousands of ids would make
    an IN list that costs more to build than to run.
    """
    found: dict[int, list[TargetPoint]] = defaultdict(list)
    rows = (
        Target.objects.filter(indicator__in=qs.order_by().values("pk"))
        .order_by("due_on")
        .values_list("indicator_id", "label", "due_on", "value")
    )
    for indicator_id, label, due_on, value in rows:
        found[indicator_id].append(TargetPoint(label, due_on, value))
    for indicator in indicators:
        indicator.dashboard_targets = found.get(indicator.pk, [])
    return indicators


def _targets(indicator: Indicator) -> list:
    targets = getattr(indicator, "dashboard_targets", None)
    return targets if targets is not None else list(indicator.targets.order_by("due_on"))


def series(
    book: Book,
    indicator: Indicator,
    years: Iterable[int],
    value_at: Callable[[Period], Aggregate],
    *,
    thresholds: tuple[int, int] = DEFAULT_THRESHOLDS,
) -> list[YearPoint]:
    """The indicator's yearly points: the value of the year's period (by `value_at`), the value
    expected by the period's end (by the year's end when there is no value) and the status."""
    periods = year_periods(book, indicator)
    targets = _targets(indicator)
    on_track_from, at_risk_from = thresholds
    points = []
    for year in years:
        period = periods.get(year)
        aggregate = value_at(period) if period is not None else None
        actual = aggregate.value if aggregate is not None else None
        at = period[1] if period is not None else datetime.date(year, 12, 31)
        where = progress(indicator, targets, actual, at, on_track_from=on_track_from, at_risk_from=at_risk_from)
        points.append(
            YearPoint(
                year, period, actual, where.expected, where.target, where.target_label, where.percent, where.status,
                aggregate.reported if aggregate else 0, aggregate.expected if aggregate else 0,
                aggregate.direct if aggregate else False,
            )
        )
    return points


def _years(plan: Plan, year_from: int | None, year_to: int | None) -> range:
    return range(max(plan.period_start, year_from or plan.period_start), min(plan.period_end, year_to or plan.period_end) + 1)


def _indicators(qs: QuerySet[Indicator]) -> QuerySet[Indicator]:
    return (
        qs.filter(plan__status__in=MONITORED_PLAN_STATUSES)
        .select_related("plan", "municipality")
        .defer("municipality__svg_path", "municipality__bbox")
        .order_by("plan__period_start", "plan_id", "position", "id")
    )


def _round_thresholds(round: Round | None) -> tuple[int, int]:
    return (round.on_track_from, round.at_risk_from) if round is not None else DEFAULT_THRESHOLDS


# --- The region -----------------------------------------------------------------------------------


@dataclass
class PlanBlock:
    plan: Plan
    rows: list[IndicatorRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=empty_counts)


@dataclass
class MunicipalBlock:
    municipality: Municipality
    rows: list[IndicatorRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=empty_counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class RegionDashboard:
    region: Region
    year_from: int | None
    year_to: int | None
    regional: list[PlanBlock]
    municipal: list[MunicipalBlock]  # every municipality of the region, those without plans too
    counts: dict[str, int]  # of the regional strategies' indicators
    municipal_counts: dict[str, int]
    qualitative: int  # text indicators: counted, not charted
    round: Round | None
    completeness: Completeness | None
    thresholds: tuple[int, int]

    @property
    def years(self) -> list[int]:
        found = {p.year for block in self.regional for row in block.rows for p in row.series}
        found |= {p.year for block in self.municipal for row in block.rows for p in row.series}
        return sorted(found)

    @property
    def rows(self) -> list[IndicatorRow]:
        return [row for block in self.regional for row in block.rows]


def region_indicators(region: Region) -> QuerySet[Indicator]:
    """The indicators on a region's dashboard: of its regional strategies, and of the plans of its
    municipalities."""
    return _indicators(
        Indicator.objects.filter(
            Q(plan__kind=Plan.Kind.REGIONAL_STRATEGY, plan__region=region, plan__municipality__isnull=True)
            | Q(plan__municipality__region=region)
        )
    )


def current_round(region: Region) -> Round | None:
    """The region's current round: the latest open one."""
    return Round.objects.filter(region=region, status=Round.Status.OPEN).order_by("-period_end", "-pk").first()


def region_dashboard(region: Region, *, year_from: int | None = None, year_to: int | None = None) -> RegionDashboard:
    """Where the indicators of a region stand, year by year (see the module's docstring).

    A fixed number of queries, whatever the number of indicators, years and municipalities: the
    indicators and their targets, the Book (values, municipalities; population figures when an
    average is weighted), the municipalities' names, and the current round with its completeness.
    """
    qs = region_indicators(region)
    indicators = attach_targets(list(qs), qs)
    numeric = [i for i in indicators if i.is_numeric]
    round = current_round(region)
    thresholds = _round_thresholds(round)
    book = Book(numeric, region=region)
    municipalities = list(
        Municipality.objects.filter(region=region).only("id", "code", "name_bg", "name_en", "region_id").order_by("name_bg")
    )
    plans: dict[int, PlanBlock] = {}
    by_municipality = {m.pk: MunicipalBlock(m) for m in municipalities}
    counts, municipal_counts = empty_counts(), empty_counts()
    for indicator in numeric:
        plan = indicator.plan
        years = _years(plan, year_from, year_to)
        if plan.municipality_id is None:
            points = series(
                book, indicator, years, lambda period, i=indicator: book.region_value(i, region.code, period), thresholds=thresholds
            )
            row = IndicatorRow(indicator, plan, None, points)
            block = plans.setdefault(plan.pk, PlanBlock(plan))
            block.rows.append(row)
            block.counts[row.status] += 1
            counts[row.status] += 1
        else:
            block = by_municipality.get(plan.municipality_id)
            if block is None:  # pragma: no cover - a municipal plan is in its municipality's region
                continue
            code = block.municipality.code
            points = series(
                book, indicator, years, lambda period, i=indicator, c=code: book.municipality(i, c, period), thresholds=thresholds
            )
            row = IndicatorRow(indicator, plan, block.municipality, points)
            block.rows.append(row)
            block.counts[row.status] += 1
            municipal_counts[row.status] += 1
    return RegionDashboard(
        region=region,
        year_from=year_from,
        year_to=year_to,
        regional=list(plans.values()),
        municipal=list(by_municipality.values()),
        counts=counts,
        municipal_counts=municipal_counts,
        qualitative=len(indicators) - len(numeric),
        round=round,
        completeness=completeness(round=round) if round is not None else None,
        thresholds=thresholds,
    )


# --- The country ----------------------------------------------------------------------------------


@dataclass
class RegionLine:
    region: Region
    counts: dict[str, int]
    indicators: int
    round: Round | None
    completeness: Completeness | None


@dataclass
class SharedIndicator:
    """An indicator code found on the regional strategies of several regions."""

    code: str
    name: str
    statuses: dict[str, str]  # region code → status
    counts: dict[str, int]


@dataclass
class NationalDashboard:
    regions: list[RegionLine]
    counts: dict[str, int]
    shared: list[SharedIndicator]
    national: list[PlanBlock]  # indicators of national plans, with the country's values


def _latest_status(book: Book, indicator: Indicator, years: range, value_at, thresholds) -> str:
    """The status in the last year with a complete value, else in the last year with any value
    (from the end: usually one or two steps)."""
    periods = year_periods(book, indicator)
    targets = _targets(indicator)
    fallback = None
    for year in reversed(years):
        period = periods.get(year)
        if period is None:
            continue
        aggregate = value_at(period)
        if aggregate.value is None:
            continue
        status = progress(indicator, targets, aggregate.value, period[1], on_track_from=thresholds[0], at_risk_from=thresholds[1]).status
        if aggregate.direct or aggregate.reported >= aggregate.expected:
            return status
        fallback = fallback or status
    return fallback or NO_DATA


def _latest_by_region(rounds: QuerySet[Round]) -> dict[int, Round]:
    latest: dict[int, Round] = {}
    for round in rounds.filter(region__isnull=False).order_by("region_id", "-period_end", "-pk"):
        latest.setdefault(round.region_id, round)
    return latest


def latest_rounds() -> dict[int, Round]:
    """Each region's latest round that was opened (open or closed), by region id."""
    return _latest_by_region(Round.objects.exclude(status=Round.Status.DRAFT))


def national_dashboard() -> NationalDashboard:
    """The regions side by side, the indicators they share, and the national plans' indicators.

    The values are loaded one region at a time (a Book per region), so that the whole country's
    values are never in memory at once.
    """
    regions = list(Region.objects.defer("svg_path").order_by("name_bg"))
    qs = _indicators(
        Indicator.objects.filter(plan__kind=Plan.Kind.REGIONAL_STRATEGY, plan__municipality__isnull=True)
        .exclude(value_type=Indicator.ValueType.TEXT)
    )
    indicators = attach_targets(list(qs), qs)
    by_region: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in indicators:
        by_region[indicator.plan.region_id].append(indicator)
    rounds = latest_rounds()
    open_rounds = _latest_by_region(Round.objects.filter(status=Round.Status.OPEN))  # thresholds, as on a region's page
    lines, totals = [], empty_counts()
    shared: dict[str, SharedIndicator] = {}
    for region in regions:
        counts = empty_counts()
        own = by_region.get(region.pk, [])
        if own:
            book = Book(own, region=region)
            thresholds = _round_thresholds(open_rounds.get(region.pk))
            for indicator in own:
                status = _latest_status(
                    book, indicator, _years(indicator.plan, None, None),
                    lambda period, i=indicator: book.region_value(i, region.code, period), thresholds,
                )
                counts[status] += 1
                if indicator.code:
                    entry = shared.setdefault(indicator.code, SharedIndicator(indicator.code, indicator.name, {}, empty_counts()))
                    if region.code not in entry.statuses:
                        entry.statuses[region.code] = status
                        entry.counts[status] += 1
        for status, n in counts.items():
            totals[status] += n
        round = rounds.get(region.pk)
        lines.append(RegionLine(region, counts, len(own), round, completeness(round=round) if round is not None else None))
    national = _national_plans()
    return NationalDashboard(
        regions=lines,
        counts=totals,
        shared=sorted((s for s in shared.values() if len(s.statuses) > 1), key=lambda s: s.code),
        national=national,
    )


def _national_plans() -> list[PlanBlock]:
    national = Indicator.objects.filter(
        plan__region__isnull=True, plan__municipality__isnull=True, plan__owner__kind=Organization.Kind.AGENCY
    )
    qs = _indicators(national).exclude(value_type=Indicator.ValueType.TEXT)
    indicators = list(qs)
    if not indicators:
        return []
    attach_targets(indicators, qs)
    book = Book(indicators, national=True)
    blocks: dict[int, PlanBlock] = {}
    for indicator in indicators:
        points = series(book, indicator, _years(indicator.plan, None, None), lambda period, i=indicator: book.national(i, period))
        row = IndicatorRow(indicator, indicator.plan, None, points)
        block = blocks.setdefault(indicator.plan_id, PlanBlock(indicator.plan))
        block.rows.append(row)
        block.counts[row.status] += 1
    return list(blocks.values())


# --- The map of an indicator ----------------------------------------------------------------------


@dataclass
class MapItem:
    municipality: Municipality
    value: Decimal | None
    klass: str  # "0"…"4" by quantile, "none" without a value, "hidden" when not the viewer's to see


@dataclass
class IndicatorMap:
    indicator: Indicator
    region: Region
    year: int | None
    period: Period | None
    years: list[int]
    items: list[MapItem]
    view_box: str
    legend: list[dict]
    region_value: Aggregate | None
    expected: Decimal | None
    status: str


def map_classes(values: list[Decimal]) -> list[float]:
    """Quantile breaks of the values (a value above the k-th break is in class k)."""
    ordered = sorted(float(v) for v in values)
    breaks: list[float] = []
    for k in range(1, MAP_CLASSES):
        if not ordered:
            break
        value = ordered[min(len(ordered) - 1, int(len(ordered) * k / MAP_CLASSES))]
        # Many municipalities at one value would otherwise give empty classes; a break at the
        # highest value would be a class without members.
        if (not breaks or value > breaks[-1]) and value < ordered[-1]:
            breaks.append(value)
    return breaks


def indicator_map(
    indicator: Indicator, period: int | Period | None, *, region: Region | None = None, shown: set[int] | None = None
) -> IndicatorMap:
    """The indicator's value in each municipality of its region for a year (or a period), for a
    choropleth; the latest year with values when `period` is None. Only the municipalities in
    `shown` (ids; None: all) have their value drawn, the others are drawn blank."""
    if region is None:
        region = Region.objects.get(pk=indicator.region_id or indicator.municipality.region_id)
    book = Book([indicator], region=region)
    periods = year_periods(book, indicator)
    if isinstance(period, tuple):
        chosen: Period | None = period
        year = period[1].year
    else:
        year = period if period is not None else (max(periods) if periods else None)
        chosen = periods.get(year) if year is not None else None
    shapes = list(
        Municipality.objects.filter(region=region).only("id", "code", "name_bg", "name_en", "svg_path", "bbox").order_by("name_bg")
    )
    hidden = {shape.pk for shape in shapes if shown is not None and shape.pk not in shown}
    values = {}
    if chosen is not None:
        for shape in shapes:
            if shape.pk not in hidden:
                values[shape.pk] = book.municipality(indicator, shape.code, chosen).value
    breaks = map_classes([v for v in values.values() if v is not None])
    items = []
    for shape in shapes:
        value = values.get(shape.pk)
        if shape.pk in hidden:
            klass = "hidden"
        elif value is None:
            klass = "none"
        else:
            klass = str(sum(1 for b in breaks if float(value) > b))
        items.append(MapItem(shape, value, klass))
    shown = sorted(float(v) for v in values.values() if v is not None)
    edges = [shown[0] if shown else 0.0, *breaks]
    legend = [
        {"klass": str(index), "from": start, "to": edges[index + 1] if index + 1 < len(edges) else (shown[-1] if shown else 0.0)}
        for index, start in enumerate(edges)
    ] if shown else []
    aggregate, expected, status = None, None, NO_DATA
    if chosen is not None:
        if indicator.municipality_id:
            aggregate = book.municipality(indicator, indicator.municipality.code, chosen)
        else:
            aggregate = book.region_value(indicator, region.code, chosen)
        on_track_from, at_risk_from = _round_thresholds(current_round(region))
        where = progress(
            indicator, _targets(indicator), aggregate.value, chosen[1], on_track_from=on_track_from, at_risk_from=at_risk_from
        )
        expected, status = where.expected, where.status
    return IndicatorMap(
        indicator=indicator,
        region=region,
        year=year,
        period=chosen,
        years=sorted(periods),
        items=items,
        view_box=geo.view_box([s.bbox for s in shapes]),
        legend=legend,
        region_value=aggregate,
        expected=expected,
        status=status,
    )
