import datetime

import factory
from django.contrib.auth.models import User
from factory.django import DjangoModelFactory

from socplan.organizations.models import Appointment, Body, Membership, Organization, RoleAssignment
from socplan.territory.models import Municipality, Region


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def municipality(code: str) -> Municipality:
    return Municipality.objects.get(code=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Мария"
    last_name = factory.Sequence(lambda n: f"Иванова-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.bg")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.NGO
    name = factory.Sequence(lambda n: f"Сдружение „Подкрепа {n}“")
    region = factory.LazyFunction(lambda: region("VTR"))
    municipality = None

    class Params:
        provider = factory.Trait(kind=Organization.Kind.PROVIDER, name=factory.Sequence(lambda n: f"Доставчик {n} ЕООД"))


class BodyFactory(DjangoModelFactory):
    class Meta:
        model = Body

    kind = Body.Kind.MONITORING_UNIT
    name = factory.Sequence(lambda n: f"Звено за мониторинг и оценка {n}")
    organization = factory.LazyFunction(
        lambda: Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    )
    has_extended_composition = True


class AppointmentFactory(DjangoModelFactory):
    class Meta:
        model = Appointment

    body = factory.SubFactory(BodyFactory)
    number = factory.Sequence(lambda n: f"ОА-{100 + n}")
    date = datetime.date(2017, 6, 20)
    issued_by = "Областен управител"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    body = factory.SubFactory(BodyFactory)
    person_name = factory.Sequence(lambda n: f"Член {n}")
    position = "експерт"
    start_date = datetime.date(2017, 6, 20)


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = RoleAssignment.Role.REGIONAL_EXPERT
    organization = factory.LazyFunction(
        lambda: Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    )
