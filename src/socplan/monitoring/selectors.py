"""The reads of monitoring: who may see and do what, rounds and their completeness, to-do lists."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from socplan.core.scoping import scope_for, visible
from socplan.organizations.models import Body, Organization
from socplan.plans import selectors as plan_selectors
from socplan.plans.models import Plan

from .models import (
    Deadline,
    Decision,
    Evaluation,
    FollowUp,
    FormTemplate,
    Indicator,
    Meeting,
    Report,
    ReviewEvent,
    Round,
    Submission,
    SubmissionFile,
    Value,
)

RESPONDENT_KINDS = {
    FormTemplate.Respondent.MUNICIPALITY: (Organization.Kind.MUNICIPALITY,),
    FormTemplate.Respondent.DIRECTORATE: (Organization.Kind.DSP, Organization.Kind.RDSP),
    FormTemplate.Respondent.PROVIDER: (Organization.Kind.PROVIDER, Organization.Kind.NGO, Organization.Kind.MUNICIPALITY),
    FormTemplate.Respondent.ANY: tuple(Organization.Kind.values),
}


# --- Who may do what ----------------------------------------------------------------------------


def _manage_q(user) -> Q:
    """The rounds a user runs: the regional administration's experts for their region, the
    organiser's own people (the agency for a national round), administrators everywhere."""
    scope = scope_for(user)
    if scope.is_administrator:
        return Q()
    q = Q(pk__in=[])
    if scope.write.region_ids:
        q |= Q(region__in=sorted(scope.write.region_ids))
    if scope.own_organization_ids:
        q |= Q(organizer__in=sorted(scope.own_organization_ids))
    return q


def round_managed(*, user) -> QuerySet[Round]:
    if user is None or not user.is_authenticated:
        return Round.objects.none()
    return Round.objects.filter(_manage_q(user))


def round_can_manage(*, user, round: Round) -> bool:
    return round_managed(user=user).filter(pk=round.pk).exists()


def reads_national(*, user) -> bool:
    """The national view (all regions' rounds and the national summary): those who read everything."""
    return scope_for(user).read.everything


def round_readable(*, user, round: Round) -> bool:
    """A round's page: its managers, and the national experts (who read everything)."""
    return round_can_manage(user=user, round=round) or reads_national(user=user)


def report_get(*, user, pk: int) -> Report:
    """A generated report: a round's for those who read the round, a national summary for those
    who read the whole country (or asked for it)."""
    report = get_object_or_404(Report.objects.select_related("round"), pk=pk)
    readable = (
        round_readable(user=user, round=report.round)
        if report.round_id
        else report.requested_by_id == user.pk or reads_national(user=user)
    )
    if not readable:
        raise Http404
    return report


def submission_file_get(*, user, pk: int) -> SubmissionFile:
    return get_object_or_404(visible(SubmissionFile.objects.all(), user), pk=pk)


def round_can_create(*, user) -> bool:
    scope = scope_for(user)
    return scope.is_administrator or bool(scope.write.region_ids) or bool(organizers(user=user).exists())


def organizers(*, user) -> QuerySet[Organization]:
    """The organisations in whose name a user may run a round."""
    scope = scope_for(user)
    kinds = (Organization.Kind.REGIONAL_ADMINISTRATION, Organization.Kind.AGENCY, Organization.Kind.RDSP)
    qs = Organization.objects.filter(kind__in=kinds, is_active=True)
    if scope.is_administrator:
        return qs
    return qs.filter(pk__in=sorted(scope.own_organization_ids))


def can_fill(*, user, submission: Submission) -> bool:
    """Only the respondent's own people fill a report (not the reviewers above them)."""
    scope = scope_for(user)
    respondent = submission.assignment.respondent_id
    return scope.is_administrator or respondent in scope.write.organization_ids


def can_review(*, user, submission: Submission) -> bool:
    """The round's managers review, but never their own organisation's report."""
    scope = scope_for(user)
    if not round_can_manage(user=user, round=submission.assignment.round):
        return False
    return scope.is_administrator or submission.assignment.respondent_id not in scope.own_organization_ids


# --- Indicators ---------------------------------------------------------------------------------


def indicator_list(*, user, plan: Plan | None = None, service=None) -> QuerySet[Indicator]:
    qs = visible(Indicator.objects.all(), user)
    if plan is not None:
        qs = qs.filter(plan=plan)
    if service is not None:
        qs = qs.filter(service=service)
    return qs.prefetch_related("targets").select_related("collected_by")


def indicator_get(*, user, pk: int) -> Indicator:
    return get_object_or_404(visible(Indicator.objects.select_related("plan", "service"), user), pk=pk)


def indicator_can_edit(*, user, indicator: Indicator) -> bool:
    if indicator.plan_id:
        return plan_selectors.plan_can_edit(user=user, plan=indicator.plan)
    from socplan.social_services import selectors as service_selectors

    return service_selectors.service_can_edit(user=user, service=indicator.service)


def value_list(*, user, indicator: Indicator) -> QuerySet[Value]:
    return (
        visible(Value.objects.filter(indicator=indicator), user)
        .select_related("municipality", "region", "recorded_by")
        .prefetch_related("evidence")
        .order_by("-period_end", "unit_code")
    )


# --- Templates ----------------------------------------------------------------------------------


def template_list(*, active_only: bool = True) -> QuerySet[FormTemplate]:
    qs = FormTemplate.objects.select_related("owner")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("name", "-version")


def template_can_edit(*, user, template: FormTemplate) -> bool:
    scope = scope_for(user)
    if scope.is_administrator:
        return True
    return template.owner_id is not None and template.owner_id in scope.own_organization_ids


# --- Rounds -------------------------------------------------------------------------------------


def round_list(*, user, region=None, status: str = "") -> QuerySet[Round]:
    qs = Round.objects.filter(_manage_q(user) | Q(pk__in=visible(Round.objects.all(), user).values("pk")))
    if region is not None:
        qs = qs.filter(region=region)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("region", "organizer", "plan").annotate(
        n_assignments=Count("assignments", distinct=True),
        n_in=Count(
            "assignments",
            filter=Q(assignments__submission__status__in=[Submission.Status.SUBMITTED, Submission.Status.ACCEPTED]),
            distinct=True,
        ),
    )


def round_get(*, user, pk: int) -> Round:
    return get_object_or_404(round_list(user=user), pk=pk)


def submission_list(*, user) -> QuerySet[Submission]:
    return visible(Submission.objects.all(), user).select_related(
        "assignment__round__region", "assignment__template", "assignment__respondent", "assignment__service"
    )


def submission_get(*, user, pk: int) -> Submission:
    return get_object_or_404(submission_list(user=user), pk=pk)


def submission_events(submission: Submission) -> QuerySet[ReviewEvent]:
    return submission.events.select_related("by").order_by("at", "id")


@dataclass
class CompletenessRow:
    submission: Submission
    state: str  # missing, draft, late, submitted, returned, accepted
    late_days: int = 0
    decision_due: bool = False


@dataclass
class Completeness:
    rows: list[CompletenessRow]
    deadlines: list[Deadline]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def percent_in(self) -> int:
        done = self.counts.get("submitted", 0) + self.counts.get("accepted", 0) + self.counts.get("late", 0)
        return round(100 * done / self.total) if self.total else 0


def _deadline(deadlines: list[Deadline], kind: str) -> Deadline | None:
    return next((d for d in deadlines if d.kind == kind), None)


def completeness(*, round: Round, today: datetime.date | None = None) -> Completeness:
    """Who submitted, on time or late, who is missing, what was returned — per assignment.

    A closed round is judged as of the day it was closed (its missing reports stop ageing)."""
    if today is None:
        today = timezone.localtime(round.closed_at).date() if round.closed_at else timezone.localdate()
    deadlines = list(round.deadlines.order_by("due_on"))
    due = _deadline(deadlines, Deadline.Kind.SUBMISSION)
    decision = _deadline(deadlines, Deadline.Kind.COUNCIL_DECISION)
    submissions = (
        Submission.objects.filter(assignment__round=round)
        .select_related("assignment__respondent__municipality", "assignment__template", "assignment__service")
        .order_by("assignment__respondent__name", "assignment__template__name")
    )
    rows, counts = [], {}
    for submission in submissions:
        status = submission.status
        late_days = 0
        submitted_on = timezone.localtime(submission.first_submitted_at).date() if submission.first_submitted_at else None
        if status in (Submission.Status.NOT_STARTED, Submission.Status.DRAFT):
            state = "missing" if due and today > due.due_on else "draft" if status == Submission.Status.DRAFT else "not_started"
            if due and today > due.due_on:
                late_days = (today - due.due_on).days
        elif status == Submission.Status.RETURNED:
            state = "returned"
        elif status == Submission.Status.ACCEPTED:
            state = "accepted"
        else:
            state = "submitted"
        if submitted_on and due and submitted_on > due.due_on and state in ("submitted", "accepted"):
            late_days = (submitted_on - due.due_on).days
            if state == "submitted":
                state = "late"
        needs_decision = bool(
            submission.assignment.needs_council_decision and not submission.council_decision and decision and today > decision.due_on
        )
        rows.append(CompletenessRow(submission, state, late_days, needs_decision))
        counts[state] = counts.get(state, 0) + 1
    return Completeness(rows, deadlines, counts)


def reports_of(*, round: Round) -> QuerySet[Report]:
    return round.reports.order_by("-created_at")


# --- To do ----------------------------------------------------------------------------------------


def my_submissions(*, user) -> QuerySet[Submission]:
    """Reports the user's organisations must fill or fix in open rounds, the nearest deadline first."""
    scope = scope_for(user)
    own = sorted(scope.write.organization_ids)
    if not own:
        return Submission.objects.none()
    return (
        Submission.objects.filter(assignment__respondent__in=own, assignment__round__status=Round.Status.OPEN)
        .exclude(status=Submission.Status.ACCEPTED)
        .select_related("assignment__round", "assignment__template", "assignment__respondent")
        .prefetch_related(Prefetch("assignment__round__deadlines", queryset=Deadline.objects.order_by("due_on")))
        .order_by("assignment__round__period_end")
    )


def to_review(*, user) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(
            assignment__round__in=round_managed(user=user), status=Submission.Status.SUBMITTED
        )
        .select_related("assignment__round", "assignment__template", "assignment__respondent")
        .order_by("submitted_at")
    )


def my_follow_ups(*, user) -> QuerySet[FollowUp]:
    """Open deadlines of decisions for which the user's organisations are responsible."""
    scope = scope_for(user)
    own = sorted(scope.own_organization_ids | scope.write.organization_ids)
    if not own:
        return FollowUp.objects.none()
    return (
        FollowUp.objects.filter(responsible__in=own, status=FollowUp.Status.OPEN)
        .select_related("decision__meeting__body", "responsible")
        .order_by("due_on")
    )


def follow_ups_of_bodies(*, user) -> QuerySet[FollowUp]:
    """Open follow-ups of the decisions of the meetings the user runs (may change)."""
    from socplan.core.scoping import editable

    meetings = editable(Meeting.objects.all(), user).values("pk")
    return (
        FollowUp.objects.filter(decision__meeting__in=meetings, status=FollowUp.Status.OPEN)
        .select_related("decision__meeting__body", "responsible")
        .order_by("due_on")
    )


# --- Meetings and evaluations -------------------------------------------------------------------


def body_list(*, user) -> QuerySet[Body]:
    return visible(Body.objects.filter(is_active=True), user).select_related("organization")


def meeting_list(*, user, body: Body | None = None) -> QuerySet[Meeting]:
    qs = visible(Meeting.objects.all(), user).select_related("body__organization")
    if body is not None:
        qs = qs.filter(body=body)
    return qs


def meeting_get(*, user, pk: int) -> Meeting:
    return get_object_or_404(meeting_list(user=user), pk=pk)


def meeting_can_edit(*, user, meeting: Meeting) -> bool:
    from socplan.core.scoping import editable

    return editable(Meeting.objects.filter(pk=meeting.pk), user).exists()


def decision_get(*, user, pk: int) -> Decision:
    return get_object_or_404(visible(Decision.objects.select_related("meeting__body"), user), pk=pk)


def follow_up_get(*, user, pk: int) -> FollowUp:
    qs = FollowUp.objects.filter(
        Q(pk__in=visible(FollowUp.objects.all(), user).values("pk")) | Q(decision__meeting__in=meeting_list(user=user).values("pk"))
    ).select_related("decision__meeting__body", "responsible")
    return get_object_or_404(qs, pk=pk)


def follow_up_can_close(*, user, follow_up: FollowUp) -> bool:
    scope = scope_for(user)
    if scope.is_administrator or follow_up.responsible_id in (scope.own_organization_ids | scope.write.organization_ids):
        return True
    return meeting_can_edit(user=user, meeting=follow_up.decision.meeting)


def evaluation_list(*, user, plan: Plan | None = None) -> QuerySet[Evaluation]:
    qs = visible(Evaluation.objects.all(), user).select_related("plan", "version", "leads_to")
    if plan is not None:
        qs = qs.filter(plan=plan)
    return qs


def evaluation_get(*, user, pk: int) -> Evaluation:
    return get_object_or_404(evaluation_list(user=user), pk=pk)
