"""Making a monitoring report in the background (the Report job: queued → running → done | failed)."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError
from socplan.plans.exports.common import safe_name

from ..models import Report

logger = logging.getLogger(__name__)

REGIONAL_FORMATS = ("docx", "pdf")
NATIONAL_FORMATS = ("docx", "pdf", "xlsx")


def report_build(*, report_id: int) -> Report | None:
    """Make the report's document and keep it in `report.file`.

    Claimed with a conditional update (queued → running), as plans' export_render does, so two
    workers never make the same report; the claim needs no lock held while the document is made.
    The progress is saved as it goes (10 %: claimed, 40 %: data read, 80 %: document made, 100 %:
    stored), for the page that watches the job. A failure while making or storing the document is
    recorded on the job with its reason (failed) and never raised: asking again starts a new job.
    Returns the job, or None when it was not queued (taken by another worker, or gone).
    """
    claimed = Report.objects.filter(pk=report_id, status=Report.Status.QUEUED).update(
        status=Report.Status.RUNNING, progress=0, error="", started_at=timezone.now(), finished_at=None
    )
    if not claimed:
        return None
    report = Report.objects.select_related("round__region").get(pk=report_id)
    try:
        with translation.override(report.language or "bg"):
            _progress(report_id, 10)
            content, filename = _make(report)
            report.file.save(filename, ContentFile(content), save=False)
    except Exception as error:  # the reason is shown on the job's page; the job can be asked for again
        logger.exception("Monitoring report %s failed", report_id)
        reason = error.message if isinstance(error, ApplicationError) else f"{type(error).__name__}: {error}"
        Report.objects.filter(pk=report_id).update(
            status=Report.Status.FAILED, error=str(reason)[:2000], finished_at=timezone.now()
        )
        return Report.objects.filter(pk=report_id).first()
    Report.objects.filter(pk=report_id).update(
        file=report.file.name, status=Report.Status.DONE, progress=100, finished_at=timezone.now()
    )
    return Report.objects.filter(pk=report_id).first()


def _progress(report_id: int, value: int) -> None:
    Report.objects.filter(pk=report_id, status=Report.Status.RUNNING).update(progress=value)


def _make(report: Report) -> tuple[bytes, str]:
    """The document's content and file name, in the active language."""
    fmt = report.fmt
    if report.round_id is not None:
        from .charts import report_charts
        from .data import round_report_data

        if fmt not in REGIONAL_FORMATS:
            raise ApplicationError(
                _("A regional report is made as DOCX or PDF, not as %(format)s.") % {"format": fmt}
            )
        data = round_report_data(report.round)
        _progress(report.pk, 40)
        charts = report_charts(data)
        if fmt == "pdf":
            from .pdf import regional_report_pdf

            content = regional_report_pdf(data, charts=charts)
        else:
            from .docx import regional_report_docx

            content = regional_report_docx(data, charts=charts)
        _progress(report.pk, 80)
        return content, regional_filename(data.labels["report"], data.region_label, data.round, fmt)
    if report.year:
        from . import national

        if fmt not in NATIONAL_FORMATS:
            raise ApplicationError(
                _("The national summary is made as DOCX, PDF or XLSX, not as %(format)s.") % {"format": fmt}
            )
        data = national.national_summary_data(report.year)
        _progress(report.pk, 40)
        writers = {
            "docx": national.national_summary_docx,
            "pdf": national.national_summary_pdf,
            "xlsx": national.national_summary_xlsx,
        }
        content = writers[fmt](data)
        _progress(report.pk, 80)
        return content, f"{safe_name(f'{data.kind_label} {report.year}')}.{fmt}"
    raise ApplicationError(_("The report names neither a round nor a year."))


def regional_filename(kind: str, region: str, round, fmt: str) -> str:
    """Мониторингов_доклад_Софийска_област_01.01.2016-30.06.2017.docx"""
    period = f"{round.period_start:%d.%m.%Y}-{round.period_end:%d.%m.%Y}"
    return f"{safe_name(f'{kind} {region}')}_{period}.{fmt}"
