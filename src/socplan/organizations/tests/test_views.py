import datetime

from django.urls import reverse

from socplan.organizations.models import Appointment, Organization
from socplan.organizations.tests.factories import BodyFactory


def test_regional_expert_registers_a_provider_in_their_region(client, regional):
    client.force_login(regional)
    response = client.post(
        reverse("organizations:organization-create"),
        {"kind": "provider", "name": "Доставчик „Грижа“ ЕООД", "region": "", "municipality": _muni_pk("VTR06"), "is_active": "on"},
    )
    assert response.status_code == 302
    org = Organization.objects.get(name="Доставчик „Грижа“ ЕООД")
    assert org.region.code == "VTR"
    assert org.history.first().history_user == regional


def test_form_shows_the_refusal_in_bulgarian_and_saves_nothing(client, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("organizations:organization-create"),
        {"kind": "ngo", "name": "Чуждо сдружение", "municipality": _muni_pk("VTR04"), "is_active": "on"},
    )
    assert response.status_code == 200
    assert "само в своята територия" in response.content.decode() or "територия" in response.content.decode()
    assert not Organization.objects.filter(name="Чуждо сдружение").exists()


def test_order_with_a_future_date_is_refused_inline(client, regional, vtr_admin_org):
    body = BodyFactory(organization=vtr_admin_org)
    client.force_login(regional)
    future = (datetime.date.today() + datetime.timedelta(days=3)).strftime("%d.%m.%Y")
    response = client.post(
        reverse("organizations:appointment-create", args=[body.pk]),
        {"number": "ОА-1", "date": future, "issued_by": "Областен управител"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "<html" not in response.content.decode()
    assert not Appointment.objects.filter(body=body).exists()


def test_api_errors_have_one_body(client, regional):
    client.force_login(regional)
    response = client.post(
        reverse("api:organization-create"),
        {"kind": "ngo", "name": "НПО", "municipality": "ZZZ99"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and "municipality" in body["errors"]


def test_home_page_shows_roles_deadlines_and_recent_changes(client, regional, vtr_admin_org):
    from socplan.organizations.tests.factories import MembershipFactory

    body = BodyFactory(organization=vtr_admin_org, name="ЗМО Тест")
    MembershipFactory(body=body, person_name="Пенка Пенева", end_date=datetime.date.today() + datetime.timedelta(days=10))
    client.force_login(regional)
    page = client.get(reverse("core:home")).content.decode()
    assert "Областна администрация Велико Търново" in page
    assert "Пенка Пенева" in page  # a membership ending soon
    assert "ЗМО Тест" in page  # body without a chair, and a recent change


def _muni_pk(code):
    from socplan.territory.models import Municipality

    return Municipality.objects.get(code=code).pk
