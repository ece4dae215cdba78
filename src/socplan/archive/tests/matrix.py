"""Role-matrix cases of the archive (see socplan/tests/test_role_matrix.py).

Objects: a dossier of Велико Търново's ДСП (the directorate user's own) with a processed document
of one page, a batch and a proposed destruction act; the same in Плевен's ДСП (another directorate).

Who: the directorate's staff keep their own archive and do not see another directorate's (404);
the agency's national expert reads every directorate's archive but changes nothing (403); the
administrator keeps all of them. Regional, municipal and provider users have no archive (403).
The register and e-delivery pages (matrix_register) and the API, files and client pages
(matrix_api) have their own modules; the access log is tested with auditors in test_access_log.
"""

import importlib

from socplan.tests.matrix import case, expect

READ = dict(anonymous=302, admin=200, national=200, directorate=200)
OTHER = dict(anonymous=302, admin=200, national=200, directorate=404)
WRITE = dict(anonymous=302, admin=302, national=403, directorate=302)
WRITE_OTHER = dict(anonymous=302, admin=302, national=403, directorate=404)

VTR_DOCUMENT = {"kwargs": lambda o: {"pk": o["ar_document"].pk}}
PVN_DOCUMENT = {"kwargs": lambda o: {"pk": o["ar_document_other"].pk}}


def _metadata(role, o):
    return {"document_type": "", "legal_basis": "", "title": f"Заявление ({role})", "person_identifier": "", "citizenship": "BGR"}


CASES = [
    case("archive-home", "archive:home", expect(403, **READ)),
    case("archive-upload", "archive:upload", expect(403, anonymous=302, admin=200, directorate=200)),
    case("archive-batch", "archive:batch", expect(403, **READ), kwargs=lambda o: {"pk": o["ar_batch"].pk}),
    case("archive-batch-other", "archive:batch", expect(403, **OTHER), kwargs=lambda o: {"pk": o["ar_batch_other"].pk}),
    case("archive-document", "archive:document", expect(403, **READ), **VTR_DOCUMENT),
    case("archive-document-other", "archive:document", expect(403, **OTHER), **PVN_DOCUMENT),
    case("archive-document-save", "archive:document", expect(403, **WRITE), method="post", data=_metadata, **VTR_DOCUMENT),
    case("archive-document-save-other", "archive:document", expect(403, **WRITE_OTHER), method="post", data=_metadata, **PVN_DOCUMENT),
    case("archive-document-retry", "archive:document_retry", expect(403, **WRITE), method="post", **VTR_DOCUMENT),
    case("archive-page", "archive:page", expect(403, **READ), kwargs=lambda o: {"pk": o["ar_document"].pk, "number": 1}),
    case("archive-page-other", "archive:page", expect(403, **OTHER), kwargs=lambda o: {"pk": o["ar_document_other"].pk, "number": 1}),
    case("archive-dossier", "archive:dossier", expect(403, **READ), kwargs=lambda o: {"pk": o["ar_dossier"].pk}),
    case("archive-dossier-other", "archive:dossier", expect(403, **OTHER), kwargs=lambda o: {"pk": o["ar_dossier_other"].pk}),
    case(
        "archive-dossier-hold", "archive:dossier", expect(403, **WRITE), method="post",
        data={"legal_hold": "on", "legal_hold_reason": "Съдебно дело 123/2026"}, kwargs=lambda o: {"pk": o["ar_dossier"].pk},
    ),
    case("archive-id-card", "archive:id_card", expect(403, **READ)),
    case("archive-retention", "archive:retention", expect(403, **READ)),
    case("archive-retention-propose", "archive:retention", expect(403, **WRITE), method="post"),
    case("archive-retention-act", "archive:retention_act", expect(403, **READ), kwargs=lambda o: {"pk": o["ar_act"].pk}),
    case("archive-retention-act-other", "archive:retention_act", expect(403, **OTHER), kwargs=lambda o: {"pk": o["ar_act_other"].pk}),
]


def _directorate_objects(directorate, suffix: str, identifier: str) -> dict:
    from socplan.archive.models import Batch, DestructionAct, Document, Dossier, Page

    dossier = Dossier.objects.create(
        directorate=directorate, person_identifier=identifier, first_name="Мария", last_name=f"Петрова{suffix}"
    )
    batch = Batch.objects.create(directorate=directorate, source=Document.Source.UPLOAD, files_total=1)
    document = Document.objects.create(
        directorate=directorate, dossier=dossier, batch=batch, sha256=(suffix or "v") * 64, original_name="zaiavlenie.pdf",
        original="originals/matrix.pdf", status=Document.Status.FAILED, error="Повреден файл", page_count=1,
    )
    Page.objects.create(document=document, number=1, text="Заявление-декларация за социална помощ")
    act = DestructionAct.objects.create(directorate=directorate)
    act.documents.add(document)
    return {"dossier": dossier, "batch": batch, "document": document, "act": act}


def objects(users) -> dict:
    from socplan.organizations.models import Organization
    from socplan.organizations.tests.factories import OrganizationFactory
    from socplan.territory.models import Municipality

    vtr_dsp = users["directorate"].role_assignments.get().organization
    pvn_dsp = OrganizationFactory(
        kind=Organization.Kind.DSP, name="ДСП Плевен (матрица)", municipality=Municipality.objects.get(code="PVN24")
    )
    own = _directorate_objects(vtr_dsp, "", "7501020018")
    other = _directorate_objects(pvn_dsp, "o", "7552010005")
    result = {f"ar_{k}": v for k, v in own.items()} | {f"ar_{k}_other": v for k, v in other.items()}
    result["ar_pvn_dsp"] = pvn_dsp
    for module_name in ("matrix_register", "matrix_api"):
        module = _optional(module_name)
        if module is not None:
            result.update(module.objects(users))
    return result


def _optional(name):
    try:
        return importlib.import_module(f"socplan.archive.tests.{name}")
    except ModuleNotFoundError:
        return None


for _name in ("matrix_register", "matrix_api"):
    _module = _optional(_name)
    if _module is not None:
        CASES += _module.CASES
