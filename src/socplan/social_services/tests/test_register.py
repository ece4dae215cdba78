"""The register's rules: validation, who may change what, alerts, and reading it as of a date."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from socplan.organizations.models import Organization
from socplan.social_services import selectors, services
from socplan.social_services.models import Occupancy, Service

from .factories import OccupancyFactory, ServiceFactory, ServiceTypeFactory, settlement_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def vtr04():
    return Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR04")


def new(**extra):
    fields = {
        "name": "ЦОП „Нов“", "service_type": ServiceTypeFactory(), "provider": vtr04(),
        "settlement": settlement_of("VTR04"), "capacity": 20, "financing": Service.Financing.STATE_DELEGATED,
        "status": Service.Status.OPERATING, "opened_on": datetime.date(2020, 1, 1),
    }
    fields.update(extra)
    return fields


def test_a_service_gets_its_municipality_region_and_licence_expiry(municipal):
    service = services.service_create(user=municipal, **new(licence_number="12", licence_issued_on=datetime.date(2020, 2, 29)))
    assert (service.municipality.code, service.region.code) == ("VTR04", "VTR")
    assert service.licence_expires_on == datetime.date(2025, 2, 28)  # five years (ЗСУ чл. 31)


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"licence_issued_on": datetime.date(2010, 1, 1), "licence_expires_on": datetime.date(2015, 1, 1)}, "licence_expires_on"),
        ({"on_national_map": True}, "map_max_users"),
    ],
)
def test_bad_input_is_refused_with_the_field(municipal, extra, field):
    with pytest.raises(ValidationError) as error:
        services.service_create(user=municipal, **new(**extra))
    assert field in error.value.message_dict
    assert not Service.objects.filter(name="ЦОП „Нов“").exists()


def test_a_settlement_outside_the_municipality_is_refused(municipal):
    service = ServiceFactory()
    with pytest.raises(ValidationError) as error:
        services.service_update(user=municipal, service=service, municipality=service.municipality,
                                settlement=settlement_of("VTR14"))
    # The settlement decides the municipality: VTR14 is outside the expert's municipality.
    assert error.type in (ValidationError,)


def test_a_provider_edits_only_its_own_services(provider, vtr_ngo, municipal, outsider):
    own = ServiceFactory(provider=vtr_ngo)
    other = ServiceFactory(provider=vtr04())
    services.service_update(user=provider, service=own, capacity=25)
    with pytest.raises(PermissionDenied):
        services.service_update(user=provider, service=other, capacity=25)
    with pytest.raises(PermissionDenied):
        services.service_update(user=outsider, service=own, capacity=25)
    # A municipal expert edits every service of the municipality, the NGO's included.
    services.service_update(user=municipal, service=own, capacity=30)
    # The provider cannot register a service for another provider.
    with pytest.raises((PermissionDenied, ValidationError)):
        services.service_create(user=provider, **new(provider=vtr04()))


def test_occupancy_above_the_sanity_bound_or_in_the_future_is_refused(municipal):
    service = ServiceFactory()
    with pytest.raises(ValidationError):
        services.occupancy_record(user=municipal, service=service, period="month", starts_on=datetime.date(2024, 1, 1), users=6000)
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=40)).replace(day=1)
    with pytest.raises(ValidationError):
        services.occupancy_record(user=municipal, service=service, period="month", starts_on=next_month, users=3)
    with pytest.raises(ValidationError):
        services.occupancy_record(user=municipal, service=service, period="quarter", starts_on=datetime.date(2024, 2, 1), users=3)
    services.occupancy_record(user=municipal, service=service, period="month", starts_on=datetime.date(2024, 1, 1), users=3)
    services.occupancy_record(user=municipal, service=service, period="month", starts_on=datetime.date(2024, 1, 1), users=4)
    assert list(service.occupancy.values_list("users", flat=True)) == [4]  # corrected, not duplicated


def test_alerts_follow_the_social_services_act(administrator):
    today = datetime.date(2026, 11, 24)
    expiring = ServiceFactory(licence_number="1", licence_issued_on=datetime.date(2021, 12, 1),
                              licence_expires_on=datetime.date(2026, 12, 1))
    over_map = ServiceFactory(on_national_map=True, map_max_users=10, state_funded_users=12, capacity=12)
    full = ServiceFactory(capacity=10)
    OccupancyFactory(service=full, starts_on=datetime.date(2026, 10, 1), users=11)
    idle = ServiceFactory()
    for month in (8, 9, 10):
        OccupancyFactory(service=idle, starts_on=datetime.date(2026, month, 1), users=0)
    busy = ServiceFactory()
    for month in (8, 9, 10):
        OccupancyFactory(service=busy, starts_on=datetime.date(2026, month, 1), users=0 if month < 10 else 2)
    found = {kind: {s.pk for s in selectors.alerts(user=administrator, kinds=[kind], today=today)} for kind in
             ("licence", "over_map", "over_capacity", "idle")}
    assert expiring.pk in found["licence"]
    assert over_map.pk in found["over_map"]
    assert full.pk in found["over_capacity"]
    assert idle.pk in found["idle"] and busy.pk not in found["idle"]


def test_the_register_as_it_was_on_a_date(municipal):
    service_type = ServiceTypeFactory()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: timezone.make_aware(datetime.datetime(2016, 5, 1, 10)))
        service = services.service_create(user=municipal, **new(name="ЦОП 2016", service_type=service_type,
                                                                opened_on=datetime.date(2016, 5, 1)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: timezone.make_aware(datetime.datetime(2018, 3, 1, 10)))
        services.service_update(user=municipal, service=service, capacity=35)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: timezone.make_aware(datetime.datetime(2020, 7, 1, 10)))
        services.service_update(user=municipal, service=service, status=Service.Status.CLOSED,
                                closed_on=datetime.date(2020, 6, 30))
    def as_of(date):
        return {r.id: r for r in selectors.register_as_of(user=municipal, date=date)}
    assert service.pk not in as_of(datetime.date(2015, 12, 31))
    assert as_of(datetime.date(2017, 6, 30))[service.pk].capacity == 20
    assert as_of(datetime.date(2019, 6, 30))[service.pk].capacity == 35
    assert as_of(datetime.date(2021, 1, 1))[service.pk].status == Service.Status.CLOSED


def test_the_catalogue_shows_published_active_services_without_personal_data(client):
    shown = ServiceFactory(name="ЦОП „Видим“", capacity=20)
    OccupancyFactory(service=shown, starts_on=datetime.date(2024, 1, 1), users=18)
    ServiceFactory(name="Скрит", is_published=False)
    ServiceFactory(name="Закрит", status=Service.Status.CLOSED, closed_on=datetime.date(2020, 1, 1))
    page = client.get("/services/public/", {"municipality": "VTR04"}).content.decode()
    assert "ЦОП „Видим“" in page and "Скрит" not in page and "Закрит" not in page
    assert Occupancy.objects.count() == 1
    assert "2" in page  # free places: 20 − 18


def test_a_card_is_prefilled_saved_as_a_draft_and_submitted_only_when_complete(municipal):
    from socplan.conftest import client_for
    from socplan.social_services.models import ServiceCard

    service = ServiceFactory(capacity=24)
    OccupancyFactory(service=service, starts_on=datetime.date(2024, 12, 1), users=21)
    client = client_for(municipal)
    url = f"/services/{service.pk}/cards/persons/?from=2024-01-01&to=2024-12-31"
    page = client.get(url).content.decode()
    assert 'value="24"' in page and 'value="21"' in page  # capacity and users from the register
    client.post(url, {"from": "2024-01-01", "to": "2024-12-31", "save": "1", "capacity": "24", "users_total": "21"})
    card = ServiceCard.objects.get(service=service)
    assert card.status == ServiceCard.Status.DRAFT and card.data["users_total"] == 21
    response = client.post(url, {"from": "2024-01-01", "to": "2024-12-31", "submit": "1", "capacity": "24",
                                 "revision": card.revision})
    card.refresh_from_db()
    assert response.status_code == 200 and card.status == ServiceCard.Status.DRAFT  # required answers missing
