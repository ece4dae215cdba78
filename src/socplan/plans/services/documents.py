"""Generated documents of a plan that take long to make (the PDF of a large plan)."""

from __future__ import annotations

import datetime
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import PlanExport, PlanVersion

logger = logging.getLogger(__name__)

# A job "running" longer than this was lost with its worker; asking again starts it afresh.
STALE_AFTER = datetime.timedelta(minutes=10)


def export_request(*, version: PlanVersion, fmt: str, language: str) -> PlanExport:
    """The stored document for this version's current revision, queued for making if needed."""
    version.refresh_from_db(fields=["revision"])
    try:
        with transaction.atomic():
            export, created = PlanExport.objects.get_or_create(
                version=version, fmt=fmt, language=language, revision=version.revision
            )
    except IntegrityError:  # two requests at once: the other one created it
        export, created = PlanExport.objects.get(version=version, fmt=fmt, language=language, revision=version.revision), False
    stale = export.status == PlanExport.Status.RUNNING and export.started_at and (
        timezone.now() - export.started_at > STALE_AFTER
    )
    if created or export.status == PlanExport.Status.FAILED or stale:
        PlanExport.objects.filter(pk=export.pk).update(status=PlanExport.Status.QUEUED, error="", started_at=None)
        export.status = PlanExport.Status.QUEUED
        from ..tasks import plan_export_render_task

        transaction.on_commit(lambda: plan_export_render_task.delay(export_id=export.pk))
    return export


def export_render(*, export_id: int) -> PlanExport | None:
    """Make the document. Claimed with a conditional update, so two workers never make it twice;
    the file is written before the row says "done", so a crash leaves a job to retry, never a
    half-written document."""
    claimed = PlanExport.objects.filter(pk=export_id, status=PlanExport.Status.QUEUED).update(
        status=PlanExport.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    export = PlanExport.objects.select_related("version__plan").get(pk=export_id)
    from django.utils import translation

    from .. import exports

    try:
        with translation.override(export.language):
            content, _content_type, filename = exports.export(version=export.version, fmt=export.fmt)
    except Exception as exc:  # the reason is shown to the user; the job can be asked for again
        logger.exception("Export %s failed", export_id)
        PlanExport.objects.filter(pk=export_id).update(
            status=PlanExport.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return PlanExport.objects.get(pk=export_id)
    export.file.save(filename, ContentFile(content), save=False)
    PlanExport.objects.filter(pk=export_id).update(
        file=export.file.name, status=PlanExport.Status.DONE, finished_at=timezone.now()
    )
    return PlanExport.objects.get(pk=export_id)
