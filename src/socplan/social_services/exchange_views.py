"""Pages for the exchange of the register as files: the import, the templates, and the export of the
list the register page shows (thin views over exchange.py)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socplan.core.http import attachment_header

from . import exchange, selectors, services, views
from .models import ExchangeJob

# The Bulgarian file names, and the ASCII names for clients that do not read RFC 5987 `filename*`.
TEMPLATE_NAMES = {
    "services": ("шаблон-социални-услуги", "template-social-services"),
    "occupancy": ("шаблон-заетост-на-услугите", "template-occupancy"),
}
EXPORT_NAMES = {
    "services": ("социални-услуги", "social-services"),
    "occupancy": ("заетост-на-услугите", "occupancy"),
}
# Rows of errors shown on the page; the rest are counted.
ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    """A file to import, and whether only to check it. Kept beside its only view."""

    file = forms.FileField(label=gettext_lazy("File (XLSX or CSV)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("Check only: report the errors and what would change, save nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > exchange.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB: split it into smaller files.")
                % {"size": exchange.MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


def _file_response(data: bytes, fmt: str, names: tuple[str, str]) -> HttpResponse:
    response = HttpResponse(data, content_type=exchange.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = attachment_header(f"{names[0]}.{fmt}", f"{names[1]}.{fmt}")
    return response


def _check(kind: str, fmt: str) -> None:
    if kind not in exchange.KINDS or fmt not in exchange.FORMATS:
        raise Http404


@login_required
def import_view(request):
    """Upload a services or occupancy file: check every row, then import all of it or nothing."""
    if not selectors.service_can_create(user=request.user):
        raise PermissionDenied
    kind = request.POST.get("kind", "") if request.method == "POST" else ""
    if request.method == "POST" and kind not in exchange.KINDS:
        raise Http404
    import_forms = {
        name: ImportForm(request.POST, request.FILES, prefix=name)
        if name == kind
        else ImportForm(prefix=name)
        for name in exchange.KINDS
    }
    if kind and import_forms[kind].is_valid():
        form = import_forms[kind]
        upload = form.cleaned_data["file"]
        try:
            job = services.exchange_job_start(
                user=request.user, kind=kind, data=upload.read(), filename=upload.name,
                dry_run=form.cleaned_data["dry_run"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("social_services:import-job", pk=job.pk)
    return render(
        request,
        "social_services/exchange_import.html",
        {
            "forms": [(name, import_forms[name]) for name in exchange.KINDS],
            "kind": kind,
            "jobs": ExchangeJob.objects.filter(created_by=request.user)[:10],
        },
    )


@login_required
def import_job(request, pk: int):
    """An import's progress while it runs (polled), then its report: the counts, or every row error."""
    job = get_object_or_404(ExchangeJob, pk=pk, created_by=request.user)
    report = job.report or {}
    errors = report.get("errors", [])
    context = {
        "job": job,
        "report": report,
        "errors": errors[:ERRORS_SHOWN],
        "more_errors": max(len(errors) - ERRORS_SHOWN, 0),
    }
    if request.htmx:
        return render(request, "social_services/partials/_import_job.html", context)
    return render(request, "social_services/exchange_job.html", context)


@login_required
def template_view(request, kind: str, fmt: str):
    """The template to fill in (XLSX with instructions, or CSV)."""
    _check(kind, fmt)
    data = exchange.template_xlsx(kind) if fmt == "xlsx" else exchange.template_csv(kind)
    return _file_response(data, fmt, TEMPLATE_NAMES[kind])


def _since(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@login_required
def export_view(request, kind: str, fmt: str):
    """The services the register page shows for the same filters, or their occupancy (from `?from=`
    YYYY-MM-DD on), in the columns of the template."""
    _check(kind, fmt)
    services = selectors.service_list(user=request.user, **views._filters(request))
    if kind == "services":
        data = exchange.export_services(services, fmt)
    else:
        data = exchange.export_occupancy(services, fmt, since=_since(request.GET.get("from", "")))
    today = timezone.localdate().isoformat()
    bulgarian, ascii_name = EXPORT_NAMES[kind]
    return _file_response(data, fmt, (f"{bulgarian}-{today}", f"{ascii_name}-{today}"))
