"""The auditor's page of the personal-data access log: who read whose data, when, through what.

Only auditors read it (archive.access.auditor_check) — not administrators, not the archive's staff.
Reading the log is not itself a read of personal data (it is not written back into the log, which
would grow with every look at it), but each look is recorded in the application log for the
security audit.
"""

from __future__ import annotations

import csv
import datetime
import logging

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socplan.core.http import attachment_header
from socplan.core.models import PersonalDataAccess

from .access import auditor_check

log = logging.getLogger("socplan.archive.audit")

DATE = forms.DateInput(format="%d.%m.%Y", attrs={"placeholder": gettext_lazy("dd.mm.yyyy"), "inputmode": "numeric", "size": 10})
PAGE_SIZE = 50


class AccessLogFilterForm(forms.Form):
    person_identifier = forms.CharField(label=gettext_lazy("ЕГН/ЛНЧ"), required=False, max_length=20)
    user = forms.CharField(label=gettext_lazy("user"), required=False, max_length=150, help_text=gettext_lazy("User name or part of the name."))
    client = forms.CharField(label=gettext_lazy("system client"), required=False, max_length=150)
    date_from = forms.DateField(label=gettext_lazy("from"), required=False, widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("to"), required=False, widget=DATE)
    channel = forms.ChoiceField(
        label=gettext_lazy("channel"), required=False, choices=[("", gettext_lazy("all"))] + PersonalDataAccess.Channel.choices
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def access_log_filtered(data: dict) -> QuerySet[PersonalDataAccess]:
    """The log's rows matching the filter form's cleaned data, newest first."""
    qs = PersonalDataAccess.objects.select_related("user").order_by("-at", "-pk")
    if data.get("person_identifier"):
        qs = qs.filter(person_identifier=data["person_identifier"].strip())
    if data.get("user"):
        value = data["user"].strip()
        qs = qs.filter(Q(user__username__iexact=value) | Q(user__first_name__icontains=value) | Q(user__last_name__icontains=value))
    if data.get("client"):
        qs = qs.filter(client__icontains=data["client"].strip())
    if data.get("date_from"):
        qs = qs.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(at__lt=_day_start(data["date_to"] + datetime.timedelta(days=1)))
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    return qs


def _filters(request) -> tuple[AccessLogFilterForm, QuerySet[PersonalDataAccess]]:
    form = AccessLogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, PersonalDataAccess.objects.none()
    return form, access_log_filtered(form.cleaned_data if form.is_bound else {})


def _audit(request, what: str, form: AccessLogFilterForm) -> None:
    filters = {k: str(v) for k, v in (form.cleaned_data if form.is_bound and form.is_valid() else {}).items() if v}
    log.info("%s by %s (id %s) from %s, filters %s", what, request.user.get_username(), request.user.pk,
             request.META.get("REMOTE_ADDR", ""), filters)


@login_required
def access_log(request):
    auditor_check(request.user)
    form, rows = _filters(request)
    _audit(request, "access log read", form)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "extra_query": query.urlencode() + "&" if query else "",
        "export_query": query.urlencode(),
    }
    if request.htmx:
        return render(request, "archive/access_log_results.html", context)
    return render(request, "archive/access_log.html", context)


class _Echo:
    def write(self, value):
        return value


@login_required
def access_log_export(request):
    """The filtered log as CSV (UTF-8 with a BOM, so that spreadsheet programs read the Cyrillic)."""
    auditor_check(request.user)
    form, rows = _filters(request)
    _audit(request, "access log exported", form)
    writer = csv.writer(_Echo())
    header = [_("time"), _("user"), _("system client"), _("channel"), _("ЕГН/ЛНЧ"), _("identifier kind"), _("what was read"),
              _("object id"), _("purpose"), _("IP address"), _("address"), _("user agent")]
    channels = dict(PersonalDataAccess.Channel.choices)
    kinds = dict(PersonalDataAccess.IdentifierKind.choices)

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([
                timezone.localtime(row.at).strftime("%d.%m.%Y %H:%M:%S"),
                row.user.get_username() if row.user_id else "",
                row.client,
                str(channels.get(row.channel, row.channel)),
                row.person_identifier,
                str(kinds.get(row.identifier_kind, row.identifier_kind)),
                row.object_type,
                row.object_id,
                row.purpose,
                row.ip_address or "",
                row.path,
                row.user_agent,
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"{_('access-log')}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = attachment_header(name, f"access-log-{timezone.localdate():%Y-%m-%d}.csv")
    response["Cache-Control"] = "private, no-store"
    return response
