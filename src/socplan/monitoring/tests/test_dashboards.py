"""The monitoring dashboards: a region's aggregates and statuses, the map, the export, who sees what."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from socplan.config import urls as project_urls
from socplan.conftest import _assign, client_for
from socplan.organizations.models import Organization, RoleAssignment
from socplan.organizations.tests.factories import UserFactory
from socplan.plans.models import Plan
from socplan.plans.tests.factories import PlanFactory, municipal_org
from socplan.social_services.gap import PopulationBook
from socplan.territory.models import Municipality, Region

from ..aggregation import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK
from ..dashboards import indicator_map, national_dashboard, region_dashboard
from ..models import Assignment, Deadline, FormTemplate, Indicator, Round, Submission, Target, Value
from .matrix_dashboards import CASES
from .matrix_dashboards import objects as matrix_objects

# The project's urls include monitoring once the app is wired in; until then, this module does.
urlpatterns = list(project_urls.urlpatterns)
if not any(str(getattr(p, "pattern", "")) == "monitoring/" for p in urlpatterns):
    urlpatterns.append(path("monitoring/", include("socplan.monitoring.urls")))
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

Rule = Indicator.Aggregation
Y2021 = (datetime.date(2021, 1, 1), datetime.date(2021, 12, 31))
Y2022 = (datetime.date(2022, 1, 1), datetime.date(2022, 12, 31))


def _value(indicator, period, unit_code, value):
    municipality = Municipality.objects.filter(code=unit_code).first()
    region = municipality.region if municipality else Region.objects.get(code=unit_code)
    return Value.objects.create(
        indicator=indicator, period_start=period[0], period_end=period[1], unit_code=unit_code,
        region=region, municipality=municipality, value=Decimal(value),
    )


def _indicator(plan, code, rule, targets, **fields):
    indicator = Indicator.objects.create(plan=plan, code=code, name=f"Показател {code}", aggregation=rule, **fields)
    for year, value in targets.items():
        Target.objects.create(indicator=indicator, label=str(year), due_on=datetime.date(year, 12, 31), value=Decimal(value))
    return indicator


def _regional_plan(region_code="VTR", title="Областна стратегия"):
    owner = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code=region_code)
    return PlanFactory(
        regional=True, owner=owner, region=owner.region, title=title, status=Plan.Status.IN_FORCE,
        period_start=2020, period_end=2024,
    )


def _grow(plan, suffix: str) -> dict:
    """One indicator per rule, with targets and values of VTR04 and VTR06 (and the region)."""
    ind = {
        "sum": _indicator(plan, f"S{suffix}", Rule.SUM, {2021: 20, 2022: 25}),
        "average": _indicator(plan, f"A{suffix}", Rule.AVERAGE, {2021: 50}),
        "weighted": _indicator(plan, f"W{suffix}", Rule.WEIGHTED, {2021: 1}, weight_age_from=65),
        "latest": _indicator(plan, f"L{suffix}", Rule.LATEST, {2022: 40}),
        "none": _indicator(plan, f"N{suffix}", Rule.NONE, {2022: 100}),
        "empty": _indicator(plan, f"E{suffix}", Rule.SUM, {2022: 5}),
    }
    for code, s, a, w in (("VTR04", 10, 40, 40), ("VTR06", 5, 60, 60)):
        _value(ind["sum"], Y2021, code, s)
        _value(ind["average"], Y2021, code, a)
        _value(ind["weighted"], Y2021, code, w)
    _value(ind["sum"], Y2022, "VTR04", 12)
    # Stocks: VTR04 reports in 2021 only; its value is carried into 2022.
    _value(ind["latest"], Y2021, "VTR04", 7)
    _value(ind["latest"], Y2022, "VTR06", 3)
    # Not additive: municipal values do not add up; the region's own value is shown.
    _value(ind["none"], Y2021, "VTR04", 1)
    _value(ind["none"], Y2022, "VTR04", 2)
    _value(ind["none"], Y2022, "VTR", 99)
    return ind


@pytest.fixture
def setup(db, vtr_admin_org, vtr_municipality_org):
    plan = _regional_plan()
    indicators = _grow(plan, "1")
    Indicator.objects.create(plan=plan, code="Q1", name="Качествен", value_type=Indicator.ValueType.TEXT, aggregation=Rule.NONE)
    municipal_plan = PlanFactory(status=Plan.Status.IN_FORCE, period_start=2020, period_end=2024)  # VTR04
    own = _indicator(municipal_plan, "M1", Rule.SUM, {2021: 10})
    _value(own, Y2021, "VTR04", 5)
    other_plan = PlanFactory(
        owner=municipal_org("VTR06"), status=Plan.Status.IN_FORCE, period_start=2020, period_end=2024, title="Стратегия ГО"
    )
    other = _indicator(other_plan, "MUNI-TWO", Rule.SUM, {2021: 10})
    _value(other, Y2021, "VTR06", 10)
    draft = PlanFactory(regional=True, title="Проект на стратегия", period_start=2020, period_end=2024)
    _indicator(draft, "D1", Rule.SUM, {2021: 1})
    template = FormTemplate.objects.create(code="annual", name="Годишен отчет", schema={})
    round = Round.objects.create(
        name="Мониторинг 2021", region=vtr_admin_org.region, organizer=vtr_admin_org, status=Round.Status.OPEN,
        period_start=Y2021[0], period_end=Y2021[1], on_track_from=90, at_risk_from=60,
    )
    Deadline.objects.create(round=round, title="Отчети", due_on=datetime.date(2099, 1, 31))
    for org, status in ((vtr_municipality_org, Submission.Status.SUBMITTED), (municipal_org("VTR06"), Submission.Status.DRAFT)):
        assignment = Assignment.objects.create(round=round, template=template, respondent=org)
        Submission.objects.create(assignment=assignment, status=status)
    return {"plan": plan, **indicators, "own": own, "other": other, "round": round}


def _row(board, indicator):
    return next(row for block in board.regional for row in block.rows if row.indicator.pk == indicator.pk)


def _point(row, year):
    return next(p for p in row.series if p.year == year)


def _weighted(values: dict[str, int], age_from: int) -> Decimal:
    book = PopulationBook(list(Municipality.objects.filter(code__in=values).select_related("region")))
    weights = {code: book.group(code, age_from, None).value for code in values}
    total = sum(weights.values())
    return (sum(Decimal(v) * weights[c] for c, v in values.items()) / total).quantize(Decimal("0.0001"))


# --- The reads ------------------------------------------------------------------------------------


def test_region_values_add_up_by_each_rule(setup):
    board = region_dashboard(Region.objects.get(code="VTR"))
    s = setup
    assert _point(_row(board, s["sum"]), 2021).actual == 15
    assert _point(_row(board, s["sum"]), 2021).reported == 2
    assert _point(_row(board, s["sum"]), 2021).expected_units == 10
    assert _point(_row(board, s["sum"]), 2022).actual == 12
    assert _point(_row(board, s["average"]), 2021).actual == 50
    assert _point(_row(board, s["weighted"]), 2021).actual == _weighted({"VTR04": 40, "VTR06": 60}, 65)
    assert _point(_row(board, s["latest"]), 2022).actual == 10  # 7 carried forward + 3
    assert _point(_row(board, s["none"]), 2021).actual is None
    assert _point(_row(board, s["none"]), 2022).actual == 99
    assert [p.year for p in _row(board, s["sum"]).series] == [2020, 2021, 2022, 2023, 2024]


def test_status_is_that_of_the_last_year_with_a_value(setup):
    board = region_dashboard(Region.objects.get(code="VTR"))
    s = setup
    statuses = {key: _row(board, s[key]).status for key in ("sum", "average", "weighted", "latest", "none", "empty")}
    # sum: 12 of the 25 expected in 2022 (48 %); 2021 alone was at risk (15 of 20).
    assert statuses == {
        "sum": OFF_TRACK, "average": ON_TRACK, "weighted": ON_TRACK, "latest": OFF_TRACK, "none": ON_TRACK, "empty": NO_DATA,
    }
    assert _point(_row(board, s["sum"]), 2021).status == AT_RISK
    assert _point(_row(board, s["sum"]), 2021).expected == 20
    assert board.counts == {ON_TRACK: 3, AT_RISK: 0, OFF_TRACK: 2, NO_DATA: 1}
    assert board.qualitative == 1
    assert [block.plan.title for block in board.regional] == ["Областна стратегия"]  # not the draft


def test_municipal_plans_keep_their_municipality_values(setup):
    board = region_dashboard(Region.objects.get(code="VTR"))
    blocks = {b.municipality.code: b for b in board.municipal}
    assert len(blocks) == 10
    assert [r.indicator.code for r in blocks["VTR04"].rows] == ["M1"]
    assert _point(blocks["VTR04"].rows[0], 2021).actual == 5
    assert blocks["VTR04"].counts[OFF_TRACK] == 1  # 5 of 10
    assert blocks["VTR06"].counts[ON_TRACK] == 1
    assert board.municipal_counts == {ON_TRACK: 1, AT_RISK: 0, OFF_TRACK: 1, NO_DATA: 0}


def test_years_can_be_narrowed(setup):
    board = region_dashboard(Region.objects.get(code="VTR"), year_from=2021, year_to=2022)
    assert [p.year for p in _row(board, setup["sum"]).series] == [2021, 2022]


def test_current_round_completeness(setup):
    board = region_dashboard(Region.objects.get(code="VTR"))
    assert board.round == setup["round"]
    assert board.completeness.total == 2
    assert board.completeness.percent_in == 50


def test_indicator_map_gives_each_municipality_its_value(setup):
    result = indicator_map(setup["sum"], 2021)
    values = {item.municipality.code: item.value for item in result.items}
    assert len(values) == 10
    assert values["VTR04"] == 10 and values["VTR06"] == 5 and values["VTR13"] is None
    assert result.region_value.value == 15
    assert result.years == [2021, 2022]
    assert {i.klass for i in result.items if i.value is None} == {"none"}
    latest = indicator_map(setup["latest"], None)  # the latest year: carried forward
    assert latest.year == 2022
    assert {i.municipality.code: i.value for i in latest.items}["VTR04"] == 7


def test_national_dashboard_counts_each_region(setup):
    pvn_plan = _regional_plan("PVN", "Стратегия Плевен")
    shared = _indicator(pvn_plan, "S1", Rule.SUM, {2021: 10})
    _value(shared, Y2021, "PVN03", 12)
    board = national_dashboard()
    lines = {line.region.code: line for line in board.regions}
    assert len(lines) == 28
    assert lines["VTR"].counts == {ON_TRACK: 3, AT_RISK: 0, OFF_TRACK: 2, NO_DATA: 1}
    assert lines["VTR"].completeness.percent_in == 50
    assert lines["PVN"].counts[ON_TRACK] == 1 and lines["PVN"].round is None
    assert board.counts[ON_TRACK] == 4
    assert [(s.code, s.statuses) for s in board.shared] == [("S1", {"PVN": ON_TRACK, "VTR": OFF_TRACK})]
    assert board.national == []


def test_national_plans_add_up_over_the_country(setup, agency, national):
    plan = PlanFactory(
        kind=Plan.Kind.ROMA_STRATEGY, owner=agency, title="Национална стратегия", status=Plan.Status.IN_FORCE,
        period_start=2020, period_end=2024,
    )
    indicator = _indicator(plan, "NAT1", Rule.SUM, {2021: 20})
    _value(indicator, Y2021, "VTR04", 10)
    _value(indicator, Y2021, "PVN03", 8)
    [block] = national_dashboard().national
    row = block.rows[0]
    assert _point(row, 2021).actual == 18
    assert _point(row, 2021).expected_units == 265
    assert row.status == ON_TRACK  # 18 of 20
    html = client_for(national).get(reverse("monitoring:dashboard")).content.decode()
    assert f'id="indicator-{indicator.pk}" class="status-on_track"' in html


# --- The pages ------------------------------------------------------------------------------------


def test_region_page_shows_the_statuses_and_charts(setup, regional):
    response = client_for(regional).get(reverse("monitoring:dashboard_region", args=["VTR"]))
    assert response.status_code == 200
    html = response.content.decode()
    s = setup
    assert f'id="indicator-{s["sum"].pk}" class="status-off_track"' in html
    assert f'id="indicator-{s["average"].pk}" class="status-on_track"' in html
    assert f'id="indicator-{s["empty"].pk}" class="status-no_data"' in html
    assert 'role="img"' in html and "<title id=" in html  # accessible charts
    assert "Проект на стратегия" not in html
    assert "Мониторинг 2021" in html
    assert "MUNI-TWO" in html  # the regional expert sees every municipality's plans


def test_region_page_for_a_range_of_years(setup, regional):
    response = client_for(regional).get(reverse("monitoring:dashboard_region", args=["VTR"]) + "?year_from=2023&year_to=2021")
    assert response.status_code == 200  # an impossible range shows its error and every year
    assert 'class="error"' in response.content.decode()


def test_municipal_expert_lands_on_their_region_with_their_municipality_highlighted(setup, municipal):
    client = client_for(municipal)
    response = client.get(reverse("monitoring:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:dashboard_region", args=["VTR"])
    html = client.get(response["Location"]).content.decode()
    assert 'class="own"' in html
    assert "M1" in html and "MUNI-TWO" not in html  # another municipality's plan: counted, not detailed
    assert f'id="indicator-{setup["sum"].pk}"' in html  # the region's aggregates


def test_regional_expert_lands_on_their_region(regional):
    response = client_for(regional).get(reverse("monitoring:dashboard"))
    assert response["Location"] == reverse("monitoring:dashboard_region", args=["VTR"])


def test_national_page(setup, national):
    response = client_for(national).get(reverse("monitoring:dashboard"))
    assert response.status_code == 200
    assert reverse("monitoring:dashboard_region", args=["VTR"]) in response.content.decode()


def test_map_page_outlines_the_own_municipality_and_hides_the_others(setup, municipal, regional):
    url = reverse("monitoring:dashboard_indicator_map", args=["VTR"]) + f"?indicator={setup['sum'].pk}&period=2021"
    html = client_for(regional).get(url).content.decode()
    assert "fill:#f3f6f9" not in html
    assert ">10<" in html and ">5<" in html
    html = client_for(municipal).get(url).content.decode()
    assert 'stroke="#1b1f24"' in html
    assert ">10<" in html and ">5<" not in html
    # Another municipality's plan is not the municipal expert's to map.
    other = reverse("monitoring:dashboard_indicator_map", args=["VTR"]) + f"?indicator={setup['other'].pk}"
    assert client_for(municipal).get(other).status_code == 404
    assert client_for(regional).get(other).status_code == 200


def test_xlsx_export_opens_with_numbers(setup, regional):
    from openpyxl import load_workbook

    response = client_for(regional).get(reverse("monitoring:dashboard_xlsx", args=["VTR"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    sum_row = rows["S1"]
    assert sum_row[5] == 2022 and sum_row[6] == 12 and isinstance(sum_row[6], (int, float))
    assert sum_row[10] == 48  # progress in %
    by_year = workbook.worksheets[1]
    cells = [r for r in by_year.iter_rows(min_row=2) if r[1].value == "S1" and r[3].value == 2021][0]
    assert cells[4].data_type == "n" and cells[4].value == 15
    assert cells[10].value == 10  # municipalities expected


def test_national_export_is_for_national_readers(setup, national, regional):
    from openpyxl import load_workbook

    url = reverse("monitoring:dashboard_xlsx", args=["BG"])
    assert client_for(regional).get(url).status_code == 404
    response = client_for(national).get(url)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    vtr = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "Велико Търново"][0]
    assert vtr[1:6] == (6, 3, 0, 2, 1)


@pytest.fixture
def other_municipal(db):
    """A municipal expert of Плевен (PVN03)."""
    org = municipal_org("PVN03")
    return _assign(UserFactory(username="pvn-municipal"), RoleAssignment.Role.MUNICIPAL_EXPERT, org)


def test_municipal_expert_of_another_region_gets_404(setup, other_municipal):
    client = client_for(other_municipal)
    for url in (
        reverse("monitoring:dashboard_region", args=["VTR"]),
        reverse("monitoring:dashboard_indicator_map", args=["VTR"]) + f"?indicator={setup['sum'].pk}",
        reverse("monitoring:dashboard_xlsx", args=["VTR"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("monitoring:dashboard_region", args=["PVN"])).status_code == 200


def test_unknown_region_and_foreign_indicator_are_404(setup, administrator):
    client = client_for(administrator)
    assert client.get(reverse("monitoring:dashboard_region", args=["XXX"])).status_code == 404
    pvn = _indicator(_regional_plan("PVN"), "P1", Rule.SUM, {2021: 1})
    url = reverse("monitoring:dashboard_indicator_map", args=["VTR"]) + f"?indicator={pvn.pk}"
    assert client.get(url).status_code == 404


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_stay_the_same_when_the_indicators_double(setup, regional, django_assert_max_num_queries):
    client = client_for(regional)
    url = reverse("monitoring:dashboard_region", args=["VTR"])
    before = _count(client, url)
    _grow(setup["plan"], "2")
    second = _regional_plan(title="Втора стратегия")
    _grow(second, "3")
    with django_assert_max_num_queries(before):
        assert client.get(url).status_code == 200
    map_url = reverse("monitoring:dashboard_indicator_map", args=["VTR"]) + f"?indicator={setup['weighted'].pk}"
    before = _count(client, map_url)
    _grow(setup["plan"], "4")
    with django_assert_max_num_queries(before):
        assert client.get(map_url).status_code == 200


def test_the_rendering_is_cached_per_scope(setup, regional, municipal, settings, django_capture_on_commit_callbacks):
    """Users with the same rights share the cached page; a change of the data shows at once."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash-default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash-pages"},
    }
    caches["pages"].clear()
    url = reverse("monitoring:dashboard_region", args=["VTR"])
    colleague = _assign(UserFactory(username="regional2"), RoleAssignment.Role.REGIONAL_EXPERT, regional.role_assignments.get().organization)
    first = client_for(regional)
    assert first.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client_for(colleague).get(url)
    assert not any("monitoring_value" in q["sql"] for q in queries.captured_queries)
    municipal_html = client_for(municipal).get(url).content.decode()
    assert 'class="own"' in municipal_html  # not the regional expert's rendering
    from socplan.core.cache import bump_data_version

    Value.objects.filter(indicator=setup["sum"], unit_code="VTR04", period_end=Y2022[1]).update(value=Decimal(30))
    with django_capture_on_commit_callbacks(execute=True):
        bump_data_version()
    html = client_for(colleague).get(url).content.decode()
    assert f'id="indicator-{setup["sum"].pk}" class="status-on_track"' in html
    caches["pages"].clear()


# --- Role matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_role_matrix(case, users):
    objects = matrix_objects(users)
    failures = []
    for role, expected in case.expected.items():
        response = client_for(users[role]).get(case.url(objects))
        if response.status_code != expected:
            failures.append(f"{role}: expected {expected}, got {response.status_code}")
    assert not failures, f"{case.id}: " + "; ".join(failures)
