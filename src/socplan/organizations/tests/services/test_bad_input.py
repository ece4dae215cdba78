"""Bad input is refused with a clear message, and nothing is saved."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from socplan.organizations import services
from socplan.organizations.models import Appointment, Membership, Organization, RoleAssignment
from socplan.organizations.tests.factories import BodyFactory, UserFactory
from socplan.territory.models import Municipality, Region


def test_duplicate_organisation_is_refused(administrator):
    count = Organization.objects.count()
    with pytest.raises(ValidationError) as error:
        services.organization_create(user=administrator, kind="municipality", name="Община Гулянци-2",
                                     municipality=Municipality.objects.get(code="PVN08"))
    assert "municipality" in str(error.value).lower() or "община" in str(error.value).lower()
    with pytest.raises(ValidationError):
        services.organization_create(user=administrator, kind="municipality", name="община велико търново",
                                     municipality=Municipality.objects.get(code="VTR06"))
    assert Organization.objects.count() == count


def test_regional_institution_in_a_municipality_is_refused(administrator):
    with pytest.raises(ValidationError) as error:
        services.organization_create(user=administrator, kind="ruo", name="РУО Тест", region=Region.objects.get(code="VTR"),
                                     municipality=Municipality.objects.get(code="VTR04"))
    assert "municipality" in error.value.error_dict


def test_municipality_outside_the_region_is_refused(administrator):
    with pytest.raises(ValidationError) as error:
        services.organization_create(user=administrator, kind="ngo", name="НПО", region=Region.objects.get(code="PVN"),
                                     municipality=Municipality.objects.get(code="VTR04"))
    assert "municipality" in error.value.error_dict


def test_expert_cannot_register_an_organisation_outside_their_territory(outsider):
    with pytest.raises(ValidationError):
        services.organization_create(user=outsider, kind="ngo", name="Чуждо НПО", municipality=Municipality.objects.get(code="VTR04"))
    assert not Organization.objects.filter(name="Чуждо НПО").exists()


def test_expert_cannot_register_a_public_institution(regional):
    with pytest.raises(PermissionDenied):
        services.organization_create(user=regional, kind="rdsp", name="РДСП 2", region=Region.objects.get(code="VTR"))


def test_expert_cannot_move_their_organisation(regional, vtr_admin_org):
    from socplan.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        services.organization_update(user=regional, organization=vtr_admin_org, region=Region.objects.get(code="PVN"))
    vtr_admin_org.refresh_from_db()
    assert vtr_admin_org.region.code == "VTR"


def test_invalid_eik_is_refused(administrator):
    with pytest.raises(ValidationError) as error:
        services.organization_create(user=administrator, kind="ngo", name="НПО с ЕИК", eik="123456789",
                                     municipality=Municipality.objects.get(code="VTR04"))
    assert "eik" in error.value.error_dict


def test_order_dated_in_the_future_is_refused(regional, vtr_admin_org):
    body = BodyFactory(organization=vtr_admin_org)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.appointment_create(user=regional, body=body, number="ОА-999", date=tomorrow, issued_by="Областен управител")
    assert "date" in error.value.error_dict
    assert not Appointment.objects.filter(number="ОА-999").exists()


def test_order_number_is_stored_without_the_sign(regional, vtr_admin_org):
    body = BodyFactory(organization=vtr_admin_org)
    order = services.appointment_create(user=regional, body=body, number="№ОА-155", date=datetime.date(2017, 6, 20), issued_by="Областен управител")
    assert str(order) in ("Заповед №ОА-155/20.06.2017", "Order №ОА-155/20.06.2017")


def test_a_body_has_one_chair_at_a_time(regional, vtr_admin_org):
    body = BodyFactory(organization=vtr_admin_org)
    start = datetime.date(2017, 6, 20)
    services.membership_add(user=regional, body=body, person_name="А", role="chair", start_date=start)
    with pytest.raises(ValidationError):
        services.membership_add(user=regional, body=body, person_name="Б", role="chair", start_date=start)
    assert body.memberships.filter(role="chair").count() == 1


def test_extended_composition_only_where_the_body_has_one(regional, vtr_admin_org):
    body = BodyFactory(organization=vtr_admin_org, has_extended_composition=False)
    with pytest.raises(ValidationError) as error:
        services.membership_add(user=regional, body=body, person_name="В", composition="extended", start_date=datetime.date(2020, 1, 1))
    assert "composition" in error.value.error_dict
    assert not Membership.objects.filter(person_name="В").exists()


def test_user_assigned_outside_their_organisations_territory_is_refused(administrator, vtr_municipality_org):
    user = UserFactory(username="newcomer")
    with pytest.raises(ValidationError) as error:
        services.role_assign(by=administrator, user=user, role="municipal_expert", organization=vtr_municipality_org,
                             municipality=Municipality.objects.get(code="PVN08"))
    assert "municipality" in error.value.error_dict
    with pytest.raises(ValidationError):
        services.role_assign(by=administrator, user=user, role="regional_expert", organization=vtr_municipality_org)
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_only_administrators_assign_roles(regional, vtr_admin_org):
    with pytest.raises(PermissionDenied):
        services.role_assign(by=regional, user=UserFactory(username="x"), role="regional_expert", organization=vtr_admin_org)


def test_every_change_is_in_the_history_with_its_author(regional, vtr_ngo, rf):
    from simple_history.models import HistoricalRecords

    from socplan.core.audit import history_rows

    HistoricalRecords.context.request = rf.get("/")
    HistoricalRecords.context.request.user = regional
    try:
        services.organization_update(user=regional, organization=vtr_ngo, phone="062 600 600")
    finally:
        del HistoricalRecords.context.request
    rows = history_rows(vtr_ngo)
    assert rows[0].user == regional.get_full_name()
    assert [(c.old, c.new) for c in rows[0].changes] == [("—", "062 600 600")]
    assert Organization.objects.get(pk=vtr_ngo.pk).phone == "062 600 600"
