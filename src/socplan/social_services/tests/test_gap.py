"""The gap computation on small cases checked by hand."""

import datetime
from decimal import Decimal

import pytest

from socplan.social_services import gap
from socplan.social_services.models import PlanningStandard, Service
from socplan.territory.models import Municipality, PopulationFigure, Region

from .factories import ServiceFactory, ServiceTypeFactory, StandardFactory

pytestmark = pytest.mark.django_db

DATE = datetime.date(2030, 12, 31)  # later than the shipped figures, so these are the latest


def figure(unit, value, age_from=None, age_to=None, **fk):
    group = "all" if age_from is None else (f"{age_from}-{age_to}" if age_to is not None else f"{age_from}+")
    return PopulationFigure.objects.create(
        unit_code=unit, reference_date=DATE, age_group=group, age_from=age_from, age_to=age_to, value=value,
        source="test", **fk,
    )


@pytest.fixture
def test_region():
    """A made-up region: TS1 with official bands, TS2 estimated from the region, TS3 with no data."""
    region = Region.objects.create(code="TST", name_bg="Тестова", name_en="Testova", nuts1="BG3", nuts2="BG32",
                                   nuts3="BG999", center_ekatte="99999")
    munis = [
        Municipality.objects.create(code=f"TST0{i}", region=region, name_bg=f"Тест {i}", name_en=f"Test {i}",
                                    nuts3="BG999", center_ekatte="99999")
        for i in (1, 2, 3)
    ]
    # Region: 20 000 people, of whom 0–4: 1 000, 5–9: 1 000, 10–14: 1 000, 15–19: 1 000, 20+: 16 000.
    for age_from, age_to, value in ((0, 4, 1000), (5, 9, 1000), (10, 14, 1000), (15, 19, 1000), (20, None, 16000)):
        figure("TST", value, age_from, age_to, region=region)
    # TS1: official bands of its own (0–4: 500, 5–9: 500, 10–14: 500, 15–19: 500, 20+: 3 000).
    figure("TST01", 5000, municipality=munis[0])
    for age_from, age_to, value in ((0, 4, 500), (5, 9, 500), (10, 14, 500), (15, 19, 500), (20, None, 3000)):
        figure("TST01", value, age_from, age_to, municipality=munis[0])
    # TS2: only its total.
    figure("TST02", 10000, municipality=munis[1])
    return region, munis


def test_need_gap_and_planned_on_official_figures(test_region):
    region, (ts1, ts2, ts3) = test_region
    standard = StandardFactory(value="2.5")  # 2.5 places per 1 000 children aged 0–17
    settlement = ServiceFactory().settlement  # any settlement; the municipality decides
    ServiceFactory(service_type=standard.service_type, capacity=5, municipality=ts1, region=region, settlement=settlement)
    ServiceFactory(service_type=standard.service_type, capacity=6, municipality=ts1, region=region, settlement=settlement,
                   status=Service.Status.PLANNED)
    ServiceFactory(service_type=standard.service_type, capacity=50, municipality=ts1, region=region,
                   settlement=settlement, status=Service.Status.CLOSED, closed_on=datetime.date(2020, 1, 1))
    analysis = gap.gap_analysis(municipalities=Municipality.objects.filter(region=region))
    row = analysis.for_municipality(ts1.pk)[0]
    # Children 0–17 in TS1: 500 + 500 + 500 + 3/5 × 500 = 1 800 → need 4.5; 5 operate → gap −0.5.
    assert row.population.value == 1800 and row.population.is_estimate is False
    assert row.need == Decimal("4.5") and row.capacity == 5 and row.gap == Decimal("-0.5")
    assert row.planned == 6
    assert row.per_1000 == Decimal("2.78")


def test_estimate_from_the_region_and_no_data(test_region):
    region, (ts1, ts2, ts3) = test_region
    standard = StandardFactory(value="2.5")
    analysis = gap.gap_analysis(municipalities=Municipality.objects.filter(region=region))
    ts2_row = analysis.for_municipality(ts2.pk)[0]
    # Region share of 0–17: (1 000 × 3 + 3/5 × 1 000) / 20 000 = 0.18 → 10 000 × 0.18 = 1 800, an estimate.
    assert ts2_row.population.value == 1800 and ts2_row.population.is_estimate is True
    assert ts2_row.need == Decimal("4.5") and ts2_row.gap == Decimal("4.5")
    assert analysis.estimated is True
    ts3_row = analysis.for_municipality(ts3.pk)[0]
    assert ts3_row.population.value is None and ts3_row.need is None and ts3_row.gap is None
    assert standard.service_type == ts3_row.service_type


def test_planned_services_close_the_gap(test_region):
    region, (ts1, ts2, ts3) = test_region
    standard = StandardFactory(value="5")  # need 9.0 in TS2
    settlement = ServiceFactory().settlement
    ServiceFactory(service_type=standard.service_type, capacity=4, municipality=ts2, region=region, settlement=settlement)
    ServiceFactory(service_type=standard.service_type, capacity=6, municipality=ts2, region=region, settlement=settlement,
                   status=Service.Status.APPROVED)
    row = gap.gap_analysis(municipalities=Municipality.objects.filter(pk=ts2.pk)).rows[0]
    assert (row.need, row.gap, row.gap_after_planned, row.closes_gap) == (Decimal("9.0"), Decimal("5.0"), Decimal("-1.0"), True)


def test_services_per_municipality_rule_and_the_latest_standard(test_region):
    region, (ts1, ts2, ts3) = test_region
    service_type = ServiceTypeFactory(code="patronage")
    StandardFactory(service_type=service_type, kind=PlanningStandard.Kind.PER_MUNICIPALITY, value="1",
                    min_population=6000, age_from=0, age_to=None)
    settlement = ServiceFactory().settlement
    ServiceFactory(service_type=service_type, municipality=ts1, region=region, settlement=settlement)
    analysis = gap.gap_analysis(municipalities=Municipality.objects.filter(region=region), service_type=service_type)
    rows = {row.municipality.code: row for row in analysis.rows}
    assert (rows["TST01"].need, rows["TST01"].capacity, rows["TST01"].unit) == (Decimal(0), 1, "services")  # under 6 000
    assert (rows["TST02"].need, rows["TST02"].gap) == (Decimal(1), Decimal("1.0"))
    assert rows["TST03"].need is None
    # A newer standard replaces the older one from its date.
    StandardFactory(service_type=service_type, kind=PlanningStandard.Kind.PER_MUNICIPALITY, value="2",
                    min_population=6000, age_from=0, age_to=None, valid_from=datetime.date(2025, 1, 1))
    later = gap.gap_analysis(municipalities=Municipality.objects.filter(code="TST02"), service_type=service_type)
    assert later.rows[0].need == Decimal(2)
    earlier = gap.gap_analysis(municipalities=Municipality.objects.filter(code="TST02"), service_type=service_type,
                               as_of=datetime.date(2024, 1, 1))
    assert earlier.rows[0].need == Decimal(1)


def test_region_summary_adds_up_the_municipalities(test_region):
    region, (ts1, ts2, ts3) = test_region
    StandardFactory(value="2.5")
    analysis = gap.gap_analysis(municipalities=Municipality.objects.filter(region=region))
    [summary] = gap.region_summary(analysis)
    assert summary.need == Decimal("9.0")  # 4.5 + 4.5 (+ nothing for TS3)
    assert summary.municipalities_short == 2
