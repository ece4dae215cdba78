"""Role-matrix cases of the monitoring dashboards (see socplan/tests/test_role_matrix.py).

Objects (`objects(users)`, to merge into the matrix's objects): a regional strategy of Велико
Търново in force, with one indicator ("md_indicator").
Who: every signed-in user sees the dashboards of the regions they read — the national expert and
the administrator all of them, a regional expert their region, a municipal expert their
municipality's region; others get 404. The landing page shows the country to those who read all
of it and sends the others to their region; a directorate or a provider (no region) is told so.
The national export ("BG") is for those who read the whole country.
"""

from django.urls import reverse

from socplan.tests.matrix import Case, case, expect

VTR = {"kwargs": lambda o: {"region_code": "VTR"}}
PVN = {"kwargs": lambda o: {"region_code": "PVN"}}
# The region of Велико Търново: its regional and municipal experts, and those who read everything.
SEE_VTR = dict(admin=200, national=200, regional=200, municipal=200)
SEE_PVN = dict(admin=200, national=200, outsider=200)


def _map_of_indicator(objects) -> str:
    url = reverse("monitoring:dashboard_indicator_map", kwargs={"region_code": "VTR"})
    return f"{url}?indicator={objects['md_indicator'].pk}&period=2021"


CASES = [
    case(
        "dashboard",
        "monitoring:dashboard",
        expect(200, anonymous=302, regional=302, municipal=302, outsider=302),
    ),
    case("dashboard-region", "monitoring:dashboard_region", expect(404, anonymous=302, **SEE_VTR), **VTR),
    case("dashboard-region-other", "monitoring:dashboard_region", expect(404, anonymous=302, **SEE_PVN), **PVN),
    case("dashboard-map", "monitoring:dashboard_indicator_map", expect(404, anonymous=302, **SEE_VTR), **VTR),
    Case(
        id="dashboard-map-indicator",
        url_name="monitoring:dashboard_indicator_map",
        url=_map_of_indicator,
        expected=expect(404, anonymous=302, **SEE_VTR),
    ),
    case("dashboard-xlsx", "monitoring:dashboard_xlsx", expect(404, anonymous=302, **SEE_VTR), **VTR),
    case(
        "dashboard-xlsx-national",
        "monitoring:dashboard_xlsx",
        expect(404, anonymous=302, admin=200, national=200),
        kwargs=lambda o: {"region_code": "BG"},
    ),
]


def objects(users) -> dict:
    import datetime
    from decimal import Decimal

    from socplan.monitoring.models import Indicator, Target, Value
    from socplan.organizations.models import Organization
    from socplan.plans.models import Plan
    from socplan.plans.tests.factories import PlanFactory
    from socplan.territory.models import Municipality

    owner = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    plan = PlanFactory(
        regional=True, owner=owner, region=owner.region, title="Областна стратегия (матрица)",
        status=Plan.Status.IN_FORCE, period_start=2020, period_end=2024,
    )
    indicator = Indicator.objects.create(plan=plan, code="MX1", name="Потребители на услуги", aggregation="sum")
    Target.objects.create(indicator=indicator, label="2021", due_on=datetime.date(2021, 12, 31), value=Decimal(10))
    municipality = Municipality.objects.get(code="VTR04")
    Value.objects.create(
        indicator=indicator, period_start=datetime.date(2021, 1, 1), period_end=datetime.date(2021, 12, 31),
        unit_code="VTR04", region=municipality.region, municipality=municipality, value=Decimal(8),
    )
    return {"md_indicator": indicator}
