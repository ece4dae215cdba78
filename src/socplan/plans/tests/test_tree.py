"""The tree editor's services: numbering, levels, moves, concurrency, dates and money."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from socplan.core.exceptions import ApplicationError
from socplan.plans import selectors, services
from socplan.plans.models import Level, Node

from .factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted in English here; the Bulgarian catalogue has its own tests."""
    with translation.override("en"):
        yield


@pytest.fixture
def plan():
    return PlanFactory()


@pytest.fixture
def version(plan):
    return plan.versions.get()


def numbers(version):
    return [(n.number, n.level, n.title) for n in selectors.node_rows(version=version, prefetch=False)]


def build(municipal, version):
    goal = services.node_add(user=municipal, version=version, title="Цел A", level=Level.GENERAL_GOAL)
    spec = services.node_add(user=municipal, version=version, title="Специфична A1", parent=goal)
    m1 = services.node_add(user=municipal, version=version, title="Мярка 1", parent=spec)
    m2 = services.node_add(user=municipal, version=version, title="Мярка 2", after=m1)
    services.node_add(user=municipal, version=version, title="Дейност", parent=m2)
    goal_b = services.node_add(user=municipal, version=version, title="Цел B", after=goal)
    return goal, spec, m1, m2, goal_b


def test_numbers_follow_positions_and_levels_default_to_the_next_used_level(municipal, version):
    build(municipal, version)
    assert numbers(version) == [
        ("1", "general_goal", "Цел A"),
        ("1.1", "specific_goal", "Специфична A1"),
        ("1.1.1", "measure", "Мярка 1"),
        ("1.1.2", "measure", "Мярка 2"),
        ("1.1.2.1", "activity", "Дейност"),
        ("2", "general_goal", "Цел B"),
    ]


def test_moving_renumbers_the_whole_subtree(municipal, version):
    _goal, _spec, m1, m2, _goal_b = build(municipal, version)
    services.node_move(user=municipal, node=m2, direction="up")
    assert [n for n, *_ in numbers(version)] == ["1", "1.1", "1.1.1", "1.1.1.1", "1.1.2", "2"]
    assert Node.objects.get(pk=m1.pk).number == "1.1.2"
    assert Node.objects.get(title="Дейност").number == "1.1.1.1"


def test_indent_and_outdent(municipal, version):
    goal, spec, m1, m2, goal_b = build(municipal, version)
    services.node_indent(user=municipal, node=goal_b)
    goal_b.refresh_from_db()
    # A general goal cannot sit under a general goal: it moves one level down.
    assert (goal_b.parent_id, goal_b.level, goal_b.number) == (goal.pk, Level.SPECIFIC_GOAL, "1.2")
    services.node_outdent(user=municipal, node=goal_b)
    goal_b.refresh_from_db()
    assert (goal_b.parent_id, goal_b.number) == (None, "2")
    with pytest.raises(ApplicationError):
        services.node_indent(user=municipal, node=goal)  # first of its list


def test_nothing_below_an_activity(municipal, version):
    *_rest, m2, _b = build(municipal, version)
    activity = Node.objects.get(title="Дейност")
    with pytest.raises(ValidationError):
        services.node_add(user=municipal, version=version, title="Поддейност", parent=activity)
    # Indenting the measure under its sibling would push its activity below an activity.
    m1 = Node.objects.get(title="Мярка 1")
    services.node_add(user=municipal, version=version, title="Дейност 1", parent=m1)
    with pytest.raises(ValidationError, match="below an activity"):
        services.node_indent(user=municipal, node=m2)


def test_a_node_cannot_be_placed_under_a_lower_level(municipal, version):
    goal, spec, *_ = build(municipal, version)
    with pytest.raises(ValidationError):
        services.node_add(user=municipal, version=version, title="Приоритет", level=Level.PRIORITY, parent=spec)
    with pytest.raises(ValidationError):
        services.node_move(user=municipal, node=goal, to_parent=True, parent=spec)  # under itself


def test_activity_outside_the_period_and_negative_money_are_refused(municipal, version):
    *_rest, m2, _b = build(municipal, version)
    activity = Node.objects.get(title="Дейност")
    with pytest.raises(ValidationError, match="period"):
        services.node_update(user=municipal, node=activity, starts_on=datetime.date(2021, 1, 1))
    with pytest.raises(ValidationError, match="negative"):
        services.node_update(user=municipal, node=activity, financing=[{"source": "local_revenue", "amount": "-5"}])
    services.node_update(
        user=municipal,
        node=activity,
        starts_on=datetime.date(2016, 3, 1),
        ends_on=datetime.date(2018, 12, 31),
        financing=[
            {"source": "project", "programme": "ОП РЧР", "amount": "12 500,50", "currency": "BGN"},
            {"source": "local_revenue", "amount": "2000", "currency": "BGN"},
        ],
    )
    assert sorted(activity.financing.values_list("source", "amount")) == [
        ("local_revenue", 2000), ("project", pytest.approx(12500.50))
    ]


def test_a_stale_edit_does_not_overwrite_a_colleagues_change(municipal, version):
    goal, *_ = build(municipal, version)
    goal.refresh_from_db()
    seen = goal.revision
    services.node_update(user=municipal, node=goal, expected_revision=seen, title="Цел A (колега)")
    with pytest.raises(ApplicationError, match="Someone else"):
        services.node_update(user=municipal, node=goal, expected_revision=seen, title="Цел A (аз)")
    assert Node.objects.get(pk=goal.pk).title == "Цел A (колега)"


def test_others_cannot_edit_the_tree(version, regional, outsider, national, provider):
    for user in (regional, outsider, national, provider):
        with pytest.raises(PermissionDenied):
            services.node_add(user=user, version=version, title="X", level=Level.GENERAL_GOAL)


def test_deleting_removes_the_subtree_and_renumbers(municipal, version):
    goal, *_ = build(municipal, version)
    services.node_delete(user=municipal, node=goal)
    assert numbers(version) == [("1", "general_goal", "Цел B")]
