"""A monitoring round from start to end: set up, assign, fill, submit, review, remind, close."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from socplan.core.concurrency import check_revision
from socplan.core.exceptions import ApplicationError
from socplan.core.files import upload_check
from socplan.organizations.models import Organization, RoleAssignment

from .. import forms_engine, selectors
from ..forms_engine import Checked
from ..models import (
    Assignment,
    Deadline,
    FollowUp,
    FormTemplate,
    Indicator,
    Reminder,
    ReviewEvent,
    Round,
    Submission,
    SubmissionFile,
    Value,
)
from ..prefill import Context, prefill

log = logging.getLogger(__name__)

ROUND_FIELDS = (
    "name", "region", "organizer", "body", "plan", "decision", "period_start", "period_end", "instructions",
    "remind_days_before", "on_track_from", "at_risk_from",
)


def _manage(user, round: Round) -> None:
    if not selectors.round_can_manage(user=user, round=round):
        raise PermissionDenied


def _touch(round: Round) -> None:
    Round.objects.filter(pk=round.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    round.revision = Round.objects.values_list("revision", flat=True).get(pk=round.pk)


@transaction.atomic
def round_create(*, user, deadlines: list[tuple[str, str, datetime.date]] = (), **fields) -> Round:
    """A new round (status "being prepared"), with its deadlines."""
    round = Round(**{k: v for k, v in fields.items() if k in ROUND_FIELDS})
    if not round.organizer_id:
        raise ValidationError({"organizer": _("Choose the organisation that runs the round.")})
    if not selectors.organizers(user=user).filter(pk=round.organizer_id).exists():
        raise PermissionDenied
    if round.region_id is None and round.organizer.region_id:
        round.region_id = round.organizer.region_id
    if round.plan_id and round.region_id and round.plan.region_id not in (None, round.region_id):
        raise ValidationError({"plan": _("The plan belongs to another region.")})
    round.full_clean()
    round.save()
    for kind, title, due_on in deadlines:
        deadline_set(user=user, round=round, kind=kind, title=title, due_on=due_on)
    return round


@transaction.atomic
def round_update(*, user, round: Round, expected_revision: int | None = None, **fields) -> Round:
    round = Round.objects.select_for_update(of=("self",)).get(pk=round.pk)
    _manage(user, round)
    check_revision(current=round.revision, expected=expected_revision, what=_("this round"))
    if round.status == Round.Status.CLOSED:
        raise ApplicationError(_("The round is closed: it cannot be changed."))
    for name, value in fields.items():
        if name in ROUND_FIELDS and name not in ("organizer", "region"):
            setattr(round, name, value)
    round.full_clean()
    round.revision += 1
    round.save()
    return round


@transaction.atomic
def deadline_set(*, user, round: Round, kind: str, title: str, due_on: datetime.date) -> Deadline:
    _manage(user, round)
    if round.status == Round.Status.CLOSED:
        raise ApplicationError(_("The round is closed: it cannot be changed."))
    if due_on < round.period_end:
        raise ValidationError({"due_on": _("A deadline cannot be before the end of the reporting period (%(end)s).") % {"end": f"{round.period_end:%d.%m.%Y}"}})
    deadline = Deadline.objects.filter(round=round, kind=kind).first() or Deadline(round=round, kind=kind)
    deadline.title, deadline.due_on = title.strip() or str(Deadline.Kind(kind).label), due_on
    deadline.full_clean()
    deadline.save()
    others = {d.kind: d.due_on for d in round.deadlines.all()}
    if others.get(Deadline.Kind.COUNCIL_DECISION) and others.get(Deadline.Kind.SUBMISSION) and (
        others[Deadline.Kind.COUNCIL_DECISION] < others[Deadline.Kind.SUBMISSION]
    ):
        raise ValidationError({"due_on": _("The council decisions cannot be due before the reports themselves.")})
    return deadline


def respondent_candidates(*, round: Round, template: FormTemplate):
    """The organisations of the round's region that may fill this template."""
    kinds = selectors.RESPONDENT_KINDS[template.respondent]
    qs = Organization.objects.filter(kind__in=kinds, is_active=True)
    if round.region_id:
        qs = qs.filter(region_id=round.region_id)
    return qs.order_by("kind", "name")


@transaction.atomic
def assignments_add(
    *, user, round: Round, template: FormTemplate, respondents: list[Organization], needs_council_decision: bool = False,
    per_service: bool = False,
) -> int:
    """Ask each respondent to fill the template (once; asking again changes nothing).

    `per_service`: one form per service the respondent provides (the provider's yearly report).
    """
    _manage(user, round)
    if round.status == Round.Status.CLOSED:
        raise ApplicationError(_("The round is closed: it cannot be changed."))
    if not template.is_active:
        raise ValidationError({"template": _("This template is no longer in use.")})
    allowed = set(respondent_candidates(round=round, template=template).values_list("pk", flat=True))
    created = 0
    for respondent in respondents:
        if respondent.pk not in allowed:
            raise ValidationError(
                {"respondents": _("%(org)s cannot be asked to fill “%(template)s” in this round.") % {"org": respondent, "template": template}}
            )
        services = [None]
        if per_service:
            from socplan.social_services.models import Service

            services = list(
                Service.objects.filter(provider=respondent, region_id=round.region_id or respondent.region_id)
                .exclude(status=Service.Status.CLOSED)
                .order_by("name")
            ) or [None]
        for service in services:
            assignment, made = Assignment.objects.get_or_create(
                round=round, template=template, respondent=respondent, service=service,
                defaults={"needs_council_decision": needs_council_decision},
            )
            if made:
                submission = Submission.objects.create(assignment=assignment)
                submission.answers = prefill(submission)
                submission.save(update_fields=["answers"])
                created += 1
    _touch(round)
    return created


@transaction.atomic
def assignment_remove(*, user, assignment: Assignment) -> None:
    _manage(user, assignment.round)
    submission = assignment.submission
    if submission.status != Submission.Status.NOT_STARTED:
        raise ApplicationError(_("%(org)s has already started this report: it cannot be removed.") % {"org": assignment.respondent})
    assignment.delete()


def _recipients(organization_ids) -> list[str]:
    return sorted(
        {
            email
            for email in RoleAssignment.objects.filter(organization__in=organization_ids, is_active=True, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        }
    )


def _mail(subject: str, body: str, recipients: list[str]) -> None:
    if not recipients:
        return
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # noqa: BLE001 - a mail server that is down must not undo the action
        log.exception("Could not send the e-mail “%s”", subject)


def _link(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


@transaction.atomic
def round_open(*, user, round: Round) -> Round:
    round = Round.objects.select_for_update(of=("self",)).get(pk=round.pk)
    _manage(user, round)
    if round.status != Round.Status.DRAFT:
        raise ApplicationError(_("Only a round being prepared can be opened."))
    if not round.assignments.exists():
        raise ApplicationError(_("Assign the templates to respondents before opening the round."))
    due = round.deadlines.filter(kind=Deadline.Kind.SUBMISSION).first()
    if due is None:
        raise ApplicationError(_("Set the deadline for the reports before opening the round."))
    round.status, round.opened_at = Round.Status.OPEN, timezone.now()
    round.revision += 1
    round.save()
    respondents = list(round.assignments.values_list("respondent_id", flat=True).distinct())
    with override("bg"):
        subject = _("Monitoring round: %(name)s") % {"name": round.name}
        body = _(
            "You are asked to report for the period %(start)s – %(end)s by %(due)s.\n"
            "Open socplan to see and fill your forms: %(link)s"
        ) % {
            "start": f"{round.period_start:%d.%m.%Y}", "end": f"{round.period_end:%d.%m.%Y}",
            "due": f"{due.due_on:%d.%m.%Y}", "link": _link("monitoring:my_reports"),
        }
    recipients = _recipients(respondents)
    transaction.on_commit(lambda: _mail(subject, body, recipients))
    return round


@transaction.atomic
def round_close(*, user, round: Round) -> Round:
    round = Round.objects.select_for_update(of=("self",)).get(pk=round.pk)
    _manage(user, round)
    if round.status != Round.Status.OPEN:
        raise ApplicationError(_("Only an open round can be closed."))
    round.status, round.closed_at = Round.Status.CLOSED, timezone.now()
    round.revision += 1
    round.save()
    return round


# --- Filling and review -------------------------------------------------------------------------


def _locked(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("assignment__round", "assignment__template", "assignment__respondent")
        .get(pk=submission.pk)
    )


def _fillable(user, submission: Submission, expected_revision) -> None:
    if not selectors.can_fill(user=user, submission=submission):
        raise PermissionDenied
    round = submission.assignment.round
    if round.status == Round.Status.CLOSED:
        raise ApplicationError(_("The round was closed on %(date)s: reports can no longer be changed or submitted.") % {"date": f"{timezone.localtime(round.closed_at):%d.%m.%Y}" if round.closed_at else ""})
    if round.status != Round.Status.OPEN:
        raise ApplicationError(_("The round is not open yet."))
    check_revision(current=submission.revision, expected=expected_revision, what=_("this report"))
    if not submission.is_editable_by_respondent:
        raise ApplicationError(
            _("The report is “%(status)s”: it can be changed only when the reviewer returns it.") % {"status": submission.get_status_display()}
        )


def _keep_files(schema: dict, answers: dict, submission: Submission) -> dict:
    """File questions are answered by uploads, not by the form: keep what was attached."""
    for _section, item in forms_engine.items(schema):
        if item["type"] == "file":
            ids = list(submission.files.filter(question=item["key"]).values_list("pk", flat=True))
            answers[item["key"]] = ids or None
    return answers


@transaction.atomic
def submission_save(*, user, submission: Submission, raw: dict, expected_revision: int | None = None) -> Checked:
    """Save a draft: everything typed is kept, even values with errors (they are listed)."""
    submission = _locked(submission)
    _fillable(user, submission, expected_revision)
    schema = submission.assignment.template.schema
    checked = forms_engine.check(schema, forms_engine.protect(schema, raw, submission.answers), for_submit=False)
    submission.answers = _keep_files(schema, checked.answers, submission)
    if submission.status == Submission.Status.NOT_STARTED:
        submission.status = Submission.Status.DRAFT
    submission.revision += 1
    submission.save()
    return checked


@transaction.atomic
def submission_submit(*, user, submission: Submission, raw: dict | None = None, expected_revision: int | None = None) -> Checked:
    """Submit for review. With errors nothing is submitted, the answers are kept as a draft and the
    errors are returned; the caller shows them."""
    submission = _locked(submission)
    _fillable(user, submission, expected_revision)
    schema = submission.assignment.template.schema
    raw = submission.answers if raw is None else forms_engine.protect(schema, raw, submission.answers)
    checked = forms_engine.check(schema, raw, for_submit=True)
    submission.answers = _keep_files(schema, checked.answers, submission)
    if checked.errors:
        checked = forms_engine.check(schema, submission.answers, for_submit=True)
    submission.revision += 1
    if checked.errors:
        if submission.status == Submission.Status.NOT_STARTED:
            submission.status = Submission.Status.DRAFT
        submission.save()
        return checked
    now = timezone.now()
    submission.status = Submission.Status.SUBMITTED
    submission.submitted_at, submission.submitted_by = now, user
    submission.first_submitted_at = submission.first_submitted_at or now
    submission.save()
    ReviewEvent.objects.create(submission=submission, action=ReviewEvent.Action.SUBMITTED, by=user)
    _follow_ups_close(submission, Deadline.Kind.SUBMISSION, user)
    return checked


def _reviewable(user, submission: Submission, expected_revision) -> None:
    if not selectors.can_review(user=user, submission=submission):
        raise PermissionDenied
    check_revision(current=submission.revision, expected=expected_revision, what=_("this report"))
    if submission.status != Submission.Status.SUBMITTED:
        raise ApplicationError(
            _("The report is “%(status)s”, not submitted: someone may have reviewed it already.") % {"status": submission.get_status_display()}
        )


@transaction.atomic
def submission_return(*, user, submission: Submission, comment: str, expected_revision: int | None = None) -> Submission:
    submission = _locked(submission)
    _reviewable(user, submission, expected_revision)
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should be changed.")})
    submission.status = Submission.Status.RETURNED
    submission.reviewed_at, submission.reviewed_by, submission.review_comment = timezone.now(), user, comment.strip()
    submission.revision += 1
    submission.save()
    ReviewEvent.objects.create(submission=submission, action=ReviewEvent.Action.RETURNED, by=user, comment=comment.strip())
    assignment = submission.assignment
    with override("bg"):
        subject = _("Your report was returned: %(template)s") % {"template": assignment.template.name}
        body = _("The reviewer returned your report with this comment:\n\n%(comment)s\n\nOpen it: %(link)s") % {
            "comment": comment.strip(), "link": _link("monitoring:submission", submission.pk),
        }
    recipients = _recipients([assignment.respondent_id])
    transaction.on_commit(lambda: _mail(subject, body, recipients))
    return submission


@transaction.atomic
def submission_accept(*, user, submission: Submission, comment: str = "", expected_revision: int | None = None) -> Submission:
    """Accept a report; the indicator values it gives become the values of the period."""
    submission = _locked(submission)
    _reviewable(user, submission, expected_revision)
    submission.status = Submission.Status.ACCEPTED
    submission.reviewed_at, submission.reviewed_by, submission.review_comment = timezone.now(), user, comment.strip()
    submission.revision += 1
    submission.save()
    ReviewEvent.objects.create(submission=submission, action=ReviewEvent.Action.ACCEPTED, by=user, comment=comment.strip())
    values_from_submission(submission=submission, user=user)
    return submission


def values_from_submission(*, submission: Submission, user) -> int:
    """Write the indicator values of an accepted report: rows of an indicator table ("_ref":
    "indicator:ID", column "value") and number questions mapped to an indicator code."""
    ctx = Context(submission)
    round = ctx.round
    plan = ctx.plan()
    unit = ctx.unit_code()
    found: dict[int, tuple[Decimal, str]] = {}
    schema = submission.assignment.template.schema
    by_code = {}
    if plan is not None:
        by_code = {i.code: i.pk for i in Indicator.objects.filter(plan=plan).exclude(code="")}
    allowed = set(Indicator.objects.filter(plan=plan).values_list("pk", flat=True)) if plan is not None else set()
    for _section, item in forms_engine.items(schema):
        answer = submission.answers.get(item["key"])
        if item["type"] == "table":
            if item.get("prefill") != "indicators":
                continue
            for row in answer or []:
                kind, _sep, ident = str(row.get("_ref", "")).partition(":")
                if kind != "indicator" or not ident.isdigit() or int(ident) not in allowed:
                    continue
                if row.get("value") not in (None, ""):
                    found[int(ident)] = (Decimal(str(row["value"])), str(row.get("comment") or ""))
        elif item.get("indicator") and answer not in (None, "") and item["indicator"] in by_code:
            found[by_code[item["indicator"]]] = (Decimal(str(answer)), "")
    indicators = {
        i.pk: i for i in Indicator.objects.filter(pk__in=list(found)).exclude(value_type=Indicator.ValueType.TEXT)
    }
    municipality = ctx.municipality
    region_id = municipality.region_id if municipality else ctx.respondent.region_id
    written = 0
    for indicator_id, (number, comment) in found.items():
        if indicator_id not in indicators:
            continue
        value, made = Value.objects.get_or_create(
            indicator_id=indicator_id, period_start=round.period_start, period_end=round.period_end, unit_code=unit,
            defaults={
                "value": number, "comment": comment, "submission": submission, "recorded_by": user,
                "municipality": municipality, "region_id": region_id,
            },
        )
        if not made:
            value.value, value.comment, value.submission, value.recorded_by = number, comment, submission, user
            value.revision += 1
            value.save()
        written += 1
    return written


def _follow_ups_close(submission: Submission, kind: str, user) -> None:
    assignment = submission.assignment
    FollowUp.objects.filter(
        deadline__round=assignment.round, deadline__kind=kind, responsible=assignment.respondent, status=FollowUp.Status.OPEN
    ).update(status=FollowUp.Status.DONE, closed_at=timezone.now(), closed_by=user, note=_("Closed by the report in socplan."))


@transaction.atomic
def submission_attach(*, user, submission: Submission, file, purpose: str = SubmissionFile.Purpose.ATTACHMENT, question: str = "") -> SubmissionFile:
    submission = _locked(submission)
    _fillable(user, submission, None)
    if question and question not in forms_engine.item_map(submission.assignment.template.schema):
        raise ValidationError({"question": _("The form has no such question.")})
    digest = upload_check(file)
    attached = SubmissionFile(
        submission=submission, purpose=purpose, question=question, file=file, name=file.name[:255], sha256=digest,
        size=file.size, uploaded_by=user,
    )
    attached.save()
    if question:
        answers = dict(submission.answers)
        answers[question] = sorted(set((answers.get(question) or []) + [attached.pk]))
        submission.answers = answers
    submission.revision += 1
    if submission.status == Submission.Status.NOT_STARTED:
        submission.status = Submission.Status.DRAFT
    submission.save()
    return attached


@transaction.atomic
def submission_decision(*, user, submission: Submission, number: str, date: datetime.date, file) -> Submission:
    """Attach the council decision adopting the report (after it was submitted)."""
    submission = _locked(submission)
    if not selectors.can_fill(user=user, submission=submission):
        raise PermissionDenied
    if submission.assignment.round.status == Round.Status.CLOSED:
        raise ApplicationError(_("The round is closed."))
    if submission.status not in (Submission.Status.SUBMITTED, Submission.Status.ACCEPTED):
        raise ApplicationError(_("Submit the report first; the council adopts the submitted report."))
    if not number.strip():
        raise ValidationError({"number": _("Enter the number of the decision.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("The decision cannot be dated in the future.")})
    if date < submission.assignment.round.period_end:
        raise ValidationError({"date": _("The decision cannot be older than the end of the reporting period.")})
    digest = upload_check(file, types=(".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".docx", ".doc", ".odt"))
    SubmissionFile.objects.create(
        submission=submission, purpose=SubmissionFile.Purpose.COUNCIL_DECISION, file=file, name=file.name[:255],
        sha256=digest, size=file.size, uploaded_by=user,
    )
    submission.council_decision, submission.council_decision_date = number.strip(), date
    submission.council_decision_at = timezone.now()
    submission.revision += 1
    submission.save()
    ReviewEvent.objects.create(
        submission=submission, action=ReviewEvent.Action.DECISION, by=user, comment=f"№{number.strip()}/{date:%d.%m.%Y}"
    )
    _follow_ups_close(submission, Deadline.Kind.COUNCIL_DECISION, user)
    return submission


@transaction.atomic
def submission_upload(*, user, submission: Submission, file, expected_revision: int | None = None) -> Checked:
    """Take the answers from a filled XLSX of the template (instead of typing them)."""
    from ..xlsx import WorkbookError, form_answers

    submission = _locked(submission)
    _fillable(user, submission, expected_revision)
    digest = upload_check(file, types=(".xlsx",), max_bytes=20 * 2**20)
    try:
        raw = form_answers(submission.assignment.template, file.read())
    except WorkbookError as error:
        raise ValidationError({"file": list(error.errors)}) from None
    file.seek(0)
    schema = submission.assignment.template.schema
    checked = forms_engine.check(schema, forms_engine.protect(schema, raw, submission.answers), for_submit=False)
    submission.answers = _keep_files(submission.assignment.template.schema, checked.answers, submission)
    if submission.status == Submission.Status.NOT_STARTED:
        submission.status = Submission.Status.DRAFT
    submission.revision += 1
    submission.save()
    SubmissionFile.objects.create(
        submission=submission, purpose=SubmissionFile.Purpose.UPLOAD, file=file, name=file.name[:255], sha256=digest,
        size=file.size, uploaded_by=user,
    )
    return checked


# --- Reminders ----------------------------------------------------------------------------------


def reminders_send(*, today: datetime.date | None = None) -> int:
    """E-mail the respondents whose reports are due soon or overdue, once per deadline and kind.

    Run daily by the background worker. The Reminder row is written in the same transaction as the
    decision to send, so a reminder is never sent twice, also when two workers run at once.
    """
    today = today or timezone.localdate()
    sent = 0
    deadlines = Deadline.objects.filter(round__status=Round.Status.OPEN).select_related("round")
    for deadline in deadlines:
        round = deadline.round
        if today > deadline.due_on:
            kind = Reminder.Kind.OVERDUE
        elif (deadline.due_on - today).days <= round.remind_days_before:
            kind = Reminder.Kind.BEFORE
        else:
            continue
        pending = Submission.objects.filter(assignment__round=round)
        if deadline.kind == Deadline.Kind.SUBMISSION:
            pending = pending.filter(status__in=[Submission.Status.NOT_STARTED, Submission.Status.DRAFT, Submission.Status.RETURNED])
        else:
            pending = pending.filter(assignment__needs_council_decision=True, council_decision="")
        pending = pending.exclude(assignment__reminders__deadline=deadline, assignment__reminders__kind=kind)
        for submission in pending.select_related("assignment__template", "assignment__respondent"):
            sent += _remind(submission, deadline, kind, today)
    return sent


def _remind(submission: Submission, deadline: Deadline, kind: str, today: datetime.date) -> int:
    assignment = submission.assignment
    recipients = _recipients([assignment.respondent_id])
    with transaction.atomic():
        _reminder, made = Reminder.objects.get_or_create(
            assignment=assignment, deadline=deadline, kind=kind, defaults={"recipients": ", ".join(recipients)}
        )
        if not made:
            return 0
        with override("bg"):
            if kind == Reminder.Kind.BEFORE:
                subject = _("Reminder: “%(what)s” is due on %(due)s") % {"what": deadline.title, "due": f"{deadline.due_on:%d.%m.%Y}"}
            else:
                subject = _("Overdue: “%(what)s” was due on %(due)s") % {"what": deadline.title, "due": f"{deadline.due_on:%d.%m.%Y}"}
            body = _("%(org)s — %(template)s (%(round)s).\nOpen the report: %(link)s") % {
                "org": assignment.respondent.name, "template": assignment.template.name, "round": assignment.round.name,
                "link": _link("monitoring:submission", submission.pk),
            }
        transaction.on_commit(lambda: _mail(subject, body, recipients))
    return 1
