"""Pages of the incoming register (входящ дневник) and of the e-delivery inbox.

Who: the archive's users (archive.access): a directorate's staff keep their directorate's register
(and its departments'), the agency's national experts read every register and the administrators
keep all of them. An entry or a message outside the user's directorates answers 404. The numbers
are taken by register.register_entry_create; the robot (edelivery.robot) fills the inbox.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.core.scoping import can_edit

from . import register, services
from .access import archive_check, archive_visible, directorates_readable, directorates_writable
from .forms_register import InboxFilterForm, RegisterEntryForm, RegisterFilterForm, RegisterSettingsForm
from .models import InboxMessage, RegisterEntry, RegisterSettings

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000


def _read_logged(request, identifier: str, what: str, object_id) -> None:
    """Log the read when the identifier is a person's (a valid ЕГН or ЛНЧ, not an institution's ЕИК)."""
    kind = services.identifier_kind_of(identifier or "")
    if kind:
        services.person_read_log(
            request=request, person_identifier=identifier, identifier_kind=kind, object_type=what, object_id=object_id
        )


# --- The register ----------------------------------------------------------------------------------


def _entries(request):
    """The entries the user may read, filtered by the form in the query string."""
    entries = archive_visible(RegisterEntry.objects.select_related("directorate", "document_type", "team"), request.user)
    years = sorted(set(entries.values_list("year", flat=True).distinct()), reverse=True)
    form = RegisterFilterForm(request.GET or None, user=request.user, years=years)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["directorate"] is not None:
            entries = entries.filter(directorate=data["directorate"])
        if data["year"]:
            entries = entries.filter(year=data["year"])
        query = data["q"].strip()
        if query:
            condition = Q(number__icontains=query) | Q(sender__icontains=query) | Q(subject__icontains=query)
            if services.identifier_kind_of(query):
                # A search by a person's identifier is a read of their data, whatever it finds.
                condition |= Q(sender_identifier=query) | Q(dossier__person_identifier=query)
                _read_logged(request, query, "archive.register.search", "")
            entries = entries.filter(condition)
    return form, entries.order_by("-registered_at", "-pk")


@login_required
def register_list(request):
    archive_check(request.user)
    form, entries = _entries(request)
    writable = directorates_writable(request.user)
    chosen = form.cleaned_data.get("directorate") if form.is_bound and form.is_valid() else None
    # Links to the settings of the user's own directorates (an administrator: of the one chosen).
    settings_directorates = [chosen] if chosen is not None and writable.filter(pk=chosen.pk).exists() else list(writable[:6])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "archive/register_list.html", {
        "form": form,
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "extra_query": (query.urlencode() + "&") if query else "",
        "export_query": query.urlencode(),
        "can_register": writable.exists(),
        "settings_directorates": settings_directorates if len(settings_directorates) <= 5 else [],
    })


@login_required
def register_export(request):
    """The filtered register as CSV (UTF-8 with a BOM, so that Excel reads the Cyrillic)."""
    archive_check(request.user)
    _form, entries = _entries(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="incoming-register-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([
        _("Incoming number"), _("Date"), _("Time"), _("Directorate"), _("Received"), _("Sender"), _("Subject"),
        _("Document type"), _("Responsible team"), _("Note"),
    ])
    for entry in entries[:EXPORT_LIMIT]:
        moment = timezone.localtime(entry.registered_at)
        writer.writerow([
            entry.number, moment.strftime("%d.%m.%Y"), moment.strftime("%H:%M"), entry.directorate.name,
            entry.get_channel_display(), entry.sender, entry.subject, entry.document_type or "",
            entry.team or "", entry.note,
        ])
    return response


@login_required
def register_create(request):
    archive_check(request.user)
    form = RegisterEntryForm(request.POST or None, request.FILES or None, user=request.user)
    if not form.fields["directorate"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = register.register_entry_receive(
                directorate=data["directorate"], user=request.user, sender=data["sender"], subject=data["subject"],
                channel=data["channel"], sender_identifier=data["sender_identifier"], document_type=data["document_type"],
                note=data["note"], files=data["files"], into_dossier=data["into_dossier"],
            )
        except (ValidationError, ApplicationError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Registered with incoming number %(number)s.") % {"number": entry.number})
            return redirect("archive:register_detail", pk=entry.pk)
    directorate = form.fields["directorate"].initial
    return render(request, "archive/register_form.html", {
        "form": form,
        "next_number": register.next_number_preview(directorate=directorate) if directorate else "",
    })


@login_required
def register_detail(request, pk: int):
    archive_check(request.user)
    entry = get_object_or_404(
        archive_visible(
            RegisterEntry.objects.select_related("directorate", "document_type", "team", "dossier", "registered_by"),
            request.user,
        ),
        pk=pk,
    )
    message = InboxMessage.objects.filter(register_entry=entry).select_related("route").first()
    _read_logged(request, entry.dossier.person_identifier if entry.dossier else entry.sender_identifier, "archive.register_entry", entry.pk)
    return render(request, "archive/register_detail.html", {
        "entry": entry,
        "documents": entry.documents.select_related("document_type").order_by("pk"),
        "message": message,
        "dossier_visible": entry.dossier_id is not None,
    })


@login_required
def register_settings(request, directorate_pk: int):
    archive_check(request.user)
    directorate = get_object_or_404(directorates_readable(request.user), pk=directorate_pk)
    if not directorates_writable(request.user).filter(pk=directorate.pk).exists():
        raise PermissionDenied
    current = RegisterSettings.objects.filter(directorate=directorate).first() or RegisterSettings(
        directorate=directorate, code=register.default_code(directorate)
    )
    form = RegisterSettingsForm(request.POST or None, instance=current)
    if request.htmx and request.method == "GET":
        # The preview as the format is typed.
        preview_form = RegisterSettingsForm(request.GET, instance=current)
        preview, error = _preview(preview_form, directorate)
        return render(request, "archive/register_settings_preview.html", {"preview": preview, "error": error})
    if request.method == "POST" and form.is_valid():
        try:
            register.register_settings_save(
                directorate=directorate, code=form.cleaned_data["code"], number_format=form.cleaned_data["number_format"],
                drop_folder=form.cleaned_data["drop_folder"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The register settings are saved."))
            return redirect("archive:register_settings", directorate_pk=directorate.pk)
    preview, error = _preview(form, directorate) if form.is_bound else (
        register.next_number_preview(directorate=directorate, code=current.code, number_format=current.number_format), ""
    )
    return render(request, "archive/register_settings.html", {
        "form": form, "directorate": directorate, "preview": preview, "error": error,
    })


def _preview(form, directorate) -> tuple[str, str]:
    if form.is_valid():
        return register.next_number_preview(
            directorate=directorate, code=form.cleaned_data["code"], number_format=form.cleaned_data["number_format"]
        ), ""
    errors = form.errors.get("number_format") or form.errors.get("code") or []
    return "", " ".join(errors)


# --- The e-delivery inbox ------------------------------------------------------------------------------


@login_required
def inbox_list(request):
    archive_check(request.user)
    inbox = archive_visible(InboxMessage.objects.select_related("directorate", "route", "register_entry"), request.user)
    counts = dict(inbox.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    form = InboxFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["status"]:
            inbox = inbox.filter(status=form.cleaned_data["status"])
        query = form.cleaned_data["q"].strip()
        if query:
            inbox = inbox.filter(Q(sender_name__icontains=query) | Q(subject__icontains=query) | Q(external_id=query))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "archive/inbox_list.html", {
        "form": form,
        "page": Paginator(inbox.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page")),
        "extra_query": (query.urlencode() + "&") if query else "",
        "counts": [(value, label, counts.get(value, 0)) for value, label in InboxMessage.Status.choices],
    })


def _message_get(request, pk: int) -> InboxMessage:
    return get_object_or_404(
        archive_visible(
            InboxMessage.objects.select_related("directorate", "route", "register_entry", "register_entry__directorate"),
            request.user,
        ),
        pk=pk,
    )


@login_required
def inbox_detail(request, pk: int):
    from .edelivery.robot import reply_build

    archive_check(request.user)
    message = _message_get(request, pk)
    _read_logged(request, message.sender_identifier, "archive.inbox_message", message.pk)
    reply = None
    if message.register_entry_id and message.reply_sent_at:
        reply = reply_build(record=message, entry=message.register_entry)
    return render(request, "archive/inbox_detail.html", {
        "message": message,
        "reply": reply,
        "form_data": _flat(message.form_data),
        "can_retry": message.status == InboxMessage.Status.FAILED and can_edit(request.user, message),
    })


def _flat(data, prefix: str = "") -> list[tuple[str, str]]:
    """The form's data as (field, value) rows, nested fields written as person.first_name."""
    rows = []
    if isinstance(data, dict):
        for key, value in data.items():
            rows += _flat(value, f"{prefix}{key}.") if isinstance(value, dict | list) else [(f"{prefix}{key}", str(value))]
    elif isinstance(data, list):
        for n, value in enumerate(data, 1):
            rows += _flat(value, f"{prefix}{n}.") if isinstance(value, dict | list) else [(f"{prefix}{n}", str(value))]
    return rows


@login_required
@require_POST
def inbox_retry(request, pk: int):
    from .edelivery.robot import message_retry

    archive_check(request.user)
    message = _message_get(request, pk)
    if not can_edit(request.user, message):
        raise PermissionDenied
    if message.status != InboxMessage.Status.FAILED:
        messages.info(request, _("The message is not in a failed state."))
        return redirect("archive:inbox_detail", pk=message.pk)
    message = message_retry(message=message)
    if message.status == InboxMessage.Status.ANSWERED:
        messages.success(request, _("The message is registered with incoming number %(number)s and answered.") % {
            "number": message.register_entry.number})
    elif message.status == InboxMessage.Status.FAILED:
        messages.error(request, _("The message still cannot be processed: %(reason)s") % {"reason": message.error})
    else:
        messages.warning(request, _("The message was not finished; the robot tries it again within a minute: %(reason)s") % {
            "reason": message.error or "—"})
    return redirect("archive:inbox_detail", pk=message.pk)
