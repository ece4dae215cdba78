"""The archive's pages as a directorate's clerk uses them."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from socplan.archive import mrz, services
from socplan.archive.models import Document, Dossier, Page
from socplan.core.models import PersonalDataAccess

from .conftest import pdf_file

pytestmark = pytest.mark.django_db
EGN = "7501020018"


def _document(directorate, **fields):
    document = services.document_ingest(directorate=directorate, file=pdf_file(body=str(fields).encode()), source=Document.Source.UPLOAD).document
    for name, value in fields.items():
        setattr(document, name, value)
    document.save()
    return document


def test_upload_keeps_the_good_files_and_shows_the_refused(vtr_dsp, directorate, as_user, no_processing):
    client = as_user(directorate)
    png = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    response = client.post(reverse("archive:upload"), {"directorate": vtr_dsp.pk, "files": [pdf_file(), png, SimpleUploadedFile("empty.pdf", b"")]}, follow=True)
    assert response.status_code == 200
    assert Document.objects.filter(directorate=vtr_dsp).count() == 2
    assert "empty.pdf" in response.content.decode()
    batch = Document.objects.first().batch
    assert response.redirect_chain[-1][0] == reverse("archive:batch", kwargs={"pk": batch.pk})


def test_the_upload_form_offers_only_the_users_directorates(vtr_dsp, pvn_dsp, directorate, as_user, no_processing):
    response = as_user(directorate).post(reverse("archive:upload"), {"directorate": pvn_dsp.pk, "files": [pdf_file()]})
    assert response.status_code == 200
    assert not Document.objects.exists()


def test_the_document_form_is_filled_from_the_text_and_files_into_a_dossier(vtr_dsp, directorate, as_user, no_processing):
    document = _document(vtr_dsp, status=Document.Status.READY, suggestions={
        "identifiers": [{"value": EGN, "kind": "egn", "name": {"first_name": "Мария", "middle_name": "", "last_name": "Петрова"}}],
        "incoming_numbers": ["ДСП-ВТ-00012/03.03.2025"], "dates": ["2025-03-03"], "document_type": None,
    })
    client = as_user(directorate)
    page = client.get(reverse("archive:document", kwargs={"pk": document.pk})).content.decode()
    assert f'value="{EGN}"' in page and 'value="Петрова"' in page and "ДСП-ВТ-00012/03.03.2025" in page

    wrong = client.post(reverse("archive:document", kwargs={"pk": document.pk}), {"person_identifier": "7501020019", "first_name": "Мария", "last_name": "Петрова"})
    assert wrong.status_code == 200 and "ЕГН" in wrong.content.decode()
    assert not Dossier.objects.exists()

    saved = client.post(reverse("archive:document", kwargs={"pk": document.pk}), {
        "person_identifier": EGN, "first_name": "Мария", "last_name": "Петрова", "incoming_number": "ДСП-ВТ-00012/03.03.2025",
        "document_date": "2025-03-03", "citizenship": "bgr",
    })
    assert saved.status_code == 302
    document.refresh_from_db()
    assert document.dossier.person_identifier == EGN and document.dossier.citizenship == "BGR"
    assert document.confirmed_by == directorate


def test_reading_a_filed_document_or_dossier_is_logged(vtr_dsp, directorate, as_user, no_processing):
    dossier = services.dossier_for_person(directorate=vtr_dsp, person_identifier=EGN, first_name="Мария", last_name="Петрова")
    document = _document(vtr_dsp, dossier=dossier)
    client = as_user(directorate)
    client.get(reverse("archive:dossier", kwargs={"pk": dossier.pk}))
    client.get(reverse("archive:document", kwargs={"pk": document.pk}))
    log = list(PersonalDataAccess.objects.order_by("at").values_list("user__username", "person_identifier", "object_type"))
    assert log == [("directorate", EGN, "archive.dossier"), ("directorate", EGN, "archive.document")]


def test_search_finds_a_name_typed_in_latin_and_only_in_the_users_directorate(vtr_dsp, pvn_dsp, directorate, as_user):
    mine = services.dossier_for_person(directorate=vtr_dsp, person_identifier=EGN, first_name="Стефан", last_name="Щерев")
    services.dossier_for_person(directorate=pvn_dsp, person_identifier="7552010005", first_name="Стефка", last_name="Щерева")
    response = as_user(directorate).get(reverse("archive:home"), {"name": "shterev"})
    assert list(response.context["found"].dossiers) == [mine]


def test_search_by_identifier_is_logged_even_when_nothing_is_found(directorate, as_user):
    as_user(directorate).get(reverse("archive:home"), {"identifier": EGN})
    assert PersonalDataAccess.objects.get().object_type == "archive.search"


def test_a_bad_identifier_in_the_search_is_explained(directorate, as_user):
    response = as_user(directorate).get(reverse("archive:home"), {"identifier": "12345"})
    assert "10" in response.content.decode() and not response.context["found"].searched


def test_reading_an_identity_card_opens_the_dossier(vtr_dsp, directorate, as_user):
    lines = mrz.compose(document_number="645123456", birth_date=datetime.date(1975, 1, 2), sex="female",
                        expiry_date=datetime.date(2031, 5, 6), surname="Щерева", given_names="Мария Георгиева", personal_number=EGN)
    client = as_user(directorate)
    response = client.post(reverse("archive:id_card"), {"text": "\n".join(lines)})
    form = response.context["open_form"]
    assert form.initial["person_identifier"] == EGN and form.initial["last_name"] == "Щерева"
    response = client.post(reverse("archive:id_card"), {
        "directorate": vtr_dsp.pk, "person_identifier": EGN, "first_name": "Мария", "middle_name": "Георгиева",
        "last_name": "Щерева", "id_document_number": "645123456", "id_document_expiry": "2031-05-06", "citizenship": "BGR",
    })
    dossier = Dossier.objects.get()
    assert response.status_code == 302 and dossier.id_document_expiry == datetime.date(2031, 5, 6)


def test_a_broken_card_zone_lists_the_failed_checks(directorate, as_user):
    lines = list(mrz.compose(document_number="645123456", birth_date=datetime.date(1975, 1, 2), sex="female",
                             expiry_date=datetime.date(2031, 5, 6), surname="Щерева", given_names="Мария", personal_number=EGN))
    lines[0] = lines[0][:14] + "9" + lines[0][15:]
    response = as_user(directorate).post(reverse("archive:id_card"), {"text": "\n".join(lines)})
    assert not response.context["card"].valid


def test_the_page_viewer_marks_the_searched_words(vtr_dsp, directorate, as_user, no_processing):
    document = _document(vtr_dsp, status=Document.Status.READY, page_count=1)
    Page.objects.create(document=document, number=1, text="Заявлението е подадено <лично>.")
    response = as_user(directorate).get(reverse("archive:page", kwargs={"pk": document.pk, "number": 1}), {"q": "заявление"})
    body = response.content.decode()
    assert "<mark>Заявлението</mark>" in body
    assert "&lt;лично&gt;" in body


def test_retention_proposes_approves_and_destroys_only_what_is_not_held(vtr_dsp, directorate, as_user, no_processing):
    from socplan.archive.models import DestructionAct

    old = _document(vtr_dsp, retain_until=datetime.date(2020, 1, 1), status=Document.Status.READY)
    Page.objects.create(document=old, number=1, text="стар текст")
    held_dossier = services.dossier_for_person(directorate=vtr_dsp, person_identifier=EGN, first_name="М", last_name="П")
    services.dossier_hold_set(dossier=held_dossier, hold=True, reason="Дело 12/2026")
    held = _document(vtr_dsp, retain_until=datetime.date(2020, 1, 1), dossier=held_dossier)
    client = as_user(directorate)
    client.post(reverse("archive:retention"))
    act = DestructionAct.objects.get()
    assert list(act.documents.all()) == [old]
    client.post(reverse("archive:retention_act", kwargs={"pk": act.pk}), {"number": "КА-3", "act_date": "2026-11-20"})
    client.post(reverse("archive:retention_act", kwargs={"pk": act.pk}), {"action": "execute"})
    old.refresh_from_db()
    held.refresh_from_db()
    assert old.status == Document.Status.DESTROYED and not old.original and old.pages.get().text == ""
    assert held.status != Document.Status.DESTROYED and held.original


def test_an_oversized_file_is_refused_while_it_uploads_and_the_others_are_kept(vtr_dsp, directorate, as_user, no_processing, settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 2048
    big = pdf_file("huge.pdf", body=b"x" * 300_000)
    response = as_user(directorate).post(reverse("archive:upload"), {"directorate": vtr_dsp.pk, "files": [big, pdf_file("small.pdf")]}, follow=True)
    assert [d.original_name for d in Document.objects.all()] == ["small.pdf"]
    batch = Document.objects.get().batch
    assert batch.files_total == 2 and [r["name"] for r in batch.rejected] == ["huge.pdf"]
    assert "huge.pdf" in response.content.decode()


def test_the_upload_still_needs_the_csrf_token(vtr_dsp, directorate, no_processing):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(directorate)
    response = client.post(reverse("archive:upload"), {"directorate": vtr_dsp.pk, "files": [pdf_file()]})
    assert response.status_code == 403 and not Document.objects.exists()
