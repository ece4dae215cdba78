"""Asking for a generated monitoring report (made in the background, kept for download)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import selectors
from ..models import Report, Round

FORMATS = ("docx", "pdf")


@transaction.atomic
def report_request(*, user, fmt: str, language: str = "bg", round: Round | None = None, year: int | None = None) -> Report:
    """Queue a new report of a round (the regional report) or of a year (the national summary).

    Every request makes a new document from the data as it is now; earlier ones stay for download.
    """
    if fmt not in FORMATS:
        raise ValidationError({"fmt": _("Unknown format.")})
    if round is not None:
        if not selectors.round_can_manage(user=user, round=round):
            raise PermissionDenied
    else:
        if not selectors.reads_national(user=user) or year is None:
            raise PermissionDenied
    report = Report.objects.create(round=round, year=year, fmt=fmt, language=language, requested_by=user)
    from ..tasks import report_build_task

    transaction.on_commit(lambda: report_build_task.delay(report_id=report.pk))
    return report
