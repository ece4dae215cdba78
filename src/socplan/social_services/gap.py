"""Needs and gap analysis: what each municipality and region needs under the planning standards,
against the capacity that operates there and the capacity that is planned.

For a standard "N places per 1 000 people aged a–b", the need is N × group / 1 000. The group is
taken from the official NSI table for the municipality when it has been loaded; otherwise it is
estimated from the region's age structure applied to the municipality's total, and every such
figure is marked as an estimate. A municipality with no population figure at all has no computed
need (it is listed, not guessed).

The whole country is computed with a fixed number of queries (standards, population, one
aggregate of capacity per municipality and type), so it takes well under a second for 265
municipalities and tens of thousands of services.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from socplan.territory.models import Municipality, PopulationFigure

from .models import PlanningStandard, Service, ServiceType


@dataclass
class GroupPopulation:
    value: int | None
    is_estimate: bool
    reference_date: datetime.date | None


@dataclass
class GapRow:
    municipality: Municipality | None
    region_id: int
    service_type: ServiceType
    standard: PlanningStandard
    population: GroupPopulation
    need: Decimal | None  # places (per_1000) or services (per_municipality, per_region)
    capacity: int  # operating places, or operating services for the count rules
    planned: int  # planned places or services (planned, approved, opening)
    unit: str = "places"

    @property
    def gap(self) -> Decimal | None:
        """Positive: missing places; negative: more than the norm."""
        if self.need is None:
            return None
        return (self.need - self.capacity).quantize(Decimal("0.1"))

    @property
    def gap_after_planned(self) -> Decimal | None:
        if self.need is None:
            return None
        return (self.need - self.capacity - self.planned).quantize(Decimal("0.1"))

    @property
    def per_1000(self) -> Decimal | None:
        """Operating capacity per 1 000 people of the group."""
        if not self.population.value or self.unit != "places":
            return None
        return (Decimal(self.capacity) * 1000 / Decimal(self.population.value)).quantize(Decimal("0.01"))

    @property
    def closes_gap(self) -> bool | None:
        gap = self.gap
        if gap is None or gap <= 0:
            return None
        return self.gap_after_planned <= 0


@dataclass
class GapAnalysis:
    as_of: datetime.date
    rows: list[GapRow] = field(default_factory=list)
    population_date: datetime.date | None = None
    estimated: bool = False

    def for_municipality(self, municipality_id: int) -> list[GapRow]:
        return [row for row in self.rows if row.municipality and row.municipality.pk == municipality_id]


def standards_in_force(as_of: datetime.date) -> list[PlanningStandard]:
    """The latest standard of each type and kind valid on the date."""
    latest: dict[tuple[int, str], PlanningStandard] = {}
    for standard in (
        PlanningStandard.objects.filter(valid_from__lte=as_of, service_type__is_active=True)
        .select_related("service_type")
        .order_by("valid_from")
    ):
        latest[(standard.service_type_id, standard.kind)] = standard
    return sorted(latest.values(), key=lambda s: (s.service_type.order, s.service_type.name))


class PopulationBook:
    """Group populations per municipality, official where loaded, else estimated."""

    def __init__(self, municipalities: list[Municipality]):
        codes = [m.code for m in municipalities]
        region_codes = sorted({m.region.code for m in municipalities})
        base = PopulationFigure.objects.filter(sex="total", residence="total")
        totals = base.filter(unit_code__in=codes, age_group="all").values_list("unit_code", "reference_date", "value")
        self.totals: dict[str, tuple[datetime.date, int]] = {}
        for code, date, value in totals:
            if code not in self.totals or date > self.totals[code][0]:
                self.totals[code] = (date, value)
        # Age bands: official municipal ones (if loaded) and the regions' (for estimates).
        self.bands: dict[str, list[tuple[int, int | None, int]]] = defaultdict(list)
        self.band_dates: dict[str, datetime.date] = {}
        rows = (
            base.filter(unit_code__in=codes + region_codes, is_estimate=False)
            .exclude(age_group="all")
            .values_list("unit_code", "reference_date", "age_from", "age_to", "value")
        )
        latest: dict[str, datetime.date] = {}
        collected: dict[tuple[str, datetime.date], list[tuple[int, int | None, int]]] = defaultdict(list)
        for code, date, age_from, age_to, value in rows:
            if age_from is None:
                continue
            collected[(code, date)].append((age_from, age_to, value))
            if code not in latest or date > latest[code]:
                latest[code] = date
        for code, date in latest.items():
            self.bands[code] = sorted(collected[(code, date)])
            self.band_dates[code] = date
        self.region_of = {m.code: m.region.code for m in municipalities}
        # The same few age groups are asked for every municipality: each region's share once.
        self._region_shares: dict[tuple[str, int, int | None], tuple[int, int] | None] = {}

    @staticmethod
    def _in_group(bands, age_from: int, age_to: int | None) -> tuple[int, bool]:
        """People of the bands inside [age_from, age_to], and whether the bands cover it exactly."""
        total, exact = 0, True
        for band_from, band_to, value in bands:
            band_end = band_to if band_to is not None else 200
            group_end = age_to if age_to is not None else 200
            if band_from >= age_from and band_end <= group_end:
                total += value
            elif band_end < age_from or band_from > group_end:
                continue
            else:
                # A band straddling the group's edge: take its share by years (assumes an even spread).
                overlap = min(band_end, group_end) - max(band_from, age_from) + 1
                width = band_end - band_from + 1
                total += round(value * overlap / width)
                exact = False
        return total, exact

    def group(self, code: str, age_from: int, age_to: int | None) -> GroupPopulation:
        own = self.bands.get(code)
        if own:
            value, _exact = self._in_group(own, age_from, age_to)
            return GroupPopulation(value, False, self.band_dates[code])
        total = self.totals.get(code)
        share = self._region_share(self.region_of.get(code) or "", age_from, age_to)
        if not total or share is None:
            return GroupPopulation(None, True, None)
        in_group, region_total = share
        return GroupPopulation(round(total[1] * in_group / region_total), True, total[0])

    def _region_share(self, region: str, age_from: int, age_to: int | None) -> tuple[int, int] | None:
        key = (region, age_from, age_to)
        if key not in self._region_shares:
            bands = self.bands.get(region)
            region_total = sum(value for _f, _t, value in bands) if bands else 0
            if not region_total:
                self._region_shares[key] = None
            else:
                self._region_shares[key] = (self._in_group(bands, age_from, age_to)[0], region_total)
        return self._region_shares[key]


def _capacities(municipality_ids: list[int] | None) -> tuple[dict, dict]:
    """Operating and planned places and services per (municipality, type), one query."""
    qs = Service.objects.all()
    if municipality_ids is not None:
        qs = qs.filter(municipality_id__in=municipality_ids)
    active = Q(status__in=Service.ACTIVE_STATUSES)
    planned = Q(status__in=Service.PLANNED_STATUSES)
    places: dict[tuple[int, int], tuple[int, int]] = {}
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for row in qs.values("municipality_id", "service_type_id").annotate(
        places=Sum("capacity", filter=active),
        planned_places=Sum("capacity", filter=planned),
        services=Count("id", filter=active),
        planned_services=Count("id", filter=planned),
    ):
        key = (row["municipality_id"], row["service_type_id"])
        places[key] = (row["places"] or 0, row["planned_places"] or 0)
        counts[key] = (row["services"] or 0, row["planned_services"] or 0)
    return places, counts


def gap_analysis(
    *, municipalities=None, as_of: datetime.date | None = None, service_type: ServiceType | None = None
) -> GapAnalysis:
    """The gap of every municipality given (all when None) for every standard in force."""
    as_of = as_of or datetime.date.today()
    munis = list((municipalities if municipalities is not None else Municipality.objects.all()).select_related("region"))
    standards = standards_in_force(as_of)
    if service_type is not None:
        standards = [s for s in standards if s.service_type_id == service_type.pk]
    book = PopulationBook(munis)
    places, counts = _capacities([m.pk for m in munis] if municipalities is not None else None)
    analysis = GapAnalysis(as_of=as_of)
    region_counts: dict[tuple[int, int], tuple[int, int]] = defaultdict(lambda: (0, 0))
    by_id = {m.pk: m for m in munis}
    for (muni_id, type_id), (active, planned) in counts.items():
        muni = by_id.get(muni_id)
        if muni is None:
            continue
        current = region_counts[(muni.region_id, type_id)]
        region_counts[(muni.region_id, type_id)] = (current[0] + active, current[1] + planned)
    estimated = False
    for standard in standards:
        type_id = standard.service_type_id
        if standard.kind == PlanningStandard.Kind.PER_REGION:
            for region_id in sorted({m.region_id for m in munis}):
                active, planned = region_counts[(region_id, type_id)]
                analysis.rows.append(
                    GapRow(None, region_id, standard.service_type, standard, GroupPopulation(None, False, None),
                           Decimal(standard.value), active, planned, unit="services")
                )
            continue
        for muni in munis:
            population = book.group(muni.code, standard.age_from, standard.age_to)
            estimated = estimated or (population.is_estimate and population.value is not None)
            if standard.kind == PlanningStandard.Kind.PER_1000:
                need = None if population.value is None else (
                    Decimal(standard.value) * population.value / 1000
                ).quantize(Decimal("0.1"))
                active, planned = places.get((muni.pk, type_id), (0, 0))
                unit = "places"
            else:  # per municipality: N services where the municipality is large enough
                total = book.totals.get(muni.code)
                if total is None:
                    need = None
                else:
                    need = Decimal(standard.value) if total[1] >= standard.min_population else Decimal(0)
                active, planned = counts.get((muni.pk, type_id), (0, 0))
                unit = "services"
            analysis.rows.append(
                GapRow(muni, muni.region_id, standard.service_type, standard, population, need, active, planned, unit=unit)
            )
    analysis.estimated = estimated
    dates = [row.population.reference_date for row in analysis.rows if row.population.reference_date]
    analysis.population_date = max(dates) if dates else None
    return analysis


@dataclass
class RegionGap:
    region_id: int
    service_type: ServiceType
    need: Decimal | None
    capacity: int
    planned: int
    municipalities_short: int
    unit: str

    @property
    def gap(self) -> Decimal | None:
        return None if self.need is None else self.need - self.capacity


def region_summary(analysis: GapAnalysis) -> list[RegionGap]:
    """Municipal rows added up per region and type (per-region rules kept as they are)."""
    grouped: dict[tuple[int, int, str], list[GapRow]] = defaultdict(list)
    for row in analysis.rows:
        grouped[(row.region_id, row.service_type.pk, row.standard.kind)].append(row)
    result = []
    for (region_id, _type_id, _kind), rows in grouped.items():
        needs = [row.need for row in rows if row.need is not None]
        result.append(
            RegionGap(
                region_id=region_id,
                service_type=rows[0].service_type,
                need=sum(needs, Decimal(0)) if needs else None,
                capacity=sum(row.capacity for row in rows),
                planned=sum(row.planned for row in rows),
                municipalities_short=sum(1 for row in rows if row.gap is not None and row.gap > 0 and row.municipality),
                unit=rows[0].unit,
            )
        )
    return result
