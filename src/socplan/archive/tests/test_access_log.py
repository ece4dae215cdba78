"""The auditor's page of the personal-data access log: only auditors, filters, pages, CSV."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socplan.conftest import _assign, client_for
from socplan.core.models import PersonalDataAccess
from socplan.organizations.models import RoleAssignment
from socplan.organizations.tests.factories import UserFactory

from .matrix_api import egn_for

pytestmark = pytest.mark.django_db

URL = "/archive/access-log/"
EXPORT_URL = "/archive/access-log/export.csv"
EGN_A = egn_for(datetime.date(1970, 1, 2), 10)
EGN_B = egn_for(datetime.date(1999, 12, 31), 11)


@pytest.fixture
def auditor(agency):
    return _assign(UserFactory(username="auditor", first_name="Одит", last_name="Одиторова"), RoleAssignment.Role.AUDITOR, agency)


def _line(*, at=None, user=None, client="", channel="web", identifier=EGN_A, object_type="archive.dossier", object_id="1"):
    line = PersonalDataAccess.objects.create(
        user=user, client=client, channel=channel, person_identifier=identifier, object_type=object_type, object_id=object_id,
        ip_address="10.0.0.7", path="/archive/dossiers/1/",
    )
    if at is not None:
        PersonalDataAccess.objects.filter(pk=line.pk).update(at=at)
    return line


@pytest.fixture
def lines(directorate, national):
    now = timezone.now()
    return [
        _line(user=directorate, identifier=EGN_A, at=now - datetime.timedelta(days=10)),
        _line(user=national, identifier=EGN_B, at=now - datetime.timedelta(days=1)),
        _line(client="ИИС на АСП", channel="api", identifier=EGN_A, object_type="archive.pdf", object_id="5"),
    ]


def test_the_auditor_reads_the_log(auditor, lines):
    response = client_for(auditor).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert EGN_A in html and EGN_B in html and "ИИС на АСП" in html and "archive.pdf" in html
    assert list(response.context["page"].object_list) == [lines[2], lines[1], lines[0]]  # newest first


def test_the_url_name_is_the_one_the_menu_links_to():
    assert reverse("archive:access_log") == URL
    assert reverse("archive:access_log_export") == EXPORT_URL


@pytest.mark.parametrize("role", ["admin", "national", "directorate", "regional", "outsider"])
def test_nobody_but_auditors_reads_the_log_not_even_administrators(role, users, lines):
    page = client_for(users[role])
    assert page.get(URL).status_code == 403
    assert page.get(EXPORT_URL).status_code == 403


def test_a_superuser_without_the_auditor_role_is_refused(lines):
    boss = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert client_for(boss).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert Client().get(EXPORT_URL).status_code == 302


def _shown(auditor, **params):
    return list(client_for(auditor).get(URL, params).context["page"].object_list)


def test_filters(auditor, lines, directorate):
    assert _shown(auditor, person_identifier=EGN_A) == [lines[2], lines[0]]
    assert _shown(auditor, user="directorate") == [lines[0]]
    assert _shown(auditor, user=directorate.last_name) == [lines[0]]
    assert _shown(auditor, client="на АСП") == [lines[2]]  # (SQLite folds the case of Latin letters only)
    assert _shown(auditor, channel="api") == [lines[2]]
    today = timezone.localdate()
    assert _shown(auditor, date_from=(today - datetime.timedelta(days=2)).strftime("%d.%m.%Y")) == [lines[2], lines[1]]
    assert _shown(auditor, date_to=(today - datetime.timedelta(days=5)).strftime("%d.%m.%Y")) == [lines[0]]
    assert _shown(auditor, person_identifier=EGN_A, channel="web") == [lines[0]]


def test_a_period_that_ends_before_it_starts_is_an_error(auditor, lines):
    response = client_for(auditor).get(URL, {"date_from": "10.01.2025", "date_to": "01.01.2025"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]
    assert list(response.context["page"].object_list) == []


def test_the_log_is_paginated_and_keeps_the_filters(auditor):
    for n in range(55):
        _line(object_id=str(n))
    _line(identifier=EGN_B)
    response = client_for(auditor).get(URL, {"person_identifier": EGN_A})
    page = response.context["page"]
    assert page.paginator.count == 55 and len(page.object_list) == 50
    assert f"person_identifier={EGN_A}&amp;page=2" in response.content.decode()
    second = client_for(auditor).get(URL, {"person_identifier": EGN_A, "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_htmx_gets_only_the_results(auditor, lines):
    response = client_for(auditor).get(URL, HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "archive/access_log_results.html"


def test_the_csv_export(auditor, lines):
    response = client_for(auditor).get(EXPORT_URL, {"channel": "api"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = text.strip().splitlines()
    assert len(rows) == 2  # the header and the one API read
    assert "ИИС на АСП" in rows[1] and EGN_A in rows[1] and "archive.pdf" in rows[1]


def test_reading_the_log_is_not_itself_a_personal_data_read(auditor, lines, caplog):
    with caplog.at_level("INFO", logger="socplan.archive.audit"):
        client_for(auditor).get(URL, {"person_identifier": EGN_A})
        client_for(auditor).get(EXPORT_URL)
    assert PersonalDataAccess.objects.count() == 3
    assert "access log read by auditor" in caplog.text and EGN_A in caplog.text
    assert "access log exported by auditor" in caplog.text


def test_an_auditor_of_a_regional_directorate_is_an_auditor_too(db):
    from socplan.organizations.models import Organization

    rdsp = Organization.objects.filter(kind=Organization.Kind.RDSP).first()
    auditor = _assign(UserFactory(username="rdsp-auditor"), RoleAssignment.Role.AUDITOR, rdsp)
    assert client_for(auditor).get(URL).status_code == 200
