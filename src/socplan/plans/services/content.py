"""The plan's other sections: stages, institutional framework, partnership, communication, files."""

from __future__ import annotations

import datetime
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from .. import selectors
from ..models import (
    CommunicationItem,
    PartnershipInstrument,
    Plan,
    PlanDocument,
    PlanVersion,
    Stage,
    StakeholderRole,
)
from .tree import editable_version, touch

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
DOCUMENT_EXTENSIONS = (".pdf", ".docx", ".doc", ".odt", ".xlsx", ".xls", ".ods", ".txt", ".rtf", ".zip")


def _save_item(*, user, version: PlanVersion, item, fields: dict, names: tuple[str, ...]):
    version = editable_version(user=user, version=version)
    if item.pk and item.version_id != version.pk:
        raise ValidationError(_("The item belongs to another plan."))
    item.version = version
    for name in names:
        if name in fields:
            value = fields[name]
            setattr(item, name, value.strip() if isinstance(value, str) else value)
    if item.order == 0 and not item.pk:
        item.order = type(item).objects.filter(version=version).count() + 1
    item.full_clean()
    item.save()
    touch(version)
    return item


@transaction.atomic
def stage_save(*, user, version: PlanVersion, stage: Stage | None = None, **fields) -> Stage:
    """Add or change an implementation stage; its dates must lie within the plan's period."""
    plan = version.plan
    first, last = datetime.date(plan.period_start, 1, 1), datetime.date(plan.period_end, 12, 31)
    # The preparatory stage may start in the year before the period (the plan is adopted then).
    first = first.replace(year=plan.period_start - 1)
    for name in ("starts_on", "ends_on"):
        value = fields.get(name)
        if value and not first <= value <= last:
            raise ValidationError({name: _("The stage falls outside the plan's period %(period)s.") % {"period": plan.period_label}})
    return _save_item(
        user=user, version=version, item=stage or Stage(), fields=fields,
        names=("kind", "title", "starts_on", "ends_on", "activities", "order"),
    )


@transaction.atomic
def stakeholder_save(*, user, version: PlanVersion, item: StakeholderRole | None = None, **fields) -> StakeholderRole:
    return _save_item(
        user=user, version=version, item=item or StakeholderRole(), fields=fields,
        names=("stakeholder", "organization", "responsibilities", "order"),
    )


@transaction.atomic
def partnership_save(
    *, user, version: PlanVersion, item: PartnershipInstrument | None = None, **fields
) -> PartnershipInstrument:
    return _save_item(
        user=user, version=version, item=item or PartnershipInstrument(), fields=fields,
        names=("kind", "description", "partners", "order"),
    )


@transaction.atomic
def communication_save(*, user, version: PlanVersion, item: CommunicationItem | None = None, **fields) -> CommunicationItem:
    return _save_item(
        user=user, version=version, item=item or CommunicationItem(), fields=fields, names=("kind", "text", "order")
    )


@transaction.atomic
def section_delete(*, user, item) -> None:
    version = editable_version(user=user, version=item.version)
    item.delete()
    touch(version)


def adoption_check(*, plan: Plan) -> list[str]:
    """What is still missing before the plan can be adopted (shown next to the adopt button)."""
    version = plan.versions.order_by("-number").first()
    missing = []
    if version is None:
        return [_("The plan has no version.")]
    if not version.vision:
        missing.append(_("the vision"))
    if not version.nodes.exists():
        missing.append(_("the goals and measures"))
    if plan.needs_consultation and not hasattr(version, "consultation"):
        missing.append(_("a public consultation of at least 30 days"))
    return missing


@transaction.atomic
def document_add(
    *, user, plan: Plan, file: UploadedFile, title: str, kind: str, version: PlanVersion | None = None,
    is_public: bool = True,
) -> PlanDocument:
    """Keep a file with the plan (refused if too big or of an unexpected type)."""
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    name = (file.name or "").lower()
    if not name.endswith(DOCUMENT_EXTENSIONS):
        raise ValidationError(
            {"file": _("Files of this type cannot be attached. Allowed: %(types)s.") % {"types": ", ".join(DOCUMENT_EXTENSIONS)}}
        )
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": MAX_DOCUMENT_BYTES // 2**20}})
    if file.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    document = PlanDocument(
        plan=plan, version=version, kind=kind, title=title.strip() or file.name, file=file,
        sha256=digest.hexdigest(), is_public=is_public, uploaded_by=user,
    )
    document.full_clean()
    document.save()
    return document
