import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from socplan.organizations.models import Organization
from socplan.organizations.tests.factories import OrganizationFactory
from socplan.territory.models import Municipality


@pytest.fixture
def no_processing(monkeypatch):
    """Ingestion without the background OCR (tests of what happens at the door)."""
    calls = []
    monkeypatch.setattr("socplan.archive.services.document_process_enqueue", lambda document: calls.append(document.pk))
    return calls


@pytest.fixture
def pvn_dsp(db):
    return OrganizationFactory(
        kind=Organization.Kind.DSP, name="Дирекция „Социално подпомагане“ Плевен", municipality=Municipality.objects.get(code="PVN24")
    )


def pdf_file(name="scan.pdf", body=b"one"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% " + body + b"\n%%EOF\n", content_type="application/pdf")
