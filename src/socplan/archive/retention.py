"""Retention: documents are kept for their type's period; then the archive commission's act lets
their files be destroyed. Nothing is deleted by hand, and nothing under a legal hold is deleted.

- `review()` (every night) proposes, per directorate, an act listing the documents whose period
  has ended and whose dossier is not held; it deletes nothing.
- `act_approve()` records the commission's act (number, date, who approved it).
- `act_execute()` deletes the files and the text of the approved act's documents, keeping a
  record of each (type, dates, SHA-256, the act) so the register still shows what existed.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import DestructionAct, Document

log = logging.getLogger(__name__)


def due_documents(directorate=None):
    """Documents whose retention has ended, not held, not destroyed, not yet proposed."""
    qs = Document.objects.filter(retain_until__lt=timezone.localdate()).exclude(status=Document.Status.DESTROYED)
    qs = qs.exclude(dossier__legal_hold=True).exclude(
        destruction_acts__status__in=[DestructionAct.Status.PROPOSED, DestructionAct.Status.APPROVED]
    )
    if directorate is not None:
        qs = qs.filter(directorate=directorate)
    return qs


def review() -> list[DestructionAct]:
    """Propose (or add to the open proposal of) an act per directorate with documents due."""
    acts = []
    directorate_ids = due_documents().values_list("directorate_id", flat=True).distinct()
    for directorate_id in directorate_ids:
        with transaction.atomic():
            act = (
                DestructionAct.objects.select_for_update()
                .filter(directorate_id=directorate_id, status=DestructionAct.Status.PROPOSED)
                .first()
            ) or DestructionAct.objects.create(directorate_id=directorate_id)
            documents = list(due_documents().filter(directorate_id=directorate_id).values_list("pk", flat=True))
            act.documents.add(*documents)
            acts.append(act)
            log.info("Retention: %d documents proposed for destruction in act %s", len(documents), act.pk)
    return acts


def act_approve(*, act: DestructionAct, user, number: str, act_date) -> DestructionAct:
    if act.status != DestructionAct.Status.PROPOSED:
        raise ValidationError(_("Only a proposed act can be approved."))
    if not number.strip() or act_date is None:
        raise ValidationError({"number": _("Give the number and the date of the commission's act.")})
    act.number, act.act_date, act.approved_by, act.status = number.strip(), act_date, user, DestructionAct.Status.APPROVED
    act.save()
    return act


def act_execute(*, act: DestructionAct) -> int:
    """Destroy the files of an approved act's documents; a document held meanwhile is left out."""
    from .search import unindex_document

    if act.status != DestructionAct.Status.APPROVED:
        raise ValidationError(_("Only an approved act can be executed."))
    destroyed = 0
    for document in act.documents.exclude(Q(dossier__legal_hold=True) | Q(status=Document.Status.DESTROYED)):
        files = [document.original, document.pdf, *(p.image for p in document.pages.all())]
        with transaction.atomic():
            unindex_document(document)
            document.pages.update(text="", image="")
            document.status = Document.Status.DESTROYED
            document.suggestions = {}
            document.original = ""
            document.pdf = ""
            document.save()
            # The files go only once the record of their destruction is committed.
            names = [(f.storage, f.name) for f in files if f]
            transaction.on_commit(lambda names=names: [storage.delete(name) for storage, name in names])
        destroyed += 1
    act.status, act.executed_at = DestructionAct.Status.EXECUTED, timezone.now()
    act.save()
    return destroyed
