"""Fixtures shared by every app's tests: the real territory data and one user per role."""

import pytest
from django.test import Client

from socplan.organizations.models import Organization, RoleAssignment
from socplan.organizations.services import organizations_load_public
from socplan.organizations.tests.factories import OrganizationFactory, UserFactory
from socplan.territory.models import Municipality
from socplan.territory.services import territory_load

Role = RoleAssignment.Role
Kind = Organization.Kind


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the official territory data and public organisations once per test database."""
    with django_db_blocker.unblock():
        territory_load()
        organizations_load_public()


def _assign(user, role, organization):
    assignment = RoleAssignment(user=user, role=role, organization=organization)
    assignment.full_clean()
    assignment.save()
    return user


@pytest.fixture
def vtr_admin_org(db):
    return Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="VTR")


@pytest.fixture
def pvn_admin_org(db):
    return Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="PVN")


@pytest.fixture
def vtr_municipality_org(db):
    return Organization.objects.get(kind=Kind.MUNICIPALITY, municipality__code="VTR04")


@pytest.fixture
def vtr_dsp(db):
    return OrganizationFactory(
        kind=Kind.DSP, name="Дирекция „Социално подпомагане“ Велико Търново", municipality=Municipality.objects.get(code="VTR04")
    )


@pytest.fixture
def vtr_ngo(db):
    return OrganizationFactory(kind=Kind.NGO, name="Сдружение „Тест“", municipality=Municipality.objects.get(code="VTR04"))


@pytest.fixture
def agency(db):
    return Organization.objects.get(kind=Kind.AGENCY)


@pytest.fixture
def administrator(agency):
    return _assign(UserFactory(username="admin", is_staff=True), Role.ADMINISTRATOR, agency)


@pytest.fixture
def national(agency):
    return _assign(UserFactory(username="national"), Role.NATIONAL, agency)


@pytest.fixture
def regional(vtr_admin_org):
    return _assign(UserFactory(username="regional"), Role.REGIONAL_EXPERT, vtr_admin_org)


@pytest.fixture
def municipal(vtr_municipality_org):
    return _assign(UserFactory(username="municipal"), Role.MUNICIPAL_EXPERT, vtr_municipality_org)


@pytest.fixture
def directorate(vtr_dsp):
    return _assign(UserFactory(username="directorate"), Role.DIRECTORATE_EXPERT, vtr_dsp)


@pytest.fixture
def provider(vtr_ngo):
    return _assign(UserFactory(username="provider"), Role.PROVIDER, vtr_ngo)


@pytest.fixture
def outsider(pvn_admin_org):
    """A regional expert of another region (Плевен)."""
    return _assign(UserFactory(username="outsider"), Role.REGIONAL_EXPERT, pvn_admin_org)


@pytest.fixture
def users(administrator, national, regional, municipal, directorate, provider, outsider):
    return {
        "anonymous": None,
        "admin": administrator,
        "national": national,
        "regional": regional,
        "municipal": municipal,
        "directorate": directorate,
        "provider": provider,
        "outsider": outsider,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    return client_for
