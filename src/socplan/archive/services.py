"""Changing the archive: taking files in (once each), confirming metadata, dossiers."""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from socplan.core.files import upload_check

from .models import Batch, Document

log = logging.getLogger(__name__)

# What scanners, the ИИС and citizens send: scans (PDF, TIFF, JPEG, PNG) and office documents
# (DOCX/ODT, converted to PDF during processing).
ARCHIVE_TYPES = (".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".png", ".docx", ".odt")


def archive_file_check(file, *, field: str = "file") -> str:
    """Refuse what the archive cannot take (type, size, empty, content); return the SHA-256."""
    return upload_check(file, field=field, types=ARCHIVE_TYPES, max_bytes=settings.ARCHIVE_MAX_FILE_BYTES)


@dataclass
class Ingested:
    document: Document
    created: bool


def document_ingest(
    *,
    directorate,
    file,
    source: str,
    user=None,
    api_client=None,
    batch: Batch | None = None,
    dossier=None,
    register_entry=None,
    metadata: dict | None = None,
    sha256: str | None = None,
) -> Ingested:
    """Store `file` for `directorate` once and queue its processing.

    The same content twice gives the same document (its SHA-256 is unique in the directorate):
    the second call changes nothing but may file an unfiled document into `dossier` or tie it to
    `register_entry`. Raises ValidationError for a file the archive does not take.
    """
    sha256 = sha256 or archive_file_check(file)
    name = (getattr(file, "name", "") or "document").replace("\\", "/").rsplit("/", 1)[-1][:255]
    existing = Document.objects.filter(directorate=directorate, sha256=sha256).first()
    if existing is not None:
        return Ingested(_file_into(existing, dossier=dossier, register_entry=register_entry), False)
    document = Document(
        directorate=directorate,
        sha256=sha256,
        original_name=name,
        content_type=mimetypes.guess_type(name)[0] or "",
        size=getattr(file, "size", 0) or 0,
        source=source,
        batch=batch,
        dossier=dossier,
        register_entry=register_entry,
        uploaded_by=user if (user is not None and getattr(user, "is_authenticated", False)) else None,
        api_client=api_client,
        **(metadata or {}),
    )
    if register_entry is not None and not document.incoming_number:
        document.incoming_number = register_entry.number
        document.incoming_date = register_entry.registered_at.date()
    file.seek(0)
    document.original.save(name, file, save=False)
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another request stored the same file a moment ago: keep theirs, drop this copy.
        document.original.storage.delete(document.original.name)
        existing = Document.objects.get(directorate=directorate, sha256=sha256)
        return Ingested(_file_into(existing, dossier=dossier, register_entry=register_entry), False)
    except BaseException:
        document.original.storage.delete(document.original.name)
        raise
    document_process_enqueue(document)
    return Ingested(document, True)


def _file_into(document: Document, *, dossier=None, register_entry=None) -> Document:
    changed = []
    if dossier is not None and document.dossier_id is None:
        document.dossier = dossier
        changed.append("dossier")
    if register_entry is not None and document.register_entry_id is None:
        document.register_entry = register_entry
        changed.append("register_entry")
        if not document.incoming_number:
            document.incoming_number = register_entry.number
            document.incoming_date = register_entry.registered_at.date()
            changed += ["incoming_number", "incoming_date"]
    if changed:
        document.save(update_fields=[*changed, "updated_at"])
    return document


def document_process_enqueue(document: Document) -> None:
    """Queue the document's processing once the transaction that stored it has committed."""
    from .tasks import document_process_task

    transaction.on_commit(lambda: document_process_task.delay(document.pk))


def too_big_message() -> str:
    return _("The file is larger than %(mb)s MB.") % {"mb": settings.ARCHIVE_MAX_FILE_BYTES // 2**20}


def batch_ingest(*, directorate, files, source: str, user=None, refused=()) -> tuple[Batch, list[Ingested]]:
    """Take in several files: each good file is stored, each bad one is listed with its reason
    (also those refused before they arrived: `refused` holds their names and reasons)."""
    batch = Batch.objects.create(
        directorate=directorate, source=source, created_by=user, files_total=len(files) + len(refused)
    )
    results = []
    rejected = [{"name": name, "reason": reason} for name, reason in refused]
    for file in files:
        try:
            results.append(document_ingest(directorate=directorate, file=file, source=source, user=user, batch=batch))
        except ValidationError as error:
            rejected.append({"name": getattr(file, "name", ""), "reason": " ".join(error.messages)})
    if rejected:
        batch.rejected = rejected
        batch.save(update_fields=["rejected", "updated_at"])
    if not results and rejected:
        log.info("Batch %s: every file refused", batch.pk)
    return batch, results


def refused_message(name: str, reason: str) -> str:
    return _("%(name)s: %(reason)s") % {"name": name, "reason": reason}


def identifier_kind_of(identifier: str) -> str | None:
    """"egn" or "lnch" for a valid identifier, None for anything else (an ЕИК, a typo, nothing)."""
    from socplan.core.validators import egn_is_valid, lnch_is_valid

    from .models import IdentifierKind

    identifier = (identifier or "").strip()
    if egn_is_valid(identifier):
        return IdentifierKind.EGN
    if lnch_is_valid(identifier):
        return IdentifierKind.LNCH
    return None


def identifier_kind(identifier: str) -> str:
    """"egn" or "lnch" for a valid identifier; ValidationError (in the user's language) otherwise."""
    kind = identifier_kind_of(identifier)
    if kind is None:
        raise ValidationError(
            {"person_identifier": _("“%(value)s” is not a valid ЕГН or ЛНЧ (check the digits).") % {"value": (identifier or "").strip()}}
        )
    return kind


def egn_facts(identifier: str) -> tuple:
    """(birth date, "m" or "f") that a valid ЕГН says of its holder; (None, "") for anything else."""
    from socplan.core.validators import egn_birth_date, egn_is_valid, egn_sex

    if not identifier or not egn_is_valid(identifier):
        return None, ""
    return egn_birth_date(identifier), "f" if egn_sex(identifier) == "female" else "m"


def person_read_log(*, request, person_identifier: str, object_type: str, object_id="", identifier_kind: str = "",
                    client=None, channel: str = "", purpose: str = ""):
    """Write that the signed-in user, or the system `client`, read this person's data. The kind is
    worked out from the identifier when not given ("other" for none or an invalid one)."""
    from socplan.core.models import PersonalDataAccess
    from socplan.core.services import personal_data_read_log

    return personal_data_read_log(
        request=request,
        user=None if client is not None else request.user,
        client=client.name if client is not None else "",
        channel=channel or (PersonalDataAccess.Channel.API if client is not None else PersonalDataAccess.Channel.WEB),
        person_identifier=person_identifier,
        identifier_kind=identifier_kind or identifier_kind_of(person_identifier) or PersonalDataAccess.IdentifierKind.OTHER,
        object_type=object_type,
        object_id=object_id,
        purpose=purpose,
    )


def dossier_read_log(*, request, dossier, object_type: str, object_id="", client=None, channel: str = ""):
    """person_read_log for something of `dossier` (an unfiled document: no person)."""
    return person_read_log(
        request=request,
        person_identifier=dossier.person_identifier if dossier is not None else "",
        identifier_kind=dossier.identifier_kind if dossier is not None else "",
        object_type=object_type,
        object_id=object_id,
        client=client,
        channel=channel,
    )


def dossier_for_person(*, directorate, person_identifier: str, first_name: str = "", middle_name: str = "", last_name: str = "", **details):
    """The person's dossier in `directorate`, opened if it does not exist yet (names are filled in
    where the dossier has none). The identifier must be a valid ЕГН or ЛНЧ."""
    from .models import Dossier

    person_identifier = (person_identifier or "").strip()
    kind = identifier_kind(person_identifier)
    defaults = {
        "identifier_kind": kind,
        "first_name": first_name.strip(),
        "middle_name": middle_name.strip(),
        "last_name": last_name.strip(),
        **details,
    }
    born, sex = egn_facts(person_identifier)
    if sex:
        defaults.setdefault("birth_date", born)
        defaults.setdefault("sex", sex)
    with transaction.atomic():
        dossier, created = Dossier.objects.select_for_update().get_or_create(
            directorate=directorate, person_identifier=person_identifier, defaults=defaults
        )
        if not created:
            missing = {k: v for k, v in (("first_name", first_name), ("middle_name", middle_name), ("last_name", last_name)) if v and not getattr(dossier, k)}
            if missing:
                for k, v in missing.items():
                    setattr(dossier, k, v.strip())
                dossier.save()
    return dossier


def document_metadata_confirm(*, document: Document, user, data: dict) -> Document:
    """Save the metadata the operator confirmed; file the document into the person's dossier.

    `data` holds the form's cleaned values: document_type, legal_basis, title, document_date,
    incoming_number, incoming_date, and the person (person_identifier, names, id_document_number,
    citizenship). An identifier with wrong check digits is refused; the dossier is opened when the
    person has none in the document's directorate.
    """
    from django.utils import timezone

    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        identifier = (data.get("person_identifier") or "").strip()
        if identifier:
            details = {k: data[k] for k in ("id_document_number", "citizenship") if data.get(k)}
            if data.get("legal_basis"):
                details["legal_basis"] = data["legal_basis"]
            dossier = dossier_for_person(
                directorate=document.directorate,
                person_identifier=identifier,
                first_name=data.get("first_name", ""),
                middle_name=data.get("middle_name", ""),
                last_name=data.get("last_name", ""),
                **details,
            )
            document.dossier = dossier
        for name in ("document_type", "legal_basis", "title", "document_date", "incoming_number", "incoming_date"):
            if name in data:
                setattr(document, name, data[name])
        document.confirmed_at = timezone.now()
        document.confirmed_by = user
        document.retain_until = retention_date(document)
        document.save()
    return document


def retention_date(document: Document):
    """The day until which the document is kept: its type's years from the document's date (or the
    day it arrived); None when it is kept permanently or its type is not known yet."""
    from django.utils import timezone

    years = document.document_type.retention_years if document.document_type_id else None
    if not years:
        return None
    start = document.document_date or document.incoming_date or timezone.localdate(document.created_at)
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def dossier_hold_set(*, dossier, hold: bool, reason: str = ""):
    """Put a dossier under a legal hold (its documents are kept past retention) or release it."""
    if hold and not reason.strip():
        raise ValidationError({"legal_hold_reason": _("Say why the dossier is held (the case or the request).")})
    dossier.legal_hold = hold
    dossier.legal_hold_reason = reason.strip() if hold else ""
    dossier.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at"])
    return dossier
