"""Pages of the meetings of collegial bodies (the ЗМО and others): the list, a meeting with its
agenda, attendance, numbered decisions and their follow-ups, the minutes as DOCX, and the list of
the open follow-ups of the user's organisations and bodies.

The meeting page is one page with three sections (agenda, attendance, decisions). Each section's
forms post to their own URL; with htmx the section comes back in place, without it the browser is
redirected to the section (or, with errors, the page is shown again with the form filled in).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.core.http import attachment_header
from socplan.organizations import selectors as org_selectors
from socplan.organizations.models import Membership

from .. import selectors, services
from ..forms_meetings import (
    AgendaItemForm,
    AttendanceForm,
    DecisionForm,
    FollowUpCloseForm,
    FollowUpForm,
    MeetingForm,
)
from ..models import Decision, FollowUp, Meeting

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SERVICE_ERRORS = (ValidationError, ApplicationError)
SECTIONS = {
    "agenda": "monitoring/partials/_meeting_agenda.html",
    "attendance": "monitoring/partials/_meeting_attendance.html",
    "decisions": "monitoring/partials/_meeting_decisions.html",
}
# Fields of a body's last meeting that the next one usually repeats (place, who approves and
# who writes the minutes).
REPEATED = ("place", "approved_by", "approved_by_position", "prepared_by", "prepared_by_position")


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return _("You may not do this.")
    return str(getattr(exc, "message", exc))


def _next(request, default: str) -> str:
    """The page to go back to after a form posted from several pages (only a page of this site)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# --- The list and the meeting form -----------------------------------------------------------------


def _editable_bodies(user):
    return org_selectors.body_editable(user=user).filter(is_active=True).select_related("organization").order_by("name")


@login_required
def meeting_list(request):
    bodies = selectors.body_list(user=request.user).order_by("name")
    value = request.GET.get("body", "")
    body = bodies.filter(pk=int(value)).first() if value.isdigit() else None
    open_follow_ups = Count("decisions__follow_ups", filter=Q(decisions__follow_ups__status=FollowUp.Status.OPEN), distinct=True)
    meetings = (
        selectors.meeting_list(user=request.user, body=body)
        .annotate(n_decisions=Count("decisions", distinct=True), n_open=open_follow_ups)
        .order_by("-date", "-starts_at")
    )
    editable = _editable_bodies(request.user)
    context = {
        "page": Paginator(meetings, 50).get_page(request.GET.get("page")),
        "bodies": bodies,
        "body": body,
        "can_create": editable.exists(),
        "can_create_here": body is not None and editable.filter(pk=body.pk).exists(),
        "extra_query": f"body={body.pk}&" if body else "",
    }
    if request.htmx:
        return render(request, "monitoring/partials/_meeting_results.html", context)
    return render(request, "monitoring/meeting_list.html", context)


@login_required
def meeting_create(request):
    bodies = _editable_bodies(request.user)
    if not bodies.exists():
        raise PermissionDenied
    initial = {"date": timezone.localdate(), "status": Meeting.Status.PLANNED}
    value = request.GET.get("body", "")
    body = bodies.filter(pk=int(value)).first() if value.isdigit() else None
    if body is not None:
        initial["body"] = body
        if not body.has_extended_composition:
            initial["composition"] = Membership.Composition.CORE
        last = selectors.meeting_list(user=request.user, body=body).order_by("-date").first()
        if last is not None:
            initial.update({name: getattr(last, name) for name in REPEATED})
    form = MeetingForm(request.POST or None, bodies=bodies, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("revision", None)
        try:
            meeting = services.meeting_save(user=request.user, body=data.pop("body"), **data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            form.add_error("body", _("You may not plan meetings of this body."))
        else:
            count = meeting.attendance.count()
            messages.success(
                request,
                ngettext(
                    "The meeting was saved; %(n)s member of the body is on the attendance list.",
                    "The meeting was saved; %(n)s members of the body are on the attendance list.",
                    count,
                )
                % {"n": count},
            )
            return redirect("monitoring:meeting_detail", pk=meeting.pk)
    return render(request, "monitoring/meeting_form.html", {"form": form, "meeting": None})


@login_required
def meeting_update(request, pk: int):
    meeting = _editable_meeting(request, pk)
    form = MeetingForm(request.POST or None, instance=meeting, initial={"revision": meeting.revision})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        revision = data.pop("revision", None)
        try:
            services.meeting_save(user=request.user, meeting=meeting, expected_revision=revision, **data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("monitoring:meeting_detail", pk=pk)
    return render(request, "monitoring/meeting_form.html", {"form": form, "meeting": meeting})


# --- The meeting page ----------------------------------------------------------------------------


def _meeting(request, pk: int) -> tuple[Meeting, bool]:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return meeting, selectors.meeting_can_edit(user=request.user, meeting=meeting)


def _editable_meeting(request, pk: int) -> Meeting:
    meeting, can_edit = _meeting(request, pk)
    if not can_edit:
        raise PermissionDenied
    return meeting


def _decisions(meeting: Meeting) -> list[Decision]:
    follow_ups = FollowUp.objects.select_related("responsible", "deadline__round", "closed_by").order_by("due_on", "task", "responsible__name")
    return list(
        meeting.decisions.select_related("agenda_item").prefetch_related(Prefetch("follow_ups", queryset=follow_ups)).order_by("number")
    )


def _context(request, meeting: Meeting, can_edit: bool, **forms) -> dict:
    """Everything the meeting page and its sections show; `forms` replaces a blank form by one
    with the user's input and its errors."""
    today = timezone.localdate()
    attendance = list(meeting.attendance.select_related("membership").order_by("is_guest", "person_name"))
    decisions = _decisions(meeting)
    for decision in decisions:
        decision.follow_up_list = list(decision.follow_ups.all())
        for follow_up in decision.follow_up_list:
            follow_up.is_overdue = follow_up.status == FollowUp.Status.OPEN and follow_up.due_on < today
            follow_up.can_close = follow_up.status == FollowUp.Status.OPEN and (
                can_edit or selectors.follow_up_can_close(user=request.user, follow_up=follow_up)
            )
        decision.follow_up_form = forms.get(f"follow_up_{decision.pk}") or (
            FollowUpForm(prefix=f"fu{decision.pk}", body=meeting.body) if can_edit else None
        )
    agenda = list(meeting.agenda.order_by("position"))
    return {
        "meeting": meeting,
        "can_edit": can_edit,
        "agenda": agenda,
        "attendance": attendance,
        "members": [row for row in attendance if not row.is_guest],
        "guests": [row for row in attendance if row.is_guest],
        "present_count": sum(1 for row in attendance if row.present),
        "decisions": decisions,
        "today": today,
        "back": reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk}),
        "agenda_form": forms.get("agenda_form") or (AgendaItemForm(prefix="agenda") if can_edit else None),
        "attendance_form": forms.get("attendance_form") or (AttendanceForm(rows=attendance, prefix="att") if can_edit else None),
        "decision_form": forms.get("decision_form") or (DecisionForm(meeting=meeting, prefix="decision") if can_edit else None),
        "error": forms.get("error", ""),
    }


@login_required
def meeting_detail(request, pk: int):
    meeting, can_edit = _meeting(request, pk)
    return render(request, "monitoring/meeting_detail.html", _context(request, meeting, can_edit))


def _section(request, meeting: Meeting, section: str, context: dict) -> HttpResponse:
    response = render(request, SECTIONS[section], context)
    # A form that was swapped into a row (editing an item) answers with its whole section.
    response["HX-Retarget"] = f"#{section}"
    response["HX-Reswap"] = "outerHTML"
    return response


def _saved(request, meeting: Meeting, section: str, message: str) -> HttpResponse:
    if request.htmx:
        meeting = selectors.meeting_get(user=request.user, pk=meeting.pk)
        context = _context(request, meeting, True)
        context["saved"] = message
        return _section(request, meeting, section, context)
    messages.success(request, message)
    return redirect(reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk}) + f"#{section}")


def _failed(request, meeting: Meeting, section: str, **forms) -> HttpResponse:
    context = _context(request, meeting, True, **forms)
    if request.htmx:
        return _section(request, meeting, section, context)
    return render(request, "monitoring/meeting_detail.html", context)


@login_required
def meeting_minutes(request, pk: int):
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    try:
        # Imported here: the minutes writer is a separate module with its own (heavier) imports.
        from ..reports.minutes import minutes_docx
    except ModuleNotFoundError as exc:
        if exc.name != "socplan.monitoring.reports.minutes":
            raise
        messages.error(request, _("The minutes cannot be downloaded yet."))
        return redirect("monitoring:meeting_detail", pk=pk)
    content = minutes_docx(meeting)
    number = f" №{meeting.number}" if meeting.number else ""
    filename = f"{_('Minutes')}{number} {meeting.date:%d.%m.%Y}.docx"
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = attachment_header(filename, f"minutes-{meeting.date:%Y-%m-%d}.docx")
    return response


# --- Agenda ------------------------------------------------------------------------------------------


@login_required
@require_POST
def meeting_agenda_add(request, pk: int):
    meeting = _editable_meeting(request, pk)
    form = AgendaItemForm(request.POST, prefix="agenda")
    if form.is_valid():
        try:
            services.agenda_item_save(user=request.user, meeting=meeting, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, meeting, "agenda", _("The item was added to the agenda."))
    return _failed(request, meeting, "agenda", agenda_form=form)


@login_required
def meeting_agenda_edit(request, pk: int, item_pk: int):
    meeting = _editable_meeting(request, pk)
    item = get_object_or_404(meeting.agenda.all(), pk=item_pk)
    form = AgendaItemForm(request.POST or None, instance=item, prefix=f"item{item.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_item_save(user=request.user, meeting=meeting, item=item, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, meeting, "agenda", _("The agenda item was saved."))
    context = {"meeting": meeting, "item": item, "form": form}
    if request.htmx:
        return render(request, "monitoring/partials/_meeting_agenda_item_form.html", context)
    return render(request, "monitoring/meeting_agenda_form.html", context)


@login_required
@require_POST
def meeting_agenda_delete(request, pk: int, item_pk: int):
    meeting = _editable_meeting(request, pk)
    item = get_object_or_404(meeting.agenda.all(), pk=item_pk)
    try:
        services.agenda_item_delete(user=request.user, item=item)
    except SERVICE_ERRORS as exc:
        if request.htmx:
            return _failed(request, meeting, "agenda", error=_error_text(exc))
        messages.error(request, _error_text(exc))
        return redirect(reverse("monitoring:meeting_detail", kwargs={"pk": pk}) + "#agenda")
    return _saved(request, meeting, "agenda", _("The item was removed from the agenda."))


# --- Attendance --------------------------------------------------------------------------------------


@login_required
@require_POST
def meeting_attendance(request, pk: int):
    meeting = _editable_meeting(request, pk)
    rows = list(meeting.attendance.order_by("is_guest", "person_name"))
    form = AttendanceForm(request.POST, rows=rows, prefix="att")
    if form.is_valid():
        try:
            services.attendance_set(user=request.user, meeting=meeting, present_ids=form.present_ids(), guests=form.guests())
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, meeting, "attendance", _("The attendance list was saved."))
    return _failed(request, meeting, "attendance", attendance_form=form)


@login_required
@require_POST
def meeting_attendance_refresh(request, pk: int):
    """Put the body's members who are not on the list yet onto it (e.g. appointed after the
    meeting was planned, or the meeting was changed to the extended composition)."""
    meeting = _editable_meeting(request, pk)
    added = services.attendance_from_body(user=request.user, meeting=meeting)
    if added:
        message = ngettext("%(n)s member was added to the list.", "%(n)s members were added to the list.", added) % {"n": added}
    else:
        message = _("Every member of the body is on the list already.")
    return _saved(request, meeting, "attendance", message)


# --- Decisions and follow-ups ----------------------------------------------------------------------


@login_required
@require_POST
def decision_create(request, pk: int):
    meeting = _editable_meeting(request, pk)
    form = DecisionForm(request.POST, meeting=meeting, prefix="decision")
    if form.is_valid():
        try:
            decision = services.decision_save(user=request.user, meeting=meeting, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, meeting, "decisions", _("Decision №%(n)s was recorded. Add its deadlines.") % {"n": decision.number})
    return _failed(request, meeting, "decisions", decision_form=form)


def _editable_decision(request, pk: int) -> Decision:
    decision = selectors.decision_get(user=request.user, pk=pk)
    if not selectors.meeting_can_edit(user=request.user, meeting=decision.meeting):
        raise PermissionDenied
    return decision


@login_required
def decision_update(request, pk: int):
    decision = _editable_decision(request, pk)
    meeting = decision.meeting
    form = DecisionForm(request.POST or None, instance=decision, meeting=meeting, prefix=f"d{decision.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_save(user=request.user, meeting=meeting, decision=decision, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            return _saved(request, meeting, "decisions", _("Decision №%(n)s was saved.") % {"n": decision.number})
    context = {"meeting": meeting, "decision": decision, "form": form}
    if request.htmx:
        return render(request, "monitoring/partials/_meeting_decision_form.html", context)
    return render(request, "monitoring/meeting_decision_form.html", context)


@login_required
@require_POST
def decision_delete(request, pk: int):
    decision = _editable_decision(request, pk)
    meeting = decision.meeting
    try:
        services.decision_delete(user=request.user, decision=decision)
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(exc.messages) if hasattr(exc, "messages") else str(getattr(exc, "message", exc)))
        return redirect("monitoring:meeting_detail", pk=meeting.pk)
    messages.success(request, _("Decision №%(n)s was deleted.") % {"n": decision.number})
    return redirect("monitoring:meeting_detail", pk=meeting.pk)


@login_required
@require_POST
def follow_up_create(request, pk: int):
    decision = _editable_decision(request, pk)
    meeting = decision.meeting
    form = FollowUpForm(request.POST, prefix=f"fu{decision.pk}", body=meeting.body)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = services.follow_ups_add(
                user=request.user, decision=decision, task=data["task"], due_on=data["due_on"],
                responsible=data["responsible"], deadline=data.get("deadline"),
            )
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            message = ngettext(
                "The deadline was recorded for %(n)s organisation.", "The deadline was recorded for %(n)s organisations.", len(made)
            ) % {"n": len(made)}
            return _saved(request, meeting, "decisions", message)
    return _failed(request, meeting, "decisions", **{f"follow_up_{decision.pk}": form})


# --- Follow-ups ------------------------------------------------------------------------------------


@login_required
def follow_up_list(request):
    """The open follow-ups the user's organisations are responsible for, then those of the
    decisions of the bodies the user sees, the nearest deadline first."""
    today = timezone.localdate()
    mine = list(selectors.my_follow_ups(user=request.user).select_related("deadline"))
    for follow_up in mine:
        follow_up.can_close = True  # the responsible organisation's own people close it
        follow_up.is_overdue = follow_up.due_on < today
    others = selectors.follow_ups_of_bodies(user=request.user).exclude(pk__in=[f.pk for f in mine])
    page = Paginator(others, 50).get_page(request.GET.get("page"))
    editable: dict[int, bool] = {}
    for follow_up in page:
        meeting = follow_up.decision.meeting
        if meeting.pk not in editable:
            editable[meeting.pk] = selectors.follow_up_can_close(user=request.user, follow_up=follow_up)
        follow_up.can_close = editable[meeting.pk]
        follow_up.is_overdue = follow_up.due_on < today
    context = {
        "mine": mine,
        "page": page,
        "overdue_count": sum(1 for f in mine if f.is_overdue),
        "today": today,
        "back": reverse("monitoring:follow_up_list"),
        "extra_query": "",
    }
    return render(request, "monitoring/follow_up_list.html", context)


def _follow_up_context(request, follow_up: FollowUp) -> dict:
    meeting = follow_up.decision.meeting
    can_edit_meeting = selectors.meeting_can_edit(user=request.user, meeting=meeting)
    follow_up.is_overdue = follow_up.status == FollowUp.Status.OPEN and follow_up.due_on < timezone.localdate()
    follow_up.can_close = follow_up.status == FollowUp.Status.OPEN and selectors.follow_up_can_close(
        user=request.user, follow_up=follow_up
    )
    return {
        "follow_up": follow_up,
        "decision": follow_up.decision,
        "meeting": meeting,
        # The responsible organisation reads the decision here, not always the whole meeting.
        "meeting_visible": selectors.meeting_list(user=request.user).filter(pk=meeting.pk).exists(),
        "can_reopen": can_edit_meeting and follow_up.status != FollowUp.Status.OPEN,
        "close_form": FollowUpCloseForm(),
        "back": reverse("monitoring:follow_up_detail", kwargs={"pk": follow_up.pk}),
    }


@login_required
def follow_up_detail(request, pk: int):
    follow_up = selectors.follow_up_get(user=request.user, pk=pk)
    return render(request, "monitoring/follow_up_detail.html", _follow_up_context(request, follow_up))


@login_required
@require_POST
def follow_up_close(request, pk: int):
    """Close (done) or cancel a follow-up with a note. Posted from the meeting page, the list of
    follow-ups or the follow-up's page; `view` says which part to send back to htmx."""
    follow_up = selectors.follow_up_get(user=request.user, pk=pk)
    form = FollowUpCloseForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            follow_up = services.follow_up_close(
                user=request.user, follow_up=follow_up, note=form.cleaned_data["note"],
                cancel=form.cleaned_data["outcome"] == FollowUp.Status.CANCELLED,
            )
        except ApplicationError as exc:
            error = _error_text(exc)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    done = _("The follow-up was cancelled.") if follow_up.status == FollowUp.Status.CANCELLED else _("The follow-up was closed.")
    view = request.POST.get("view", "")
    if request.htmx and view == "meeting":
        meeting, can_edit = _meeting(request, follow_up.decision.meeting_id)
        context = _context(request, meeting, can_edit, error=error)
        context["saved"] = "" if error else done
        return _section(request, meeting, "decisions", context)
    if request.htmx and view == "list":
        follow_up = selectors.follow_up_get(user=request.user, pk=pk)
        follow_up.is_overdue = follow_up.status == FollowUp.Status.OPEN and follow_up.due_on < timezone.localdate()
        follow_up.can_close = follow_up.status == FollowUp.Status.OPEN
        context = {"follow_up": follow_up, "error": error, "back": reverse("monitoring:follow_up_list")}
        return render(request, "monitoring/partials/_follow_up_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(_next(request, reverse("monitoring:follow_up_detail", kwargs={"pk": pk})))


@login_required
@require_POST
def follow_up_reopen(request, pk: int):
    follow_up = selectors.follow_up_get(user=request.user, pk=pk)
    services.follow_up_reopen(user=request.user, follow_up=follow_up)
    messages.success(request, _("The follow-up is open again."))
    return redirect(_next(request, reverse("monitoring:follow_up_detail", kwargs={"pk": pk})))
