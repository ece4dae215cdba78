"""Meetings of a body, their minutes, numbered decisions and the follow-up of their deadlines."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.concurrency import check_revision
from socplan.core.exceptions import ApplicationError
from socplan.organizations import selectors as org_selectors
from socplan.organizations.models import Body, Membership, Organization

from .. import selectors
from ..models import AgendaItem, Attendance, Deadline, Decision, FollowUp, Meeting

MEETING_FIELDS = (
    "title", "composition", "number", "date", "starts_at", "place", "status", "invitation_number", "invitation_date",
    "opening", "closing", "approved_by", "approved_by_position", "chair", "chair_position", "prepared_by",
    "prepared_by_position",
)


def _editable(user, meeting: Meeting) -> None:
    if not selectors.meeting_can_edit(user=user, meeting=meeting):
        raise PermissionDenied


def _touch(meeting: Meeting) -> None:
    """A change inside the minutes (agenda, attendance, decisions) moves the meeting's revision on."""
    Meeting.objects.filter(pk=meeting.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    meeting.revision = Meeting.objects.values_list("revision", flat=True).get(pk=meeting.pk)


@transaction.atomic
def meeting_save(*, user, meeting: Meeting | None = None, body: Body | None = None, expected_revision: int | None = None, **fields) -> Meeting:
    """Plan a meeting (its attendance list starts from the body's current members) or change it."""
    new = meeting is None
    if new:
        if body is None or not org_selectors.body_can_edit(user=user, body=body):
            raise PermissionDenied
        meeting = Meeting(body=body)
    else:
        meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
        _editable(user, meeting)
        check_revision(current=meeting.revision, expected=expected_revision, what=_("these minutes"))
        meeting.revision += 1
    for name, value in fields.items():
        if name in MEETING_FIELDS:
            setattr(meeting, name, value)
    if new and not meeting.chair:
        chair = meeting.body.memberships.filter(role=Membership.Role.CHAIR, end_date__isnull=True).first()
        if chair is not None:
            meeting.chair, meeting.chair_position = chair.person_name, chair.position
    meeting.full_clean()
    meeting.save()
    if new:
        _attendance_from_body(meeting)
    return meeting


@transaction.atomic
def attendance_from_body(*, user, meeting: Meeting) -> int:
    """Add the members sitting on the meeting's date (core members; all of them for an extended
    meeting) who are not on the list yet."""
    _editable(user, meeting)
    added = _attendance_from_body(meeting)
    _touch(meeting)
    return added


def _attendance_from_body(meeting: Meeting) -> int:
    members = meeting.body.memberships.filter(start_date__lte=meeting.date).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=meeting.date)
    )
    if meeting.composition == Membership.Composition.CORE:
        members = members.filter(composition=Membership.Composition.CORE)
    listed = set(meeting.attendance.exclude(membership=None).values_list("membership_id", flat=True))
    added = 0
    for member in members.select_related("organization"):
        if member.pk in listed:
            continue
        position = member.position or (member.organization.name if member.organization_id else "")
        Attendance.objects.create(meeting=meeting, membership=member, person_name=member.person_name, position=position)
        added += 1
    return added


@transaction.atomic
def attendance_set(*, user, meeting: Meeting, present_ids: list[int], guests: list[tuple[str, str]] = ()) -> None:
    """Mark who was present (by attendance row) and add guests (name, position)."""
    _editable(user, meeting)
    meeting.attendance.update(present=False)
    meeting.attendance.filter(pk__in=present_ids).update(present=True)
    for name, position in guests:
        if name.strip():
            Attendance.objects.create(meeting=meeting, person_name=name.strip(), position=position.strip(), is_guest=True, present=True)
    _touch(meeting)


@transaction.atomic
def agenda_item_save(*, user, meeting: Meeting, item: AgendaItem | None = None, title: str, presenters: str = "", minutes: str = "") -> AgendaItem:
    _editable(user, meeting)
    if not title.strip():
        raise ValidationError({"title": _("Enter the agenda item.")})
    if item is None:
        last = meeting.agenda.aggregate(m=Max("position"))["m"] or 0
        item = AgendaItem(meeting=meeting, position=last + 1)
    elif item.meeting_id != meeting.pk:
        raise PermissionDenied
    item.title, item.presenters, item.minutes = title.strip(), presenters.strip(), minutes.strip()
    item.full_clean()
    item.save()
    _touch(meeting)
    return item


@transaction.atomic
def agenda_item_delete(*, user, item: AgendaItem) -> None:
    _editable(user, item.meeting)
    if item.decisions.exists():
        raise ApplicationError(_("A decision was taken on this item: delete the decision first."))
    meeting = item.meeting
    item.delete()
    for position, other in enumerate(meeting.agenda.order_by("position"), 1):
        if other.position != position:
            AgendaItem.objects.filter(pk=other.pk).update(position=position)
    _touch(meeting)


@transaction.atomic
def decision_save(
    *, user, meeting: Meeting, text: str, decision: Decision | None = None, agenda_item: AgendaItem | None = None,
    number: int | None = None,
) -> Decision:
    _editable(user, meeting)
    if not text.strip():
        raise ValidationError({"text": _("Enter the text of the decision.")})
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise ValidationError({"agenda_item": _("The item is on another meeting's agenda.")})
    if decision is None:
        last = meeting.decisions.aggregate(m=Max("number"))["m"] or 0
        decision = Decision(meeting=meeting, number=number or last + 1)
    elif decision.meeting_id != meeting.pk:
        raise PermissionDenied
    if Decision.objects.filter(meeting=meeting, number=decision.number).exclude(pk=decision.pk).exists():
        raise ValidationError({"number": _("Decision №%(n)s of this meeting already exists.") % {"n": decision.number}})
    decision.text, decision.agenda_item = text.strip(), agenda_item
    decision.full_clean()
    decision.save()
    _touch(meeting)
    return decision


@transaction.atomic
def decision_delete(*, user, decision: Decision) -> None:
    """Delete a decision entered by mistake (with its follow-ups, unless one was already closed)."""
    _editable(user, decision.meeting)
    if decision.follow_ups.exclude(status=FollowUp.Status.OPEN).exists():
        raise ApplicationError(_("A deadline of this decision was already carried out: the decision cannot be deleted."))
    if decision.rounds.exists():
        raise ApplicationError(_("A monitoring round was set by this decision: it cannot be deleted."))
    meeting = decision.meeting
    decision.follow_ups.all().delete()
    decision.delete()
    _touch(meeting)


@transaction.atomic
def follow_ups_add(
    *, user, decision: Decision, task: str, due_on: datetime.date, responsible: list[Organization], deadline: Deadline | None = None,
) -> list[FollowUp]:
    """A deadline of a decision, one follow-up per responsible organisation."""
    _editable(user, decision.meeting)
    if not task.strip():
        raise ValidationError({"task": _("Say what is to be done.")})
    if not responsible:
        raise ValidationError({"responsible": _("Choose at least one responsible organisation.")})
    if due_on < decision.meeting.date:
        raise ValidationError({"due_on": _("The deadline cannot be before the meeting.")})
    host = decision.meeting.body.organization
    if deadline is not None and deadline.round.region_id not in (None, host.region_id):
        raise ValidationError({"deadline": _("The round deadline belongs to another region.")})
    made = []
    for organization in responsible:
        if host.region_id and organization.region_id not in (None, host.region_id):
            raise ValidationError({"responsible": _("%(org)s is not in the body's region.") % {"org": organization}})
        follow_up, created = FollowUp.objects.get_or_create(
            decision=decision, responsible=organization, task=task.strip()[:500], due_on=due_on,
            defaults={"deadline": deadline},
        )
        if not created and deadline is not None and follow_up.deadline_id != deadline.pk:
            follow_up.deadline = deadline
            follow_up.save(update_fields=["deadline", "updated_at"])
        made.append(follow_up)
    _touch(decision.meeting)
    return made


@transaction.atomic
def follow_up_close(*, user, follow_up: FollowUp, note: str = "", cancel: bool = False) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update(of=("self",)).select_related("decision__meeting").get(pk=follow_up.pk)
    if not selectors.follow_up_can_close(user=user, follow_up=follow_up):
        raise PermissionDenied
    if follow_up.status != FollowUp.Status.OPEN:
        raise ApplicationError(_("This follow-up was already closed by %(who)s.") % {"who": follow_up.closed_by or "socplan"})
    follow_up.status = FollowUp.Status.CANCELLED if cancel else FollowUp.Status.DONE
    follow_up.closed_at, follow_up.closed_by, follow_up.note = timezone.now(), user, note.strip()
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_reopen(*, user, follow_up: FollowUp) -> FollowUp:
    _editable(user, follow_up.decision.meeting)
    follow_up.status, follow_up.closed_at, follow_up.closed_by = FollowUp.Status.OPEN, None, None
    follow_up.save()
    return follow_up
