import datetime

import factory
from factory.django import DjangoModelFactory

from socplan.organizations.models import Organization
from socplan.social_services.models import Occupancy, PlanningStandard, Service, ServiceType
from socplan.territory.models import Settlement


class ServiceTypeFactory(DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"type{n}")
    abbreviation = "ЦОП"
    name = factory.Sequence(lambda n: f"Център за обществена подкрепа {n}")
    activity = "information"
    scope = "specialised"
    users = "children"


def settlement_of(code: str) -> Settlement:
    """The administrative centre of a municipality (e.g. "VTR04" → Велико Търново)."""
    from socplan.territory.models import Municipality

    municipality = Municipality.objects.get(code=code)
    return Settlement.objects.get(ekatte=municipality.center_ekatte)


class ServiceFactory(DjangoModelFactory):
    """An operating service in Veliko Tarnovo run by the municipality."""

    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"ЦОП „Надежда“ {n}")
    service_type = factory.SubFactory(ServiceTypeFactory)
    provider = factory.LazyFunction(
        lambda: Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR04")
    )
    settlement = factory.LazyFunction(lambda: settlement_of("VTR04"))
    municipality = factory.LazyAttribute(lambda o: o.settlement.municipality)
    region = factory.LazyAttribute(lambda o: o.municipality.region)
    capacity = 20
    financing = Service.Financing.STATE_DELEGATED
    status = Service.Status.OPERATING
    opened_on = datetime.date(2015, 1, 1)


class OccupancyFactory(DjangoModelFactory):
    class Meta:
        model = Occupancy

    service = factory.SubFactory(ServiceFactory)
    period = Occupancy.Period.MONTH
    starts_on = datetime.date(2024, 1, 1)
    users = 15


class StandardFactory(DjangoModelFactory):
    class Meta:
        model = PlanningStandard

    service_type = factory.SubFactory(ServiceTypeFactory)
    kind = PlanningStandard.Kind.PER_1000
    age_from = 0
    age_to = 17
    value = "2.5"
    valid_from = datetime.date(2021, 4, 1)
    source = "test"
