"""Pages of monitoring rounds: the overview, rounds and their completeness, filling and reviewing
reports, and the generated regional report."""

from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.core.http import attachment_header
from socplan.core.scoping import scope_for
from socplan.organizations import selectors as org_selectors
from socplan.plans import selectors as plan_selectors

from .. import forms_engine, selectors, services
from ..forms import AssignForm, CommentForm, CouncilDecisionForm, FileForm, RoundForm
from ..models import FormTemplate, Report, Round, Submission, SubmissionFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed(user, pk: int) -> Round:
    round = selectors.round_get(user=user, pk=pk)
    if not selectors.round_can_manage(user=user, round=round):
        raise PermissionDenied
    return round


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return _("You may not do this.")
    return str(getattr(exc, "message", exc))


# --- Overview -----------------------------------------------------------------------------------


@login_required
def overview(request):
    user = request.user
    today = timezone.localdate()
    return render(
        request,
        "monitoring/overview.html",
        {
            "to_fill": list(selectors.my_submissions(user=user)[:20]),
            "to_review": list(selectors.to_review(user=user)[:20]),
            "rounds": list(selectors.round_list(user=user).exclude(status=Round.Status.CLOSED)[:20]),
            "follow_ups": list(selectors.my_follow_ups(user=user)[:20]),
            "can_create": selectors.round_can_create(user=user),
            "today": today,
        },
    )


@login_required
def my_reports(request):
    submissions = (
        selectors.submission_list(user=request.user)
        .filter(assignment__respondent__in=sorted(_own(request.user)))
        .exclude(assignment__round__status=Round.Status.DRAFT)
        .order_by("-assignment__round__period_end", "assignment__template__name")
    )
    return render(request, "monitoring/my_reports.html", {"submissions": submissions[:200], "today": timezone.localdate()})


def _own(user) -> set[int]:
    return set(scope_for(user).write.organization_ids)


# --- Rounds -------------------------------------------------------------------------------------


@login_required
def round_list(request):
    status = request.GET.get("status", "")
    rounds = selectors.round_list(user=request.user, status=status if status in Round.Status.values else "")
    return render(
        request,
        "monitoring/round_list.html",
        {"rounds": rounds[:200], "status": status, "statuses": Round.Status.choices, "can_create": selectors.round_can_create(user=request.user)},
    )


def _round_form_kwargs(user) -> dict:
    organizers = selectors.organizers(user=user)
    region_ids = set(organizers.values_list("region_id", flat=True)) - {None}
    plans = plan_selectors.regional_strategies(user=user)
    if region_ids and not organizers.filter(region__isnull=True).exists():
        plans = plans.filter(region__in=region_ids)
    bodies = org_selectors.body_editable(user=user)
    return {"organizers": organizers, "plans": plans.order_by("-period_start"), "bodies": bodies}


@login_required
def round_create(request):
    if not selectors.round_can_create(user=request.user):
        raise PermissionDenied
    form = RoundForm(request.POST or None, **_round_form_kwargs(request.user))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.rounds.ROUND_FIELDS}
        try:
            round = services.round_create(user=request.user, deadlines=form.deadlines(), **data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The round was created. Now choose the templates and the respondents."))
            return redirect("monitoring:round_detail", pk=round.pk)
    return render(request, "monitoring/round_form.html", {"form": form})


@login_required
def round_edit(request, pk: int):
    round = selectors.round_get(user=request.user, pk=pk)
    if not selectors.round_can_manage(user=request.user, round=round):
        raise PermissionDenied
    form = RoundForm(request.POST or None, instance=round, **_round_form_kwargs(request.user))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.rounds.ROUND_FIELDS}
        try:
            services.round_update(user=request.user, round=round, expected_revision=request.POST.get("revision"), **data)
            for kind, title, due_on in form.deadlines():
                services.deadline_set(user=request.user, round=round, kind=kind, title=title, due_on=due_on)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The round was saved."))
            return redirect("monitoring:round_detail", pk=round.pk)
    return render(request, "monitoring/round_form.html", {"form": form, "round": round})


@login_required
def round_detail(request, pk: int):
    round = selectors.round_get(user=request.user, pk=pk)
    manage = selectors.round_can_manage(user=request.user, round=round)
    if not manage and not selectors.round_readable(user=request.user, round=round):
        # A respondent reaches the round through their own reports only.
        raise Http404
    board = selectors.completeness(round=round)
    assign_form = None
    if manage and round.status != Round.Status.CLOSED:
        templates = selectors.template_list()
        chosen = request.GET.get("template")
        template = templates.filter(pk=chosen).first() if chosen and chosen.isdigit() else None
        respondents = services.respondent_candidates(round=round, template=template) if template else None
        assigned = 0
        if template is not None:
            # Those already asked to fill this template are not offered again.
            done = round.assignments.filter(template=template, service__isnull=True).values("respondent")
            assigned = respondents.filter(pk__in=done).count()
            respondents = respondents.exclude(pk__in=done)
        assign_form = AssignForm(
            initial={"template": template}, templates=templates, respondents=respondents,
        )
        assign_form.chosen = template
        assign_form.already = assigned
    return render(
        request,
        "monitoring/round_detail.html",
        {
            "round": round,
            "board": board,
            "assign_form": assign_form,
            "reports": selectors.reports_of(round=round)[:10],
            "manage": manage,
            "today": timezone.localdate(),
            "state_labels": STATE_LABELS,
        },
    )


STATE_LABELS = {
    "not_started": _("not started"),
    "draft": _("draft"),
    "missing": _("missing (deadline passed)"),
    "submitted": _("submitted"),
    "late": _("submitted late"),
    "returned": _("returned for changes"),
    "accepted": _("accepted"),
}


@login_required
@require_POST
def round_assign(request, pk: int):
    round = _managed(request.user, pk)
    templates = selectors.template_list()
    template = templates.filter(pk=request.POST.get("template") or 0).first()
    if template is None:
        messages.error(request, _("Choose a template."))
        return redirect("monitoring:round_detail", pk=pk)
    form = AssignForm(request.POST, templates=templates, respondents=services.respondent_candidates(round=round, template=template))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("monitoring:round_detail", args=[pk]) + f"?template={template.pk}#assign")
    try:
        created = services.assignments_add(
            user=request.user, round=round, template=template, respondents=list(form.cleaned_data["respondents"]),
            needs_council_decision=form.cleaned_data["needs_council_decision"], per_service=form.cleaned_data["per_service"],
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, ngettext("%(n)s form was assigned.", "%(n)s forms were assigned.", created) % {"n": created})
    return redirect("monitoring:round_detail", pk=pk)


@login_required
@require_POST
def round_action(request, pk: int, action: str):
    round = _managed(request.user, pk)
    try:
        if action == "open":
            services.round_open(user=request.user, round=round)
            messages.success(request, _("The round is open: the respondents were notified by e-mail."))
        elif action == "close":
            services.round_close(user=request.user, round=round)
            messages.success(request, _("The round is closed: reports can no longer be changed."))
        else:
            raise Http404
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("monitoring:round_detail", pk=pk)


@login_required
def round_completeness_xlsx(request, pk: int):
    round = selectors.round_get(user=request.user, pk=pk)
    if not selectors.round_readable(user=request.user, round=round):
        raise Http404
    from openpyxl import Workbook

    board = selectors.completeness(round=round)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Completeness")[:31]
    sheet.append([_("Respondent"), _("Template"), _("State"), _("Submitted at"), _("Days late"), _("Council decision")])
    for row in board.rows:
        s = row.submission
        sheet.append([
            s.assignment.respondent.name, s.assignment.template.name, str(STATE_LABELS[row.state]),
            timezone.localtime(s.first_submitted_at).replace(tzinfo=None) if s.first_submitted_at else None,
            row.late_days or None, s.council_decision or None,
        ])
    for column, width in zip("ABCDEF", (45, 50, 24, 18, 10, 20), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = attachment_header(f"{round.name[:80]} — completeness.xlsx", f"round-{round.pk}-completeness.xlsx")
    return response


@login_required
@require_POST
def round_report(request, pk: int):
    round = _managed(request.user, pk)
    fmt = request.POST.get("fmt", "docx")
    try:
        report = services.report_request(user=request.user, round=round, fmt=fmt, language=get_language() or "bg")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("monitoring:round_detail", pk=pk)
    return redirect("monitoring:report", pk=report.pk)


@login_required
def report(request, pk: int):
    report = selectors.report_get(user=request.user, pk=pk)
    template = "monitoring/partials/_report_status.html" if request.htmx else "monitoring/report.html"
    return render(request, template, {"report": report})


@login_required
def report_download(request, pk: int):
    report = selectors.report_get(user=request.user, pk=pk)
    if report.status != Report.Status.DONE or not report.file:
        raise Http404
    name = report.file.name.rsplit("/", 1)[-1]
    response = FileResponse(report.file.open("rb"))
    response["Content-Disposition"] = attachment_header(name, f"monitoring-report-{report.pk}.{report.fmt}")
    return response


@login_required
def national_summary(request):
    if not selectors.reads_national(user=request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            year = int(request.POST.get("year", ""))
            report = services.report_request(user=request.user, year=year, fmt=request.POST.get("fmt", "docx"), language=get_language() or "bg")
        except (ValueError, ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc) if not isinstance(exc, ValueError) else _("Choose a year."))
        else:
            return redirect("monitoring:report", pk=report.pk)
    years = sorted({r.period_end.year for r in Round.objects.only("period_end")}, reverse=True) or [timezone.localdate().year]
    reports = Report.objects.filter(round__isnull=True).order_by("-created_at")[:10]
    return render(request, "monitoring/national_summary.html", {"years": years, "reports": reports})


# --- Reports (submissions) ----------------------------------------------------------------------


def _form_layout(schema: dict, answers: dict, errors: list, files: dict) -> list[dict]:
    """Sections → items with their values and errors, ready for the template."""
    by_item: dict[str, list] = {}
    for error in errors:
        by_item.setdefault(error.item, []).append(error)
    sections = []
    for section in schema.get("sections", []):
        items = []
        for spec in section.get("items", []):
            key = spec["key"]
            item_errors = by_item.get(key, [])
            entry = {"spec": spec, "key": key, "errors": [e.message for e in item_errors if e.row is None]}
            if spec["type"] == "table":
                rows = []
                for index, row in enumerate(answers.get(key) or []):
                    cells = []
                    for column in spec["columns"]:
                        message = next((e.message for e in item_errors if e.row == index and e.column == column["key"]), "")
                        value = row.get(column["key"])
                        cells.append({"spec": column, "value": "" if value is None else value, "error": message,
                                      "shown": forms_engine.display(column, value), "name": f"t-{key}-{index}-{column['key']}"})
                    rows.append({"index": index, "ref": row.get("_ref", ""), "cells": cells})
                entry["rows"] = rows
                entry["blank"] = [{"spec": c, "value": "", "error": "", "name": f"t-{key}-__i__-{c['key']}"} for c in spec["columns"]]
                entry["next_index"] = len(rows)
            elif spec["type"] == "file":
                entry["files"] = files.get(key, [])
            else:
                value = answers.get(key)
                entry["value"] = "" if value is None else value
                entry["shown"] = forms_engine.display(spec, value)
            items.append(entry)
        sections.append({"title": section.get("title", ""), "help": section.get("help", ""), "items": items})
    return sections


def _submission_context(request, submission: Submission, *, answers=None, errors=()) -> dict:
    user = request.user
    assignment = submission.assignment
    files = {}
    attachments = list(submission.files.all())
    for f in attachments:
        if f.question:
            files.setdefault(f.question, []).append(f)
    can_fill = selectors.can_fill(user=user, submission=submission)
    editable = can_fill and submission.is_editable_by_respondent and assignment.round.status == Round.Status.OPEN
    deadlines = list(assignment.round.deadlines.order_by("due_on"))
    today = timezone.localdate()
    return {
        "submission": submission,
        "assignment": assignment,
        "round": assignment.round,
        "template": assignment.template,
        "sections": _form_layout(assignment.template.schema, submission.answers if answers is None else answers, list(errors), files),
        "errors": list(errors),
        "editable": editable,
        "can_fill": can_fill,
        "can_review": selectors.can_review(user=user, submission=submission) and submission.status == Submission.Status.SUBMITTED,
        "can_attach_decision": can_fill and assignment.round.status == Round.Status.OPEN
        and submission.status in (Submission.Status.SUBMITTED, Submission.Status.ACCEPTED) and not submission.council_decision,
        "attachments": [f for f in attachments if not f.question],
        "events": selectors.submission_events(submission),
        "deadlines": [{"deadline": d, "left": (d.due_on - today).days, "over": (today - d.due_on).days} for d in deadlines],
        "file_questions": [i for _s, i in forms_engine.items(assignment.template.schema) if i["type"] == "file"],
        "decision_form": CouncilDecisionForm(),
        "review_form": CommentForm(),
        "file_form": FileForm(),
        "today": today,
    }


@login_required
def submission(request, pk: int):
    submission = selectors.submission_get(user=request.user, pk=pk)
    if request.method == "POST":
        return _submission_post(request, submission)
    return render(request, "monitoring/submission.html", _submission_context(request, submission))


def _submission_post(request, submission: Submission):
    schema = submission.assignment.template.schema
    raw = forms_engine.from_post(schema, request.POST)
    action = request.POST.get("action", "save")
    revision = request.POST.get("revision")
    try:
        if action == "submit":
            checked = services.submission_submit(user=request.user, submission=submission, raw=raw, expected_revision=revision)
        else:
            checked = services.submission_save(user=request.user, submission=submission, raw=raw, expected_revision=revision)
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
        submission.refresh_from_db()
        context = _submission_context(request, submission, answers=forms_engine.check(schema, raw, for_submit=False).answers)
        context["stale"] = True
        return render(request, "monitoring/submission.html", context, status=409)
    submission.refresh_from_db()
    if action == "submit" and checked.ok:
        messages.success(request, _("The report was submitted for review."))
        return redirect("monitoring:submission", pk=submission.pk)
    if checked.errors:
        if action == "submit":
            messages.error(request, _("The report was saved as a draft but not submitted: correct the %(n)s marked fields.") % {"n": len(checked.errors)})
        else:
            messages.warning(request, _("The draft was saved. %(n)s fields need correcting before you submit.") % {"n": len(checked.errors)})
        return render(request, "monitoring/submission.html", _submission_context(request, submission, errors=checked.errors), status=200)
    messages.success(request, _("The draft was saved."))
    return redirect("monitoring:submission", pk=submission.pk)


@login_required
@require_POST
def submission_review(request, pk: int):
    submission = selectors.submission_get(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    revision = request.POST.get("revision")
    try:
        if request.POST.get("action") == "accept":
            services.submission_accept(user=request.user, submission=submission, comment=comment, expected_revision=revision)
            messages.success(request, _("The report was accepted."))
        else:
            services.submission_return(user=request.user, submission=submission, comment=comment, expected_revision=revision)
            messages.success(request, _("The report was returned to the respondent with your comment."))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("monitoring:submission", pk=pk)


@login_required
@require_POST
def submission_attach(request, pk: int):
    submission = selectors.submission_get(user=request.user, pk=pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
        return redirect("monitoring:submission", pk=pk)
    question = form.cleaned_data.get("question", "")
    try:
        services.submission_attach(
            user=request.user, submission=submission, file=form.cleaned_data["file"], question=question,
            purpose=SubmissionFile.Purpose.ANSWER if question else SubmissionFile.Purpose.ATTACHMENT,
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The file was attached."))
    return redirect("monitoring:submission", pk=pk)


@login_required
@require_POST
def submission_decision(request, pk: int):
    submission = selectors.submission_get(user=request.user, pk=pk)
    form = CouncilDecisionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("monitoring:submission", pk=pk)
    try:
        services.submission_decision(
            user=request.user, submission=submission, number=form.cleaned_data["number"], date=form.cleaned_data["date"],
            file=form.cleaned_data["file"],
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The council decision was attached."))
    return redirect("monitoring:submission", pk=pk)


@login_required
def submission_xlsx(request, pk: int):
    """The form as an XLSX to fill offline (with what was filled so far)."""
    submission = selectors.submission_get(user=request.user, pk=pk)
    from ..xlsx import form_workbook

    template = submission.assignment.template
    content = form_workbook(template, submission.answers, title=f"{submission.assignment.respondent} — {template.name}")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment_header(f"{template.name[:80]}.xlsx", f"{template.code}-v{template.version}.xlsx")
    return response


@login_required
@require_POST
def submission_upload(request, pk: int):
    submission = selectors.submission_get(user=request.user, pk=pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the filled XLSX file."))
        return redirect("monitoring:submission", pk=pk)
    try:
        checked = services.submission_upload(
            user=request.user, submission=submission, file=form.cleaned_data["file"], expected_revision=request.POST.get("revision")
        )
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, _("The file was not taken: %(reason)s") % {"reason": _error_text(exc)})
        return redirect("monitoring:submission", pk=pk)
    submission.refresh_from_db()
    if checked.errors:
        messages.warning(request, _("The answers were taken from the file as a draft; %(n)s fields need correcting.") % {"n": len(checked.errors)})
        return render(request, "monitoring/submission.html", _submission_context(request, submission, errors=checked.errors))
    messages.success(request, _("The answers were taken from the file as a draft. Check them and submit."))
    return redirect("monitoring:submission", pk=pk)


@login_required
def submission_file(request, pk: int):
    attached = selectors.submission_file_get(user=request.user, pk=pk)
    response = FileResponse(attached.file.open("rb"))
    response["Content-Disposition"] = attachment_header(attached.name, f"file-{attached.pk}")
    return response


# --- Templates --------------------------------------------------------------------------------


@login_required
def template_list(request):
    return render(
        request,
        "monitoring/template_list.html",
        {"templates": selectors.template_list(active_only=False), "can_build": selectors.organizers(user=request.user).exists()},
    )


@login_required
def template_detail(request, pk: int):
    template = get_object_or_404(FormTemplate, pk=pk)
    sections = _form_layout(template.schema, {}, [], {})
    return render(
        request,
        "monitoring/template_detail.html",
        {"template": template, "sections": sections, "can_edit": selectors.template_can_edit(user=request.user, template=template),
         "can_copy": selectors.organizers(user=request.user).exists()},
    )


@login_required
def template_xlsx(request, pk: int):
    template = get_object_or_404(FormTemplate, pk=pk)
    from ..xlsx import form_workbook

    response = HttpResponse(form_workbook(template, None, title=template.name), content_type=XLSX)
    response["Content-Disposition"] = attachment_header(f"{template.name[:80]}.xlsx", f"{template.code}-v{template.version}.xlsx")
    return response

