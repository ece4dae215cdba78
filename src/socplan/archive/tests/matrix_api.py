"""Role-matrix cases of the archive's integration API, its file links, the access log and the
system clients' pages (see socplan/tests/test_role_matrix.py), and the small builders the API's
own tests share.

Objects (`objects(users)`): a dossier of a person in the directorate of Велико Търново (where the
matrix's directorate expert works) with a processed document (PDF, one page image, the original)
under an incoming number, a document of another directorate (Плевен), a signed link to the first
document's PDF for a system client and one for the administrator, and a system client.

Who (the matrix has no auditor and no token clients: test_api.py, test_links.py and
test_access_log.py test those):
- the API: the administrator and the national expert read every directorate, the directorate
  expert only its own (another directorate's document: 404); the roles without the archive get
  403, an anonymous caller 401. Sending a document: whoever keeps the directorate (administrator,
  its expert) — the national expert reads but does not send (403);
- a client's file link works for whoever holds it (it is the client's capability); a user's link
  only in that user's session (others 403, anonymous → the login page);
- the access log: auditors only — nobody in the matrix (403), anonymous → the login page;
- the system clients' pages: administrators only.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from socplan.core.validators import egn_compose
from socplan.tests.matrix import case, expect

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

_serial = itertools.count(1)


def egn_for(born: datetime.date, serial: int) -> str:
    """A valid ЕГН of someone born on `born` (serial 0–999: even for men, odd for women)."""
    return egn_compose(born, serial)


def directorate_make(name: str = "Дирекция „Социално подпомагане“ Плевен", municipality: str = "PVN24", code: str = ""):
    from socplan.archive.models import RegisterSettings
    from socplan.organizations.models import Organization
    from socplan.territory.models import Municipality

    place = Municipality.objects.get(code=municipality)
    org = Organization.objects.create(kind=Organization.Kind.DSP, name=name, region=place.region, municipality=place)
    if code:
        RegisterSettings.objects.create(directorate=org, code=code)
    return org


def dossier_make(directorate, *, identifier: str | None = None, first_name="Иван", last_name="Петров", middle_name="Георгиев"):
    from socplan.archive import services

    identifier = identifier or egn_for(datetime.date(1980, 5, 17), 2 * next(_serial) % 1000)
    return services.dossier_for_person(
        directorate=directorate, person_identifier=identifier, first_name=first_name, middle_name=middle_name, last_name=last_name
    )


def document_make(directorate, *, dossier=None, pages: int = 1, processed: bool = True, **fields):
    """A stored document with its files in the archive storage: the original, and when processed
    the PDF and `pages` page images."""
    from socplan.archive.models import Document, Page

    content = PDF_BYTES + f"% {next(_serial)}\n".encode()
    sha256 = hashlib.sha256(content).hexdigest()
    document = Document(
        directorate=directorate,
        dossier=dossier,
        sha256=sha256,
        original_name="заявление.pdf",
        content_type="application/pdf",
        size=len(content),
        status=Document.Status.READY if processed else Document.Status.RECEIVED,
        page_count=pages if processed else 0,
        **fields,
    )
    document.original.save("заявление.pdf", ContentFile(content), save=False)
    if processed:
        document.pdf.save("document.pdf", ContentFile(content), save=False)
    document.save()
    if processed:
        for number in range(1, pages + 1):
            page = Page(document=document, number=number, text=f"Страница {number}")
            page.image.save(f"{number:04d}.png", ContentFile(PNG_BYTES + bytes([number])), save=False)
            page.save()
    return document


def client_make(name: str = "ИИС", *, scopes=("archive:read", "archive:files"), directorates=(), organization=None, **fields):
    """A system client and its token."""
    from socplan.archive.authentication import api_client_create
    from socplan.organizations.models import Organization

    organization = organization or Organization.objects.get(kind=Organization.Kind.AGENCY)
    client, token = api_client_create(name=name, organization=organization, scopes=list(scopes), directorates=directorates)
    if fields:
        for key, value in fields.items():
            setattr(client, key, value)
        client.save()
    return client, token


def upload(name: str = "scan.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else PDF_BYTES + f"% upload {next(_serial)}\n".encode(), "application/pdf")


# --- Cases ---------------------------------------------------------------------------------------

NO_ARCHIVE = dict(regional=403, municipal=403, provider=403, outsider=403)
READ = dict(anonymous=401, admin=200, national=200, directorate=200, **NO_ARCHIVE)
PERSON = {"kwargs": lambda o: {"identifier": o["api_ar_dossier"].person_identifier}}
INCOMING = {"kwargs": lambda o: {"number": o["api_ar_document"].incoming_number}}
DOCUMENT = {"kwargs": lambda o: {"pk": o["api_ar_document"].pk}}
OTHER_DOCUMENT = {"kwargs": lambda o: {"pk": o["api_ar_other_document"].pk}}
CLIENT = {"kwargs": lambda o: {"pk": o["api_ar_client"].pk}}
ADMIN_ONLY = expect(403, anonymous=302, admin=200)


def _ingest_data(role, objects):
    # A file of each role's own, so that each send is a new document (201), not the same one (200).
    return {
        "file": upload(f"{role}.pdf", PDF_BYTES + f"% matrix {role}\n".encode()),
        "directorate": str(objects["api_ar_directorate"].pk),
        "document_type": objects["api_ar_type"].code,
    }


CASES = [
    case("archive-api-person", "api:archive-person-documents", READ, **PERSON),
    case("archive-api-incoming", "api:archive-incoming-documents", READ, **INCOMING),
    case("archive-api-document", "api:archive-document-detail", READ, **DOCUMENT),
    case("archive-api-document-other", "api:archive-document-detail", {**READ, "directorate": 404}, **OTHER_DOCUMENT),
    case(
        "archive-api-ingest",
        "api:archive-document-ingest",
        expect(403, anonymous=401, admin=201, directorate=201),
        method="post",
        data=_ingest_data,
    ),
    case("archive-file-client-link", "archive:file", expect(200), kwargs=lambda o: {"token": o["api_ar_client_link"]}),
    case("archive-file-user-link", "archive:file", expect(403, anonymous=302, admin=200), kwargs=lambda o: {"token": o["api_ar_admin_link"]}),
    case("archive-access-log", "archive:access_log", expect(403, anonymous=302)),
    case("archive-access-log-export", "archive:access_log_export", expect(403, anonymous=302)),
    case("archive-client-list", "archive:client_list", ADMIN_ONLY),
    case("archive-client-create", "archive:client_create", ADMIN_ONLY),
    case("archive-client-detail", "archive:client_detail", ADMIN_ONLY, **CLIENT),
    case(
        "archive-client-rotate",
        "archive:client_rotate",
        expect(403, anonymous=302, admin=200),
        method="post",
        **CLIENT,
    ),
    case(
        "archive-client-deactivate",
        "archive:client_deactivate",
        expect(403, anonymous=302, admin=302),
        method="post",
        **CLIENT,
    ),
    case(
        "archive-client-activate",
        "archive:client_activate",
        expect(403, anonymous=302, admin=302),
        method="post",
        **CLIENT,
    ),
]


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def objects(users) -> dict:
    """The objects the cases above use (built by the role-matrix fixture)."""
    from socplan.archive import links
    from socplan.archive.models import DocumentType

    directorate = users["directorate"].role_assignments.get().organization
    other = directorate_make("Дирекция „Социално подпомагане“ Плевен (API)")
    dossier = dossier_make(directorate, identifier=egn_for(datetime.date(1975, 3, 9), 124))
    doc_type = DocumentType.objects.create(code="zaiavlenie-matrix", name="Заявление-декларация (матрица)")
    document = document_make(directorate, dossier=dossier, incoming_number="ДСП-ВТ-00012/05.03.2024", document_type=doc_type)
    other_document = document_make(other, dossier=dossier_make(other))
    client, _token_value = client_make("ИИС (матрица)")
    return {
        "api_ar_directorate": directorate,
        "api_ar_dossier": dossier,
        "api_ar_type": doc_type,
        "api_ar_document": document,
        "api_ar_other_document": other_document,
        "api_ar_client": client,
        "api_ar_client_link": _token(links.sign(document, links.PDF, client=client)[0]),
        "api_ar_admin_link": _token(links.sign(document, links.PDF, user=users["admin"])[0]),
    }
