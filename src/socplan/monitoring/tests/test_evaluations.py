"""The evaluation pages of a plan: an interim evaluation of the regional strategy with findings per
goal, completed, starts the plan's update, which links back to it."""

import datetime

import pytest
from django.urls import reverse

from socplan.conftest import client_for
from socplan.monitoring.models import Evaluation, Finding
from socplan.plans import services as plan_services
from socplan.plans.models import Level, Node, PlanVersion
from socplan.plans.tests.factories import PlanFactory, regional_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy(administrator):
    """The adopted regional strategy 2016–2020 of Veliko Tarnovo with two goals and a measure."""
    plan = PlanFactory(regional=True, title="Областна стратегия за развитие на социалните услуги 2016–2020")
    version = plan.versions.get()
    goal = Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="Деинституционализация", number="1")
    Node.objects.create(version=version, parent=goal, level=Level.SPECIFIC_GOAL, title="Услуги в общността", number="1.1")
    Node.objects.create(version=version, parent=goal, level=Level.MEASURE, title="ЦНСТ", number="1.1.1", position=1)
    Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="Качество на услугите", number="2", position=1)
    plan_services.version_adopt(
        user=administrator, version=version, body=regional_org("VTR"), decision_number="1", adopted_on=datetime.date(2015, 12, 22)
    )
    plan.refresh_from_db()
    return plan


def _evaluation_data(**extra):
    return {
        "kind": "interim",
        "title": "Междинна оценка 2016–2017",
        "period_start": "2016-01-01",
        "period_end": "2017-06-30",
        "evaluator": "Звено за мониторинг и оценка",
        "summary": "Стратегията се изпълнява с известно закъснение.",
        **extra,
    }


def test_an_evaluation_with_findings_completes_and_starts_the_update_that_links_back(strategy, regional):
    client = client_for(regional)
    assert client.get(reverse("monitoring:evaluation_list", kwargs={"plan_pk": strategy.pk})).status_code == 200
    response = client.post(reverse("monitoring:evaluation_create", kwargs={"plan_pk": strategy.pk}), _evaluation_data())
    evaluation = Evaluation.objects.get(plan=strategy)
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk})
    assert evaluation.version == strategy.current_version and evaluation.status == Evaluation.Status.DRAFT

    page = client.get(reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk}))
    form = page.context["finding_form"]
    goals = [label for value, label in form.fields["node_key"].choices if value]
    # Goals and priorities only, in the order of the document; the measure is not evaluated here.
    assert [label.split(" ")[0] for label in goals] == ["1", "1.1", "2"]

    url = reverse("monitoring:evaluation_finding_add", kwargs={"pk": evaluation.pk})
    goal = Node.objects.get(version=evaluation.version, number="1")
    response = client.post(
        url,
        {
            "finding-node_key": str(goal.key), "finding-heading": "", "finding-rating": "partly",
            "finding-findings": "Закрити са две институции.", "finding-recommendations": "Да се разкрият още два ЦНСТ.",
        },
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {"finding-node_key": "", "finding-heading": "Хоризонтални въпроси", "finding-rating": "not_assessed",
         "finding-findings": "Липсват данни от ДСП.", "finding-recommendations": ""},
    )
    assert response.status_code == 302
    first, second = evaluation.findings.order_by("position")
    assert first.heading == "1 Деинституционализация" and first.node_key == goal.key and first.rating == Finding.Rating.PARTLY
    assert second.node_key is None and second.heading == "Хоризонтални въпроси"
    # Neither a goal nor a heading: refused on the form.
    response = client.post(url, {"finding-rating": "achieved", "finding-findings": "…"})
    assert response.status_code == 200 and response.context["finding_form"].errors["heading"]

    # Editing the finding to another goal: the heading follows the goal.
    other = Node.objects.get(version=evaluation.version, number="2")
    edit = reverse("monitoring:evaluation_finding_edit", kwargs={"pk": evaluation.pk, "finding_pk": first.pk})
    assert client.get(edit).context["form"].initial["heading"] == ""
    client.post(edit, {"node_key": str(other.key), "heading": "", "rating": "achieved", "findings": "Добре.", "recommendations": "Да продължи."})
    first.refresh_from_db()
    assert first.heading == "2 Качество на услугите" and first.rating == Finding.Rating.ACHIEVED

    response = client.post(reverse("monitoring:evaluation_complete", kwargs={"pk": evaluation.pk}))
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.COMPLETED and evaluation.completed_on == datetime.date.today()
    assert client.get(reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk})).context["finding_form"] is None

    response = client.post(reverse("monitoring:evaluation_start_update", kwargs={"pk": evaluation.pk}))
    version = strategy.versions.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:plan-detail", kwargs={"pk": strategy.pk}) + "?v=2"
    evaluation.refresh_from_db()
    assert evaluation.leads_to == version and version.status == PlanVersion.Status.DRAFT
    assert list(version.from_evaluations.all()) == [evaluation]
    assert "Да продължи." in version.reason
    html = client.get(reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk})).content.decode()
    assert reverse("plans:plan-detail", kwargs={"pk": strategy.pk}) + "?v=2" in html
    # Started once: a second time is refused.
    client.post(reverse("monitoring:evaluation_start_update", kwargs={"pk": evaluation.pk}))
    assert strategy.versions.count() == 2


def test_an_update_started_on_the_plan_page_is_linked_to_the_evaluation(strategy, regional):
    client = client_for(regional)
    evaluation = Evaluation.objects.create(
        plan=strategy, version=strategy.current_version, kind="final", title="Окончателна оценка",
        period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2020, 12, 31), status=Evaluation.Status.COMPLETED,
    )
    Finding.objects.create(evaluation=evaluation, heading="1 Деинституционализация", findings="Постигната.")
    update = plan_services.version_create_update(user=regional, plan=strategy, reason="Нов закон за социалните услуги")
    # The evaluation cannot start a second update while one is being prepared; it is linked to it.
    client.post(reverse("monitoring:evaluation_start_update", kwargs={"pk": evaluation.pk}))
    assert strategy.versions.count() == 2
    page = client.get(reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk}))
    assert list(page.context["link_form"].fields["version"].queryset) == [update]
    client.post(reverse("monitoring:evaluation_link_update", kwargs={"pk": evaluation.pk}), {"version": update.pk})
    evaluation.refresh_from_db()
    assert evaluation.leads_to == update


def test_the_evaluation_is_refused_without_findings_or_outside_the_plans_period(strategy, regional):
    client = client_for(regional)
    response = client.post(
        reverse("monitoring:evaluation_create", kwargs={"plan_pk": strategy.pk}), _evaluation_data(period_end="2022-12-31")
    )
    assert response.status_code == 200 and response.context["form"].errors["period_end"]
    client.post(reverse("monitoring:evaluation_create", kwargs={"plan_pk": strategy.pk}), _evaluation_data())
    evaluation = Evaluation.objects.get(plan=strategy)
    client.post(reverse("monitoring:evaluation_complete", kwargs={"pk": evaluation.pk}))
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.DRAFT


def test_a_draft_plan_is_not_evaluated(regional):
    plan = PlanFactory(regional=True)
    client = client_for(regional)
    response = client.get(reverse("monitoring:evaluation_create", kwargs={"plan_pk": plan.pk}))
    assert response.status_code == 302
    assert not Evaluation.objects.filter(plan=plan).exists()


def test_who_sees_and_changes_the_evaluations(strategy, users):
    evaluation = Evaluation.objects.create(
        plan=strategy, version=strategy.current_version, kind="interim", title="Междинна оценка",
        period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2017, 6, 30),
    )
    detail = reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk})
    create = reverse("monitoring:evaluation_create", kwargs={"plan_pk": strategy.pk})
    # The national expert reads; the municipality and another region do not see the region's evaluation.
    assert client_for(users["national"]).get(detail).status_code == 200
    assert client_for(users["national"]).get(create).status_code == 403
    for role in ("municipal", "outsider"):
        assert client_for(users[role]).get(detail).status_code == 404
        assert client_for(users[role]).post(reverse("monitoring:evaluation_complete", kwargs={"pk": evaluation.pk})).status_code == 404
    assert client_for(users["outsider"]).get(create).status_code == 403
