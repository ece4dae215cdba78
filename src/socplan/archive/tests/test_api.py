"""The archive's integration API: token clients and their scopes, directorates, lookups by person and
by incoming number, ingestion, errors in both languages, the access log; the system clients' pages
and command."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from socplan.archive.authentication import LAST_USED_PRECISION
from socplan.archive.models import ApiClient, Document, DocumentType, Dossier, LegalBasis, RegisterEntry, RegisterSettings
from socplan.conftest import _assign, client_for
from socplan.core.models import PersonalDataAccess
from socplan.organizations.models import RoleAssignment
from socplan.organizations.tests.factories import UserFactory

from .matrix_api import PDF_BYTES, client_make, document_make, dossier_make, egn_for, upload

pytestmark = pytest.mark.django_db

EGN = egn_for(datetime.date(1984, 11, 23), 157)  # a woman born 23.11.1984
EGN_2001 = egn_for(datetime.date(2001, 2, 3), 42)  # a man born 03.02.2001 (month + 40)
WRONG_EGN = EGN[:9] + str((int(EGN[9]) + 1) % 10)


def _lnch() -> str:
    from socplan.core.validators import LNCH_WEIGHTS

    digits = "100100000"
    return digits + str(sum(int(d) * w for d, w in zip(digits, LNCH_WEIGHTS, strict=False)) % 10)


def person_url(identifier: str) -> str:
    return reverse("api:archive-person-documents", kwargs={"identifier": identifier})


def api(token: str | None = None, **headers) -> Client:
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(**headers)


@pytest.fixture
def doc_type(db):
    return DocumentType.objects.create(code="zaiavlenie", name="Заявление-декларация (API)", retention_years=10)


@pytest.fixture
def basis(db):
    return LegalBasis.objects.create(code="zsp-api", name="Закон за социалното подпомагане (API)")


@pytest.fixture
def dossier(vtr_dsp):
    return dossier_make(vtr_dsp, identifier=EGN, first_name="Мария", middle_name="Иванова", last_name="Петрова")


@pytest.fixture
def document(vtr_dsp, dossier, doc_type, basis):
    return document_make(
        vtr_dsp, dossier=dossier, pages=2, document_type=doc_type, legal_basis=basis, title="Заявление за помощ",
        incoming_number="ДСП-ВТ-00012/05.03.2024", incoming_date=datetime.date(2024, 3, 5), document_date=datetime.date(2024, 3, 4),
    )


@pytest.fixture
def iis(db):
    return client_make("ИИС на АСП")


# --- Authentication ------------------------------------------------------------------------------


def test_a_valid_token_reads_the_persons_documents_with_signed_links(iis, document):
    client, token = iis
    response = api(token).get(person_url(EGN))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["person_identifier"] == EGN and data["identifier_kind"] == "egn" and data["count"] == 1
    row = data["results"][0]
    assert row["id"] == document.pk
    assert row["document_type"] == {"code": "zaiavlenie", "name": "Заявление-декларация (API)"}
    assert row["legal_basis"]["code"] == "zsp-api"
    assert row["incoming_number"] == "ДСП-ВТ-00012/05.03.2024" and row["incoming_date"] == "2024-03-05"
    assert row["directorate"]["id"] == document.directorate_id
    assert row["page_count"] == 2 and row["status"] == "ready" and row["sha256"] == document.sha256
    person = row["person"]
    assert person["identifier"] == EGN and person["last_name"] == "Петрова"
    assert person["birth_date"] == "1984-11-23" and person["sex"] == "f"
    kinds = [(link["kind"], link["page"]) for link in row["links"]]
    assert kinds == [("pdf", None), ("page", 1), ("page", 2), ("original", None)]
    assert all(link["url"].startswith("http://testserver/archive/files/") for link in row["links"])
    expires = datetime.datetime.fromisoformat(row["links"][0]["expires_at"])
    assert timezone.now() < expires <= timezone.now() + datetime.timedelta(seconds=901)
    assert response["Cache-Control"] == "private, no-store"


def test_a_person_born_after_2000_gets_the_right_birth_date(iis, vtr_dsp):
    document_make(vtr_dsp, dossier=dossier_make(vtr_dsp, identifier=EGN_2001))
    person = api(iis[1]).get(person_url(EGN_2001)).json()["results"][0]["person"]
    assert person["birth_date"] == "2001-02-03" and person["sex"] == "m"


def test_a_wrong_token_is_refused_with_401(document):
    response = api("sp_not-a-real-token").get(person_url(EGN))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_no_token_and_no_session_is_401(document):
    assert api().get(person_url(EGN)).status_code == 401


def test_a_malformed_header_is_refused(document):
    response = Client(HTTP_AUTHORIZATION="Bearer two words").get(person_url(EGN), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_an_inactive_client_is_refused_with_a_clear_message(document):
    _client, token = client_make("Спрян", is_active=False)
    response = api(token).get(person_url(EGN), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["detail"] == "This system client has been deactivated."


def test_an_expired_client_is_refused_with_a_clear_message(document):
    _client, token = client_make("Изтекъл", expires_at=timezone.now() - datetime.timedelta(days=1))
    response = api(token).get(person_url(EGN), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This system client's token expired on")


def test_a_rotated_token_stops_the_old_one(iis, document):
    from socplan.archive.authentication import api_client_token_rotate

    client, old = iis
    new = api_client_token_rotate(client=client)
    assert api(old).get(person_url(EGN)).status_code == 401
    assert api(new).get(person_url(EGN)).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(iis, document, django_assert_num_queries):
    client, token = iis
    api(token).get(person_url(EGN))
    client.refresh_from_db()
    first = client.last_used_at
    assert first is not None
    api(token).get(person_url(EGN))
    client.refresh_from_db()
    assert client.last_used_at == first
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=first - LAST_USED_PRECISION)
    api(token).get(person_url(EGN))
    client.refresh_from_db()
    assert client.last_used_at > first


def test_the_lookup_costs_a_few_queries_whatever_the_number_of_documents(iis, vtr_dsp, dossier, django_assert_max_num_queries):
    for _ in range(6):
        document_make(vtr_dsp, dossier=dossier, pages=3)
    token = iis[1]
    api(token).get(person_url(EGN))  # last_used_at written
    # the client, the documents (with everything shown), the log line
    with django_assert_max_num_queries(3):
        response = api(token).get(person_url(EGN))
    assert response.json()["count"] == 6


# --- Scopes and directorates -----------------------------------------------------------------------


def test_without_the_files_scope_there_are_no_links(document):
    _client, token = client_make("Само метаданни", scopes=["archive:read"])
    row = api(token).get(person_url(EGN)).json()["results"][0]
    assert row["links"] == []
    assert row["title"] == "Заявление за помощ"


def test_without_the_read_scope_the_reads_are_refused(document):
    _client, token = client_make("Само подаване", scopes=["archive:ingest"])
    assert api(token).get(person_url(EGN)).status_code == 403
    assert api(token).get(reverse("api:archive-document-detail", kwargs={"pk": document.pk})).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_a_client_limited_to_directorates_sees_only_theirs(vtr_dsp, pvn_dsp, document):
    other = document_make(pvn_dsp, dossier=dossier_make(pvn_dsp, identifier=EGN))
    _client, token = client_make("ИИС Плевен", directorates=[pvn_dsp])
    data = api(token).get(person_url(EGN)).json()
    assert [row["id"] for row in data["results"]] == [other.pk]
    assert api(token).get(reverse("api:archive-document-detail", kwargs={"pk": document.pk})).status_code == 404
    assert api(token).get(reverse("api:archive-document-detail", kwargs={"pk": other.pk})).status_code == 200
    _all, token_all = client_make("ИИС навсякъде")
    assert api(token_all).get(person_url(EGN)).json()["count"] == 2


def test_staff_read_with_their_session_within_their_directorates(directorate, regional, pvn_dsp, document):
    document_make(pvn_dsp, dossier=dossier_make(pvn_dsp, identifier=EGN))
    response = client_for(directorate).get(person_url(EGN))
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [document.pk]
    assert response.json()["results"][0]["links"], "staff get links in their own session"
    line = PersonalDataAccess.objects.get()
    assert line.user == directorate and line.client == "" and line.channel == "api"
    assert client_for(regional).get(person_url(EGN)).status_code == 403


# --- Errors in the caller's language ------------------------------------------------------------


def test_an_egn_with_a_wrong_check_digit_is_a_400_in_bulgarian(iis):
    response = api(iis[1]).get(person_url(WRONG_EGN))
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Изпратените данни не са валидни."
    assert WRONG_EGN in body["errors"]["person_identifier"][0]
    assert response["Content-Language"] == "bg"
    assert not PersonalDataAccess.objects.exists()


def test_an_egn_with_a_wrong_check_digit_is_a_400_in_english_when_asked(iis):
    response = api(iis[1]).get(person_url(WRONG_EGN), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The data you sent is not valid."
    assert body["errors"]["person_identifier"] == [f"“{WRONG_EGN}” is not a valid ЕГН or ЛНЧ (check the digits)."]
    assert response["Content-Language"] == "en"


def test_an_lnch_is_accepted(iis, vtr_dsp):
    lnch = _lnch()
    document_make(vtr_dsp, dossier=dossier_make(vtr_dsp, identifier=lnch))
    data = api(iis[1]).get(person_url(lnch)).json()
    assert data["identifier_kind"] == "lnch" and data["count"] == 1


def test_a_person_without_documents_is_an_empty_answer_and_still_logged(iis):
    data = api(iis[1]).get(person_url(EGN)).json()
    assert data["count"] == 0 and data["results"] == []
    line = PersonalDataAccess.objects.get()
    assert line.person_identifier == EGN and line.object_type == "archive.dossier" and line.object_id == ""


# --- By incoming number and by id --------------------------------------------------------------------


def test_documents_by_incoming_number_with_slashes(iis, vtr_dsp, document):
    entry = RegisterEntry.objects.create(
        directorate=vtr_dsp, year=2024, sequence=13, number="ДСП-ВТ-00013/06.03.2024", sender="Иван", subject="Молба"
    )
    by_entry = document_make(vtr_dsp, register_entry=entry)
    url = reverse("api:archive-incoming-documents", kwargs={"number": "ДСП-ВТ-00012/05.03.2024"})
    assert "/incoming/" in url
    data = api(iis[1]).get(url).json()
    assert [row["id"] for row in data["results"]] == [document.pk]
    data = api(iis[1]).get(reverse("api:archive-incoming-documents", kwargs={"number": entry.number})).json()
    assert [row["id"] for row in data["results"]] == [by_entry.pk]
    assert data["results"][0]["incoming_number"] == entry.number
    assert data["results"][0]["person"] is None
    assert api(iis[1]).get(reverse("api:archive-incoming-documents", kwargs={"number": "няма/такъв"})).json()["count"] == 0


def test_one_document_by_id_is_logged(iis, document):
    client, token = iis
    response = api(token).get(reverse("api:archive-document-detail", kwargs={"pk": document.pk}))
    assert response.status_code == 200
    assert response.json()["id"] == document.pk
    line = PersonalDataAccess.objects.get()
    assert (line.client, line.user, line.channel) == ("ИИС на АСП", None, "api")
    assert (line.person_identifier, line.object_type, line.object_id) == (EGN, "archive.document", str(document.pk))


def test_every_lookup_is_written_to_the_access_log(iis, document):
    client, token = iis
    api(token).get(person_url(EGN), HTTP_USER_AGENT="IIS/2.1", REMOTE_ADDR="10.1.2.3")
    line = PersonalDataAccess.objects.get()
    assert line.client == client.name and line.user is None and line.channel == PersonalDataAccess.Channel.API
    assert line.person_identifier == EGN and line.identifier_kind == "egn"
    assert line.object_type == "archive.dossier" and line.object_id == str(document.dossier_id)
    assert line.ip_address == "10.1.2.3" and line.user_agent == "IIS/2.1" and line.path == person_url(EGN)


# --- Ingestion ---------------------------------------------------------------------------------------


INGEST_URL = "/api/v1/archive/documents/"


@pytest.fixture
def sender(db):
    return client_make("ИИС подаване", scopes=["archive:read", "archive:ingest"])


def _form(vtr_dsp, doc_type, **extra):
    return {
        "file": upload("заявление.pdf", PDF_BYTES + b"% ingest\n"),
        "directorate": str(vtr_dsp.pk),
        "person_identifier": EGN,
        "first_name": "Мария",
        "last_name": "Петрова",
        "document_type": doc_type.code,
        "incoming_number": "ИИС-77/01.02.2025",
        "document_date": "2025-02-01",
        **extra,
    }


def test_a_document_is_sent_into_the_persons_dossier(no_processing, sender, vtr_dsp, doc_type):
    client, token = sender
    response = api(token).post(INGEST_URL, _form(vtr_dsp, doc_type))
    assert response.status_code == 201, response.content
    data = response.json()
    document = Document.objects.get(pk=data["id"])
    assert document.source == Document.Source.API and document.api_client == client and document.uploaded_by is None
    assert document.document_type == doc_type and document.incoming_number == "ИИС-77/01.02.2025"
    assert document.document_date == datetime.date(2025, 2, 1)
    assert document.dossier.person_identifier == EGN and document.dossier.last_name == "Петрова"
    assert document.original.read().startswith(b"%PDF")
    assert data["person"]["identifier"] == EGN and data["links"] == []  # no archive:files
    assert no_processing == [document.pk]
    assert PersonalDataAccess.objects.filter(client=client.name, object_id=str(document.pk)).exists()


def test_sending_the_same_file_again_is_idempotent(no_processing, sender, vtr_dsp, doc_type):
    token = sender[1]
    first = api(token).post(INGEST_URL, _form(vtr_dsp, doc_type))
    again = api(token).post(INGEST_URL, _form(vtr_dsp, doc_type))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Document.objects.count() == 1 and Dossier.objects.count() == 1
    assert len(no_processing) == 1


def test_the_directorate_may_be_given_by_its_register_code(no_processing, sender, vtr_dsp, doc_type):
    RegisterSettings.objects.create(directorate=vtr_dsp, code="ДСП-ВТ")
    response = api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, directorate="ДСП-ВТ"))
    assert response.status_code == 201
    assert response.json()["directorate"] == {"id": vtr_dsp.pk, "name": vtr_dsp.name, "register_code": "ДСП-ВТ"}


def test_an_unknown_document_type_is_a_clear_400(no_processing, sender, vtr_dsp, doc_type):
    response = api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, document_type="nyama-takav"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    message = response.json()["errors"]["document_type"][0]
    assert message.startswith("Unknown document type “nyama-takav”. Known types: ") and "zaiavlenie" in message
    assert not Document.objects.exists() and not Dossier.objects.exists()


def test_an_unknown_directorate_and_a_wrong_egn_are_reported_together(no_processing, sender, vtr_dsp, doc_type):
    response = api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, directorate="НЯМА", person_identifier=WRONG_EGN))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"directorate", "person_identifier"}
    assert response.json()["detail"] == "Изпратените данни не са валидни."


def test_a_new_person_needs_names(no_processing, sender, vtr_dsp, doc_type):
    response = api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, first_name="", last_name=""))
    assert response.status_code == 400 and "last_name" in response.json()["errors"]
    dossier_make(vtr_dsp, identifier=EGN)
    assert api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, first_name="", last_name="")).status_code == 201


def test_a_file_the_archive_does_not_take_is_a_400(no_processing, sender, vtr_dsp, doc_type):
    response = api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, file=upload("virus.exe", b"MZ\x90\x00")))
    assert response.status_code == 400 and "file" in response.json()["errors"]
    assert not Dossier.objects.exists()


def test_a_file_over_the_limit_is_dropped_while_it_arrives(no_processing, sender, vtr_dsp, doc_type, settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 2048
    big = upload("huge.pdf", b"%PDF-1.4\n" + b"x" * 300_000)
    response = api(sender[1]).post(INGEST_URL, _form(vtr_dsp, doc_type, file=big), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "larger than 0 MB" in response.json()["errors"]["file"][0]
    assert not Document.objects.exists()


def test_without_the_ingest_scope_sending_is_refused(no_processing, iis, vtr_dsp, doc_type):
    response = api(iis[1]).post(INGEST_URL, _form(vtr_dsp, doc_type), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "archive:ingest" in response.json()["detail"]
    assert not Document.objects.exists()


def test_a_client_limited_to_directorates_sends_only_to_them(no_processing, vtr_dsp, pvn_dsp, doc_type):
    _client, token = client_make("ИИС Плевен", scopes=["archive:ingest"], directorates=[pvn_dsp])
    assert api(token).post(INGEST_URL, _form(vtr_dsp, doc_type)).status_code == 403
    assert api(token).post(INGEST_URL, _form(pvn_dsp, doc_type)).status_code == 201


def test_staff_send_to_the_directorates_they_keep(no_processing, directorate, national, vtr_dsp, pvn_dsp, doc_type):
    response = client_for(directorate).post(INGEST_URL, _form(vtr_dsp, doc_type))
    assert response.status_code == 201
    assert Document.objects.get().uploaded_by == directorate
    assert client_for(directorate).post(INGEST_URL, _form(pvn_dsp, doc_type)).status_code == 403
    assert client_for(national).post(INGEST_URL, _form(vtr_dsp, doc_type)).status_code == 403


def test_the_schema_documents_the_archive_api():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert "/api/v1/archive/persons/{identifier}/documents/" in schema["paths"]
    assert "/api/v1/archive/incoming/{number}/documents/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["archiveClientToken"]["scheme"] == "bearer"


# --- The administrators' pages of the clients ----------------------------------------------------------


def test_an_administrator_registers_a_client_and_sees_its_token_once(administrator, agency, vtr_dsp):
    page = client_for(administrator)
    response = page.post(
        reverse("archive:client_create"),
        {"name": "ИИС на АСП", "organization": agency.pk, "scopes": ["archive:read", "archive:files"], "directorates": [vtr_dsp.pk]},
    )
    assert response.status_code == 200
    token = response.context["token"]
    assert token.startswith("sp_") and token in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    client = ApiClient.objects.get()
    assert client.token_hash == ApiClient.hash_token(token) and token not in str(client.__dict__)
    assert client.scopes == ["archive:read", "archive:files"] and list(client.directorates.all()) == [vtr_dsp]
    detail = page.get(reverse("archive:client_detail", kwargs={"pk": client.pk}))
    assert detail.status_code == 200 and token not in detail.content.decode()
    assert token not in page.get(reverse("archive:client_list")).content.decode()


def test_an_administrator_rotates_deactivates_and_edits_a_client(administrator, iis, vtr_dsp):
    client, old = iis
    page = client_for(administrator)
    response = page.post(reverse("archive:client_rotate", kwargs={"pk": client.pk}))
    new = response.context["token"]
    client.refresh_from_db()
    assert new != old and client.token_hash == ApiClient.hash_token(new)
    page.post(reverse("archive:client_deactivate", kwargs={"pk": client.pk}))
    client.refresh_from_db()
    assert not client.is_active
    page.post(reverse("archive:client_activate", kwargs={"pk": client.pk}))
    response = page.post(
        reverse("archive:client_detail", kwargs={"pk": client.pk}),
        {"name": client.name, "organization": client.organization_id, "scopes": ["archive:read"], "directorates": [vtr_dsp.pk],
         "expires_on": "31.12.2030"},
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.is_active and client.scopes == ["archive:read"] and client.expires_at.date() == datetime.date(2030, 12, 31)


@pytest.mark.parametrize("role", ["national", "directorate", "regional", "outsider"])
def test_only_administrators_manage_clients(role, users, iis):
    page = client_for(users[role])
    assert page.get(reverse("archive:client_list")).status_code == 403
    assert page.get(reverse("archive:client_create")).status_code == 403
    assert page.post(reverse("archive:client_rotate", kwargs={"pk": iis[0].pk})).status_code == 403


def test_an_auditor_does_not_manage_clients(agency, iis):
    auditor = _assign(UserFactory(username="auditor"), RoleAssignment.Role.AUDITOR, agency)
    assert client_for(auditor).get(reverse("archive:client_list")).status_code == 403


def test_the_command_registers_a_client_and_prints_its_token(vtr_dsp):
    RegisterSettings.objects.create(directorate=vtr_dsp, code="ДСП-ВТ")
    out, err = io.StringIO(), io.StringIO()
    call_command("archive_client_create", "ИИС", "--scope", "archive:read", "--scope", "archive:files",
                 "--directorate", "ДСП-ВТ", stdout=out, stderr=err)
    token = out.getvalue().strip()
    client = ApiClient.objects.get(token_hash=ApiClient.hash_token(token))
    assert client.name == "ИИС" and client.scopes == ["archive:read", "archive:files"]
    assert list(client.directorates.all()) == [vtr_dsp]
    assert "shown once" in err.getvalue()
