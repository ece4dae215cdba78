import datetime

import factory
from factory.django import DjangoModelFactory

from socplan.organizations.models import Organization
from socplan.plans.models import Node, Plan, PlanVersion, Stage


def municipal_org(code: str) -> Organization:
    return Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code=code)


def regional_org(code: str) -> Organization:
    return Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code=code)


class PlanFactory(DjangoModelFactory):
    """A municipal strategy of Veliko Tarnovo (VTR04) with its first, draft version."""

    class Meta:
        model = Plan
        skip_postgeneration_save = True

    kind = Plan.Kind.MUNICIPAL_STRATEGY
    title = factory.Sequence(lambda n: f"Стратегия за развитие на социалните услуги {n}")
    owner = factory.LazyFunction(lambda: municipal_org("VTR04"))
    municipality = factory.LazyAttribute(lambda o: o.owner.municipality)
    region = factory.LazyAttribute(lambda o: o.owner.region or (o.municipality.region if o.municipality else None))
    period_start = 2016
    period_end = 2020
    levels = factory.LazyAttribute(lambda o: list(Plan.DEFAULT_LEVELS[o.kind]))

    class Params:
        regional = factory.Trait(
            kind=Plan.Kind.REGIONAL_STRATEGY,
            owner=factory.LazyFunction(lambda: regional_org("VTR")),
            municipality=None,
        )

    @factory.post_generation
    def version(obj, create, extracted, **kwargs):
        if create and not obj.versions.exists():
            PlanVersion.objects.create(plan=obj, number=1, vision="Достъпни и качествени социални услуги.")


class NodeFactory(DjangoModelFactory):
    class Meta:
        model = Node

    version = factory.LazyAttribute(lambda o: PlanFactory().versions.get())
    level = "general_goal"
    title = factory.Sequence(lambda n: f"Цел {n}")
    position = factory.Sequence(lambda n: n)


class StageFactory(DjangoModelFactory):
    class Meta:
        model = Stage

    kind = Stage.Kind.IMPLEMENTATION
    title = "Първи етап"
    starts_on = datetime.date(2016, 1, 1)
    ends_on = datetime.date(2018, 12, 31)
