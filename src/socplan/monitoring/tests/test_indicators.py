"""Indicators: how values add up by each rule (missing municipalities, weights), progress against
targets, and the refusals when recording values."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from socplan.monitoring import services
from socplan.monitoring.aggregation import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, Book, combine, progress
from socplan.monitoring.models import Indicator, Target, Value
from socplan.plans.tests.factories import PlanFactory
from socplan.territory.models import Municipality, PopulationFigure, Region

D = Decimal
Rule = Indicator.Aggregation
PERIOD = (datetime.date(2017, 1, 1), datetime.date(2017, 12, 31))


def test_sum_and_average_count_only_those_who_reported():
    values = {"A": D(10), "B": D(30)}
    total = combine(Rule.SUM, values, ["A", "B", "C"])
    assert total.value == D(40) and total.reported == 2 and total.expected == 3 and total.missing == ["C"]
    assert not total.complete
    assert combine(Rule.AVERAGE, values, ["A", "B", "C"]).value == D(20)


def test_weighted_average_weighs_by_population():
    values = {"A": D(10), "B": D(40)}
    weights = {"A": 3000, "B": 1000, "C": 6000}
    # (10 × 3000 + 40 × 1000) ÷ (3000 + 1000): the missing C does not weigh.
    assert combine(Rule.WEIGHTED, values, ["A", "B", "C"], weights).value == D("17.5")
    assert combine(Rule.WEIGHTED, values, ["A", "B"], {}).value is None


def test_not_additive_gives_nothing_and_an_empty_set_gives_nothing():
    assert combine(Rule.NONE, {"A": D(1)}, ["A"]).value is None
    assert combine(Rule.SUM, {}, ["A"]).value is None


@pytest.fixture
def region_plan(db):
    plan = PlanFactory(regional=True)
    region = Region.objects.get(code="VTR")
    return plan, region, list(Municipality.objects.filter(region=region).order_by("code"))


def _value(indicator, code, value, period=PERIOD):
    municipality = Municipality.objects.filter(code=code).first()
    Value.objects.create(
        indicator=indicator, period_start=period[0], period_end=period[1], unit_code=code, value=D(value),
        municipality=municipality, region_id=municipality.region_id if municipality else Region.objects.get(code=code).pk,
    )


def test_book_adds_up_a_region_by_each_rule(region_plan):
    plan, region, municipalities = region_plan
    a, b, c = (m.code for m in municipalities[:3])
    rules = {rule: Indicator.objects.create(plan=plan, name=str(rule), aggregation=rule) for rule in Rule.values}
    for indicator in rules.values():
        _value(indicator, a, 10)
        _value(indicator, b, 30)
    # Latest: c reported only the year before; its value is carried forward.
    previous = (datetime.date(2016, 1, 1), datetime.date(2016, 12, 31))
    _value(rules[Rule.LATEST], c, 5, previous)
    for code in (a, b):
        for age_from, age_to in ((0, 64), (65, None)):
            PopulationFigure.objects.update_or_create(
                unit_code=code, reference_date=datetime.date(2024, 12, 31), age_group=f"{age_from}-{age_to or ''}",
                sex="total", residence="total",
                defaults={"value": 3000 if code == a else 1000, "age_from": age_from, "age_to": age_to,
                          "municipality": Municipality.objects.get(code=code), "source": "test"},
            )
    book = Book(list(rules.values()), region=region)
    assert book.region_value(rules[Rule.SUM], "VTR", PERIOD).value == D(40)
    assert book.region_value(rules[Rule.SUM], "VTR", PERIOD).missing == [m.code for m in municipalities[2:]]
    assert book.region_value(rules[Rule.AVERAGE], "VTR", PERIOD).value == D(20)
    assert book.region_value(rules[Rule.WEIGHTED], "VTR", PERIOD).value == D("15.0000")  # (10×6000 + 30×2000) ÷ 8000
    assert book.region_value(rules[Rule.LATEST], "VTR", PERIOD).value == D(45)
    assert book.region_value(rules[Rule.NONE], "VTR", PERIOD).value is None
    # A value recorded for the region itself wins over the sum of its parts.
    _value(rules[Rule.SUM], "VTR", 100)
    assert Book([rules[Rule.SUM]], region=region).region_value(rules[Rule.SUM], "VTR", PERIOD).value == D(100)


def test_progress_follows_the_straight_path_to_the_target():
    indicator = Indicator(baseline_value=D(10), baseline_date=datetime.date(2016, 1, 1))
    targets = [Target(label="2018", due_on=datetime.date(2018, 1, 1), value=D(30))]
    halfway = datetime.date(2017, 1, 1)  # 366 of 731 days: about 20 expected
    assert progress(indicator, targets, D(20), halfway).status == ON_TRACK
    assert progress(indicator, targets, D(17), halfway).status == AT_RISK
    assert progress(indicator, targets, D(12), halfway).status == OFF_TRACK
    assert progress(indicator, targets, None, halfway).status == NO_DATA
    # Lower is better: from 60 children in institutions down to 0.
    fewer = Indicator(baseline_value=D(60), baseline_date=datetime.date(2016, 1, 1), higher_is_better=False)
    assert progress(fewer, [Target(label="2018", due_on=datetime.date(2018, 1, 1), value=D(0))], D(30), halfway).status == ON_TRACK


def test_recording_values_refuses_bad_input(regional, municipal, outsider):
    plan = PlanFactory(regional=True, is_public=True)  # adopted and published: municipalities read it
    indicator = services.indicator_save(user=regional, plan=plan, name="Деца в ЦОП", code="1", unit="брой")
    vtr04 = Municipality.objects.get(code="VTR04")
    with translation.override("en"):
        with pytest.raises(ValidationError, match="outside the plan's period"):
            services.value_record(user=regional, indicator=indicator, period_start=datetime.date(2021, 1, 1),
                                  period_end=datetime.date(2021, 12, 31), value="5", municipality=vtr04)
        with pytest.raises(ValidationError, match="is not a number"):
            services.value_record(user=regional, indicator=indicator, period_start=datetime.date(2017, 1, 1),
                                  period_end=datetime.date(2017, 12, 31), value="пет", municipality=vtr04)
        with pytest.raises(ValidationError, match="ends before it starts"):
            services.value_record(user=regional, indicator=indicator, period_start=datetime.date(2017, 12, 1),
                                  period_end=datetime.date(2017, 1, 31), value="5", municipality=vtr04)
        with pytest.raises(ValidationError, match="outside the plan's period"):
            services.target_set(user=regional, indicator=indicator, label="2030", due_on=datetime.date(2030, 12, 31), value="9")
    # The municipality records its own value, with a decimal comma; another region's expert may not.
    value = services.value_record(user=municipal, indicator=indicator, period_start=datetime.date(2017, 1, 1),
                                  period_end=datetime.date(2017, 12, 31), value="12,5", municipality=vtr04)
    assert value.value == D("12.5") and value.unit_code == "VTR04"
    with pytest.raises(PermissionDenied):
        services.value_record(user=outsider, indicator=indicator, period_start=datetime.date(2017, 1, 1),
                              period_end=datetime.date(2017, 12, 31), value="3", municipality=vtr04)
    # A correction made from an old page is refused, not silently overwritten.
    services.value_record(user=regional, indicator=indicator, period_start=datetime.date(2017, 1, 1),
                          period_end=datetime.date(2017, 12, 31), value="13", municipality=vtr04, expected_revision=1)
    from socplan.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        services.value_record(user=municipal, indicator=indicator, period_start=datetime.date(2017, 1, 1),
                              period_end=datetime.date(2017, 12, 31), value="14", municipality=vtr04, expected_revision=1)
    # An indicator with values is never deleted (no reported figure is lost).
    with pytest.raises(ValidationError):
        services.indicator_delete(user=regional, indicator=indicator)


def test_progress_without_a_baseline_is_the_ratio_to_the_expected_value():
    more = Indicator(baseline_value=None)
    fewer = Indicator(baseline_value=None, higher_is_better=False)
    target = [Target(label="2018", due_on=datetime.date(2018, 1, 1), value=D(50))]
    at = datetime.date(2018, 1, 1)
    assert progress(more, target, D(45), at).status == ON_TRACK
    assert progress(more, target, D(20), at).status == OFF_TRACK
    # Lower is better: 40 against an expected 50 is on track, 90 is off track (50 ÷ 90 = 56 %).
    assert progress(fewer, target, D(40), at).status == ON_TRACK
    assert progress(fewer, target, D(90), at).status == OFF_TRACK
