"""How an indicator's municipal values add up to a region and to the country.

The rule is the indicator's `aggregation`:

- sum: the values of the municipalities that reported, added up;
- average: their plain average;
- weighted: Σ value × population / Σ population, the population being the indicator's age group
  (official figures where loaded, else estimated from the region, as the gap analysis does);
- latest: for stocks (places, staff): each municipality's most recent value up to the period's
  end, carried forward when it did not report for that period, then added up;
- none: values do not add up; only a value recorded for the unit itself is shown.

A value recorded for the region (or the country) itself always wins over the sum of its parts.
The country adds its regions up for sum and latest, and averages over all municipalities for the
averages. Every result says how many units reported out of how many should have, and which are
missing, so an incomplete total is never mistaken for a complete one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from socplan.territory.models import Municipality, Region

from .models import Indicator, Value

Period = tuple  # (period_start, period_end)
PRECISION = Decimal("0.0001")


@dataclass
class Aggregate:
    value: Decimal | None
    reported: int = 0
    expected: int = 0
    direct: bool = False
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.direct or self.reported >= self.expected


def combine(rule: str, values: dict[str, Decimal], expected: list[str], weights: dict[str, int] | None = None) -> Aggregate:
    """Add up the values of units (by code) by a rule. `values` holds only the units that reported."""
    reported = {code: v for code, v in values.items() if v is not None}
    missing = [code for code in expected if code not in reported]
    count = len([code for code in expected if code in reported]) if expected else len(reported)
    result = Aggregate(None, count, len(expected), False, missing)
    if not reported or rule == Indicator.Aggregation.NONE:
        return result
    if rule in (Indicator.Aggregation.SUM, Indicator.Aggregation.LATEST):
        result.value = sum(reported.values(), Decimal(0))
    elif rule == Indicator.Aggregation.AVERAGE:
        result.value = _round(sum(reported.values(), Decimal(0)) / len(reported))
    elif rule == Indicator.Aggregation.WEIGHTED:
        weights = weights or {}
        total_weight = sum(weights.get(code, 0) for code in reported)
        if total_weight <= 0:
            return result
        weighted = sum((value * weights.get(code, 0) for code, value in reported.items()), Decimal(0))
        result.value = _round(weighted / total_weight)
    return result


def _round(value: Decimal) -> Decimal:
    return value.quantize(PRECISION, rounding=ROUND_HALF_UP)


class Book:
    """The values of a set of indicators, loaded once, answering per unit and period.

    One query for the values, one for the municipalities, one for population figures (only when a
    weighted indicator is among them): a regional dashboard of 200 indicators × 10 years costs three
    queries, whatever the number of municipalities.
    """

    def __init__(self, indicators: list[Indicator], *, region: Region | None = None, national: bool = False):
        self.indicators = {i.pk: i for i in indicators}
        self.region = region
        municipalities = Municipality.objects.select_related("region").only("id", "code", "region__code", "region_id")
        if region is not None and not national:
            municipalities = municipalities.filter(region=region)
        self.municipalities = list(municipalities.order_by("code"))
        self.municipality_codes = [m.code for m in self.municipalities]
        self.region_of = {m.code: m.region.code for m in self.municipalities}
        self.by_region: dict[str, list[str]] = defaultdict(list)
        for m in self.municipalities:
            self.by_region[m.region.code].append(m.code)
        rows = Value.objects.filter(indicator_id__in=list(self.indicators)).values_list(
            "indicator_id", "unit_code", "period_start", "period_end", "value"
        )
        if region is not None and not national:
            rows = rows.filter(unit_code__startswith=region.code)
        # indicator → period → unit → value
        self.values: dict[int, dict[Period, dict[str, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
        for indicator_id, unit, start, end, value in rows.iterator(chunk_size=5000):
            self.values[indicator_id][(start, end)][unit] = value
        self._weights: dict[tuple, dict[str, int]] = {}
        self._population = None

    def periods(self, indicator: Indicator) -> list[Period]:
        return sorted(self.values.get(indicator.pk, {}), key=lambda p: (p[1], p[0]))

    def weights(self, indicator: Indicator) -> dict[str, int]:
        cache_key = (indicator.weight_age_from, indicator.weight_age_to)
        if cache_key not in self._weights:
            book = self._population_book()
            self._weights[cache_key] = {
                code: book.group(code, indicator.weight_age_from, indicator.weight_age_to).value or 0
                for code in self.municipality_codes
            }
        return self._weights[cache_key]

    def _population_book(self):
        """One population book for every age group asked for (it loads the figures once)."""
        if self._population is None:
            from socplan.social_services.gap import PopulationBook

            self._population = PopulationBook(self.municipalities)
        return self._population

    def _municipal(self, indicator: Indicator, period: Period, codes: list[str]) -> dict[str, Decimal]:
        series = self.values.get(indicator.pk, {})
        if indicator.aggregation != Indicator.Aggregation.LATEST:
            at = series.get(period, {})
            return {code: at[code] for code in codes if at.get(code) is not None}
        # Carry forward: each municipality's last value with a period end up to this period's end.
        found: dict[str, Decimal] = {}
        for other in sorted(series, key=lambda p: (p[1], p[0])):
            if other[1] > period[1]:
                break
            for code, value in series[other].items():
                if value is not None and code in codes:
                    found[code] = value
        return found

    def municipality(self, indicator: Indicator, code: str, period: Period) -> Aggregate:
        value = self.values.get(indicator.pk, {}).get(period, {}).get(code)
        if value is None and indicator.aggregation == Indicator.Aggregation.LATEST:
            value = self._municipal(indicator, period, [code]).get(code)
        return Aggregate(value, int(value is not None), 1, value is not None, [] if value is not None else [code])

    def region_value(self, indicator: Indicator, region_code: str, period: Period) -> Aggregate:
        direct = self.values.get(indicator.pk, {}).get(period, {}).get(region_code)
        codes = self.by_region.get(region_code, [])
        if direct is not None:
            reported = len(self._municipal(indicator, period, codes))
            return Aggregate(direct, reported, len(codes), True, [])
        weights = self.weights(indicator) if indicator.aggregation == Indicator.Aggregation.WEIGHTED else None
        return combine(indicator.aggregation, self._municipal(indicator, period, codes), codes, weights)

    def national(self, indicator: Indicator, period: Period) -> Aggregate:
        direct = self.values.get(indicator.pk, {}).get(period, {}).get("BG")
        if direct is not None:
            return Aggregate(direct, 0, 0, True, [])
        rule = indicator.aggregation
        if rule in (Indicator.Aggregation.SUM, Indicator.Aggregation.LATEST):
            parts = {code: self.region_value(indicator, code, period) for code in sorted(self.by_region)}
            total = combine(rule, {c: a.value for c, a in parts.items() if a.value is not None}, sorted(self.by_region))
            total.reported = sum(a.reported for a in parts.values())
            total.expected = len(self.municipality_codes)
            total.missing = [m for a in parts.values() if not a.direct for m in a.missing]
            return total
        weights = self.weights(indicator) if rule == Indicator.Aggregation.WEIGHTED else None
        return combine(rule, self._municipal(indicator, period, self.municipality_codes), self.municipality_codes, weights)


# --- Progress against targets ---------------------------------------------------------------------


ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "on_track", "at_risk", "off_track", "no_data"


@dataclass
class Progress:
    """Where an indicator stands at a date: the value expected by then, the share of the way done."""

    actual: Decimal | None
    expected: Decimal | None
    target: Decimal | None
    target_label: str
    percent: Decimal | None
    status: str


def expected_by(indicator: Indicator, targets: list, at) -> tuple[Decimal | None, Decimal | None, str]:
    """The value expected at date `at` on the straight path from the baseline to the next target.

    Returns (expected, target, target label). Before the first target the path starts at the
    baseline (value and date); between targets it runs from the previous target to the next; past
    the last target the last target is expected. Without a baseline date the next target is
    expected in full.
    """
    ordered = sorted(targets, key=lambda t: t.due_on)
    if not ordered:
        return None, None, ""
    upcoming = next((t for t in ordered if t.due_on >= at), None)
    if upcoming is None:
        last = ordered[-1]
        return last.value, last.value, last.label
    earlier = [t for t in ordered if t.due_on < at]
    if earlier:
        start_value, start_date = earlier[-1].value, earlier[-1].due_on
    elif indicator.baseline_value is not None and indicator.baseline_date is not None:
        start_value, start_date = indicator.baseline_value, indicator.baseline_date
    else:
        return upcoming.value, upcoming.value, upcoming.label
    span = (upcoming.due_on - start_date).days
    if span <= 0 or at <= start_date:
        return (upcoming.value if span <= 0 else start_value), upcoming.value, upcoming.label
    share = Decimal((at - start_date).days) / Decimal(span)
    return _round(start_value + (upcoming.value - start_value) * share), upcoming.value, upcoming.label


def progress(indicator: Indicator, targets: list, actual: Decimal | None, at, *, on_track_from: int = 90, at_risk_from: int = 60) -> Progress:
    """The rule (stated in the report): progress = (actual − baseline) ÷ (expected − baseline), the
    share of the planned change made (for a "lower is better" indicator the same share of the way
    down); without a baseline, the ratio actual ÷ expected (expected ÷ actual when lower is
    better). On track from `on_track_from` %, at risk from `at_risk_from` %, below that off
    track. No value, or no target: no data."""
    expected, target, label = expected_by(indicator, targets, at)
    if actual is None or expected is None:
        return Progress(actual, expected, target, label, None, NO_DATA)
    if indicator.baseline_value is None:
        top, bottom = (actual, expected) if indicator.higher_is_better else (expected, actual)
        if bottom <= 0:
            good = actual >= expected if indicator.higher_is_better else actual <= expected
            percent = Decimal(100) if good else Decimal(0)
        else:
            percent = (top / bottom * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return Progress(actual, expected, target, label, percent, _status(percent, on_track_from, at_risk_from))
    base = indicator.baseline_value
    planned = expected - base
    done = actual - base
    if planned == 0:
        good = actual >= expected if indicator.higher_is_better else actual <= expected
        percent = Decimal(100) if good else Decimal(0)
    else:
        percent = (done / planned * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Progress(actual, expected, target, label, percent, _status(percent, on_track_from, at_risk_from))


def _status(percent: Decimal, on_track_from: int, at_risk_from: int) -> str:
    if percent >= on_track_from:
        return ON_TRACK
    if percent >= at_risk_from:
        return AT_RISK
    return OFF_TRACK
