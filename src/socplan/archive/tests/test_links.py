"""Signed expiring links to a document's files and the view that serves them."""

import datetime
import time

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from socplan.archive import links
from socplan.archive.models import ApiClient, Document
from socplan.conftest import client_for
from socplan.core.models import PersonalDataAccess

from .matrix_api import PDF_BYTES, PNG_BYTES, client_make, document_make, dossier_make, egn_for

pytestmark = pytest.mark.django_db

EGN = egn_for(datetime.date(1990, 7, 1), 222)


@pytest.fixture
def document(vtr_dsp):
    return document_make(vtr_dsp, dossier=dossier_make(vtr_dsp, identifier=EGN), pages=2)


@pytest.fixture
def iis(db):
    return client_make("ИИС на АСП")[0]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_clients_link_serves_the_pdf_inline_and_is_logged(document, iis):
    path, expires_at = links.sign(document, links.PDF, client=iis)
    assert path.startswith("/archive/files/")
    assert expires_at > timezone.now()
    response = Client().get(path, HTTP_USER_AGENT="IIS/2.1")
    assert response.status_code == 200
    assert _body(response).startswith(PDF_BYTES)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; ")
    assert response["Cache-Control"] == "private, no-store"
    line = PersonalDataAccess.objects.get()
    assert (line.client, line.user, line.channel) == ("ИИС на АСП", None, "api")
    assert (line.person_identifier, line.object_type, line.object_id) == (EGN, "archive.pdf", str(document.pk))
    assert line.user_agent == "IIS/2.1"


def test_a_page_image_and_the_original(document, iis):
    response = Client().get(links.sign(document, links.page(2), client=iis)[0])
    assert response.status_code == 200
    assert _body(response) == PNG_BYTES + bytes([2])
    assert response["Content-Type"] == "image/png"
    original = Client().get(links.sign(document, links.ORIGINAL, client=iis)[0])
    assert original.status_code == 200
    # The original is only downloaded, under its own (Cyrillic) name with an ASCII fallback.
    disposition = original["Content-Disposition"]
    assert disposition.startswith('attachment; filename="document-') and "filename*=UTF-8''" in disposition
    assert [line.object_type for line in PersonalDataAccess.objects.order_by("pk")] == ["archive.page", "archive.original"]
    assert PersonalDataAccess.objects.filter(object_id=f"{document.pk}/2").exists()


def test_a_page_number_may_be_given_as_a_number(document, iis):
    assert Client().get(links.sign(document, 1, client=iis)[0]).status_code == 200


def test_a_page_that_does_not_exist_is_404(document, iis):
    assert Client().get(links.sign(document, links.page(3), client=iis)[0]).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_a_link_expires(document, iis, monkeypatch, settings):
    settings.ARCHIVE_LINK_SECONDS = 60
    real = time.time
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real() - 61)  # signed 61 s ago
        path, _expires = links.sign(document, links.PDF, client=iis)
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "expired" in response.content.decode() or "изтекл" in response.content.decode()
    assert not PersonalDataAccess.objects.exists()
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real() - 59)
        path, _expires = links.sign(document, links.PDF, client=iis)
    assert Client().get(path).status_code == 200


@pytest.mark.parametrize("change", ["signature", "payload"])
def test_a_tampered_link_is_404(document, iis, change):
    path, _ = links.sign(document, links.PDF, client=iis)
    token = path.rstrip("/").rsplit("/", 1)[1]
    if change == "signature":
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        # Another document's id with the old signature.
        payload = signing.b64_encode(f'{{"d":{document.pk + 1},"w":"pdf","c":{iis.pk}}}'.encode()).decode()
        forged = payload + token[token.index(":"):]
    assert Client().get(f"/archive/files/{forged}/").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_a_link_for_another_purpose_does_not_open_files(document):
    # A value signed by the same key for something else (another salt) is not a link.
    token = signing.dumps({"d": document.pk, "w": "pdf", "c": 1})
    assert Client().get(f"/archive/files/{token}/").status_code == 404


def test_a_deactivated_clients_links_stop_working(document, iis):
    path, _ = links.sign(document, links.PDF, client=iis)
    ApiClient.objects.filter(pk=iis.pk).update(is_active=False)
    assert Client().get(path).status_code == 403


def test_a_client_limited_to_other_directorates_gets_404(document, pvn_dsp):
    client, _token = client_make("ИИС Плевен", directorates=[pvn_dsp])
    assert Client().get(links.sign(document, links.PDF, client=client)[0]).status_code == 404


def test_a_users_link_works_only_in_that_users_session(document, directorate, national):
    path, _ = links.sign(document, links.PDF, user=directorate)
    response = client_for(directorate).get(path)
    assert response.status_code == 200
    line = PersonalDataAccess.objects.get()
    assert (line.user, line.client, line.channel) == (directorate, "", "web")
    assert client_for(national).get(path).status_code == 403
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_a_users_link_stops_when_the_user_may_no_longer_read_the_document(document, directorate):
    path, _ = links.sign(document, links.PDF, user=directorate)
    directorate.role_assignments.all().delete()
    assert client_for(directorate).get(path).status_code == 404


def test_a_destroyed_documents_links_are_404(document, iis):
    path, _ = links.sign(document, links.PDF, client=iis)
    Document.objects.filter(pk=document.pk).update(status=Document.Status.DESTROYED)
    assert Client().get(path).status_code == 404


def test_a_file_missing_from_storage_is_404(document, iis):
    document.pdf.storage.delete(document.pdf.name)
    assert Client().get(links.sign(document, links.PDF, client=iis)[0]).status_code == 404


def test_sign_wants_one_client_or_one_user_and_a_known_file(document, iis, directorate):
    with pytest.raises(ValueError):
        links.sign(document, links.PDF)
    with pytest.raises(ValueError):
        links.sign(document, links.PDF, client=iis, user=directorate)
    with pytest.raises(ValueError):
        links.sign(document, "thumbnail", client=iis)
    with pytest.raises(ValueError):
        links.sign(document, "page-0", client=iis)


def test_only_get_and_head(document, iis):
    path, _ = links.sign(document, links.PDF, client=iis)
    assert Client().post(path).status_code == 405
