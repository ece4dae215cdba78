"""Taking files in: once per content, bad files refused with a reason, the rest of a batch kept."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from socplan.archive import services
from socplan.archive.models import Batch, Document, DocumentType, Dossier

from .conftest import pdf_file

pytestmark = pytest.mark.django_db


def test_the_same_file_twice_is_one_document(vtr_dsp, no_processing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.document_ingest(directorate=vtr_dsp, file=pdf_file(), source=Document.Source.UPLOAD)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.document_ingest(directorate=vtr_dsp, file=pdf_file("renamed.pdf"), source=Document.Source.FOLDER)
    assert first.created and not second.created
    assert second.document.pk == first.document.pk
    assert Document.objects.filter(directorate=vtr_dsp).count() == 1
    # Processing is queued once, for the new document only.
    assert no_processing == [first.document.pk]


def test_the_same_file_in_another_directorate_is_its_own_document(vtr_dsp, pvn_dsp, no_processing):
    services.document_ingest(directorate=vtr_dsp, file=pdf_file(), source=Document.Source.UPLOAD)
    services.document_ingest(directorate=pvn_dsp, file=pdf_file(), source=Document.Source.UPLOAD)
    assert Document.objects.count() == 2


def test_a_second_copy_files_an_unfiled_document_into_a_dossier(vtr_dsp, no_processing):
    first = services.document_ingest(directorate=vtr_dsp, file=pdf_file(), source=Document.Source.UPLOAD).document
    dossier = services.dossier_for_person(directorate=vtr_dsp, person_identifier="7501020018", first_name="Мария", last_name="Петрова")
    again = services.document_ingest(directorate=vtr_dsp, file=pdf_file(), source=Document.Source.API, dossier=dossier)
    assert again.document.pk == first.pk
    first.refresh_from_db()
    assert first.dossier == dossier


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "The file is empty."),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "is not really a PDF file"),
        ("virus.exe", b"MZ\x90\x00", "Files of this type cannot be attached."),
    ],
)
def test_bad_files_are_refused_with_a_reason(vtr_dsp, no_processing, name, content, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.document_ingest(directorate=vtr_dsp, file=SimpleUploadedFile(name, content), source=Document.Source.UPLOAD)
    assert message in " ".join(error.value.messages)
    assert not Document.objects.exists()


@override_settings(ARCHIVE_MAX_FILE_BYTES=1024)
def test_a_file_over_the_limit_is_refused_before_it_is_stored(vtr_dsp, no_processing):
    big = pdf_file(body=b"x" * 4096)
    with translation.override("bg"), pytest.raises(ValidationError) as error:
        services.document_ingest(directorate=vtr_dsp, file=big, source=Document.Source.UPLOAD)
    assert "MB" in " ".join(error.value.messages)
    assert not Document.objects.exists()


def test_a_batch_keeps_the_good_files_and_lists_the_bad(vtr_dsp, no_processing):
    files = [pdf_file("a.pdf", b"a"), SimpleUploadedFile("zero.png", b""), pdf_file("b.pdf", b"b"), pdf_file("a-again.pdf", b"a")]
    batch, results = services.batch_ingest(directorate=vtr_dsp, files=files, source=Document.Source.UPLOAD)
    assert [r.created for r in results] == [True, True, False]
    assert Batch.objects.get().files_total == 4
    assert [r["name"] for r in batch.rejected] == ["zero.png"]
    assert Document.objects.count() == 2


def test_a_dossier_needs_a_valid_identifier_and_derives_birth_and_sex(vtr_dsp):
    with translation.override("en"), pytest.raises(ValidationError, match="not a valid ЕГН or ЛНЧ"):
        services.dossier_for_person(directorate=vtr_dsp, person_identifier="7501020019", first_name="А", last_name="Б")
    dossier = services.dossier_for_person(directorate=vtr_dsp, person_identifier="7501020018", first_name="Мария", last_name="Петрова")
    assert (dossier.birth_date.isoformat(), dossier.sex, dossier.identifier_kind) == ("1975-01-02", "f", "egn")
    # The same person again: the same dossier; a name typed in Latin finds it.
    assert services.dossier_for_person(directorate=vtr_dsp, person_identifier="7501020018").pk == dossier.pk
    assert Dossier.objects.filter(name_key__contains="petrova").get() == dossier


def test_confirming_metadata_files_the_document_and_sets_its_retention(vtr_dsp, directorate, no_processing):
    kind = DocumentType.objects.create(code="zd-test", name="Заявление-декларация (тест)", retention_years=10)
    document = services.document_ingest(directorate=vtr_dsp, file=pdf_file(), source=Document.Source.UPLOAD).document
    import datetime

    services.document_metadata_confirm(document=document, user=directorate, data={
        "document_type": kind, "legal_basis": None, "title": "Заявление", "document_date": datetime.date(2024, 2, 29),
        "incoming_number": "ЗСП-00012/01.03.2024", "incoming_date": datetime.date(2024, 3, 1),
        "person_identifier": "7501020018", "first_name": "Мария", "middle_name": "", "last_name": "Петрова",
        "id_document_number": "645123456", "citizenship": "BGR",
    })
    document.refresh_from_db()
    assert document.dossier.person_identifier == "7501020018"
    assert document.dossier.id_document_number == "645123456"
    assert document.confirmed_by == directorate
    assert document.retain_until == datetime.date(2034, 2, 28)
