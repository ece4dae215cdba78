import pytest
from django.urls import reverse

from socplan.conftest import client_for
from socplan.plans import services
from socplan.plans.models import Level, Plan

from .factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_plan_detail_gives_the_tree_in_document_order(municipal, outsider):
    plan = PlanFactory()
    version = plan.versions.get()
    goal = services.node_add(user=municipal, version=version, title="Цел", level=Level.GENERAL_GOAL)
    services.node_add(user=municipal, version=version, title="Мярка", level=Level.MEASURE, parent=goal)
    services.node_update(
        user=municipal, node=goal, financing=[{"source": "project", "amount": "100.50", "currency": "EUR"}]
    )
    data = client_for(municipal).get(reverse("api:plan-detail", kwargs={"pk": plan.pk})).json()
    assert [(n["number"], n["level"], n["title"]) for n in data["nodes"]] == [
        ("1", "general_goal", "Цел"),
        ("1.1", "measure", "Мярка"),
    ]
    assert data["nodes"][0]["financing"][0]["amount"] == "100.50"
    assert client_for(outsider).get(reverse("api:plan-detail", kwargs={"pk": plan.pk})).status_code == 404


def test_plan_list_filters(municipal):
    PlanFactory(title="А")
    PlanFactory(title="Б", kind=Plan.Kind.ANNUAL_PLAN, period_start=2026, period_end=2026)
    data = client_for(municipal).get(reverse("api:plan-list"), {"kind": "annual_plan"}).json()
    assert [p["title"] for p in data["results"]] == ["Б"]
