"""A plan's life: consultation, adoption, updates with their differences, comments, alignment."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from socplan.core.exceptions import ApplicationError
from socplan.plans import selectors, services
from socplan.plans.models import Comment, Level, Node, Plan, PlanVersion

from .factories import PlanFactory, municipal_org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted in English here; the Bulgarian catalogue has its own tests."""
    with translation.override("en"):
        yield

COUNCIL_KIND = "municipal_council"


def council(code="VTR04"):
    from socplan.organizations.models import Organization

    return Organization.objects.get(kind=COUNCIL_KIND, municipality__code=code)


@pytest.fixture
def plan(municipal):
    plan = PlanFactory()
    version = plan.versions.get()
    goal = services.node_add(user=municipal, version=version, title="Деинституционализация", level=Level.GENERAL_GOAL)
    services.node_add(user=municipal, version=version, title="Разкриване на ЦНСТ", level=Level.MEASURE, parent=goal)
    return plan


def adopt(user, plan, on=datetime.date(2016, 3, 25)):
    return services.version_adopt(
        user=user,
        version=plan.versions.order_by("-number").first(),
        body=council(),
        decision_number="№84",
        protocol_number="8",
        adopted_on=on,
    )


def test_adoption_puts_the_version_in_force_and_freezes_it(municipal, plan):
    version = adopt(municipal, plan)
    plan.refresh_from_db()
    assert plan.current_version == version
    assert plan.status == Plan.Status.IN_FORCE
    assert plan.is_public
    assert str(version.adoption) == "Решение №84/25.03.2016, Протокол №8/25.03.2016"
    with pytest.raises(ApplicationError, match="update"):
        services.node_add(user=municipal, version=version, title="Нова мярка", level=Level.GENERAL_GOAL)


def test_an_update_copies_the_version_and_the_difference_is_shown(municipal, plan):
    first = adopt(municipal, plan)
    with pytest.raises(ValidationError):
        services.version_create_update(user=municipal, plan=plan, reason=" ")
    second = services.version_create_update(user=municipal, plan=plan, reason="Междинна оценка 2018")
    assert second.number == 2 and second.status == PlanVersion.Status.DRAFT
    with pytest.raises(ApplicationError, match="already"):
        services.version_create_update(user=municipal, plan=plan, reason="Още една")
    old_nodes = {n.key: n for n in first.nodes.all()}
    new_nodes = list(second.nodes.all())
    assert {n.key for n in new_nodes} == set(old_nodes)
    measure = second.nodes.get(level=Level.MEASURE)
    services.node_update(user=municipal, node=measure, title="Разкриване на два ЦНСТ")
    services.node_add(user=municipal, version=second, title="Приемна грижа", level=Level.GENERAL_GOAL)
    rows = selectors.version_diff(old=first, new=second)
    assert [r.status for r in rows] == ["same", "changed", "added"]
    assert rows[1].changed_fields == ["title"] and rows[1].old.title == "Разкриване на ЦНСТ"
    # The earlier version stays as it was.
    assert first.nodes.get(level=Level.MEASURE).title == "Разкриване на ЦНСТ"
    adopt(municipal, plan, on=datetime.date(2018, 11, 30))
    first.refresh_from_db()
    plan.refresh_from_db()
    assert first.status == PlanVersion.Status.SUPERSEDED
    assert plan.current_version.number == 2


def test_the_current_model_needs_30_days_of_consultation_before_adoption(municipal):
    plan = PlanFactory(kind=Plan.Kind.ANNUAL_PLAN, period_start=2026, period_end=2026, levels=["measure", "activity"])
    version = plan.versions.get()
    services.node_add(user=municipal, version=version, title="ЦНСТ за деца — 14 потребители", level=Level.MEASURE)
    with pytest.raises(ApplicationError, match="consultation"):
        adopt(municipal, plan, on=datetime.date(2026, 1, 10))
    with pytest.raises(ValidationError, match="30"):
        services.consultation_open(
            user=municipal, version=version, opens_on=datetime.date(2025, 6, 1), closes_on=datetime.date(2025, 6, 20)
        )
    services.consultation_open(
        user=municipal, version=version, opens_on=datetime.date(2025, 6, 1), closes_on=datetime.date(2025, 6, 30)
    )
    plan.refresh_from_db()
    assert plan.is_public and plan.status == Plan.Status.CONSULTATION
    with pytest.raises(ValidationError, match="after the consultation"):
        adopt(municipal, plan, on=datetime.date(2025, 6, 30))
    adopt(municipal, plan, on=datetime.date(2025, 8, 28))


def test_comments_wait_for_moderation_and_never_show_names(municipal, plan, client):
    version = plan.versions.get()
    today = datetime.date.today()
    services.consultation_open(user=municipal, version=version, opens_on=today, closes_on=today + datetime.timedelta(days=30))
    comment = services.comment_submit(
        version=version, author_name="Петя Петрова", author_email="petya@example.bg", text="Предлагам и ЦОП."
    )
    assert comment.status == Comment.Status.PENDING
    page = client.get(f"/plans/public/{plan.pk}/").content.decode()
    assert "Предлагам и ЦОП." not in page
    services.comment_moderate(user=municipal, comment=comment, status="published", answer="Приема се.")
    page = client.get(f"/plans/public/{plan.pk}/").content.decode()
    assert "Предлагам и ЦОП." in page and "Приема се." in page
    assert "Петя" not in page and "petya@example.bg" not in page


def test_comments_only_while_the_consultation_is_open(plan):
    with pytest.raises(ApplicationError):
        services.comment_submit(version=plan.versions.get(), author_name="А", text="Б")


def test_others_cannot_adopt(regional, outsider, plan):
    for user in (regional, outsider):
        with pytest.raises(PermissionDenied):
            adopt(user, plan)


def test_alignment_coverage_flags_goals_and_measures(municipal, regional):
    regional_plan = PlanFactory(regional=True, period_start=2016, period_end=2020)
    rv = regional_plan.versions.get()
    g1 = services.node_add(user=regional, version=rv, title="Грижа в общността", level=Level.GENERAL_GOAL)
    s11 = services.node_add(user=regional, version=rv, title="Услуги за деца", parent=g1)
    g2 = services.node_add(user=regional, version=rv, title="Човешки ресурси", level=Level.GENERAL_GOAL)
    municipal_plan = PlanFactory(implements=regional_plan)
    mv = municipal_plan.versions.get()
    linked = services.node_add(user=municipal, version=mv, title="ЦОП", level=Level.MEASURE)
    services.node_add(user=municipal, version=mv, title="Рекламна кампания", level=Level.MEASURE)
    services.alignment_set(user=municipal, node=linked, target_keys=[s11.key])
    coverage = selectors.alignment_coverage(user=regional, regional=rv)
    by_title = {row.node.title: row for row in coverage["rows"]}
    muni_id = municipal_plan.municipality_id
    assert [n.title for n in by_title["Услуги за деца"].links[muni_id]] == ["ЦОП"]
    assert [n.title for n in coverage["uncovered"]] == ["Човешки ресурси"]
    assert [n.title for n in coverage["unlinked"]] == ["Рекламна кампания"]
    assert g1.pk in coverage["implemented"] and g2.pk not in coverage["implemented"]
    # Links to anything outside the regional strategy are refused.
    other = Node.objects.create(version=mv, level=Level.MEASURE, title="x", position=9)
    with pytest.raises(ValidationError):
        services.alignment_set(user=municipal, node=linked, target_keys=[other.key])


def test_regional_expert_reads_but_does_not_edit_municipal_plans(regional, municipal, outsider, plan):
    assert selectors.plan_list(user=regional).filter(pk=plan.pk).exists()
    assert not selectors.plan_can_edit(user=regional, plan=plan)
    assert selectors.plan_can_edit(user=municipal, plan=plan)
    assert not selectors.plan_list(user=outsider).filter(pk=plan.pk).exists()


def test_plan_rules(municipal):
    with pytest.raises(ValidationError):
        services.plan_create(
            user=municipal, kind=Plan.Kind.MUNICIPAL_STRATEGY, title="X", owner=municipal_org("VTR04"),
            municipality=None, period_start=2016, period_end=2020,
        )
    with pytest.raises(PermissionDenied):
        services.plan_create(
            user=municipal, kind=Plan.Kind.MUNICIPAL_STRATEGY, title="X", owner=municipal_org("PVN08"),
            municipality=municipal_org("PVN08").municipality, period_start=2016, period_end=2020,
        )
