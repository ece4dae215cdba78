"""A plan's life: creation, public consultation, adoption, updates (актуализация), closing."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.concurrency import check_revision
from socplan.core.exceptions import ApplicationError
from socplan.core.scoping import scope_for
from socplan.organizations.models import Organization

from .. import selectors
from ..models import (
    AdoptionAct,
    Alignment,
    Comment,
    CommunicationItem,
    Consultation,
    FinancingLine,
    Node,
    PartnershipInstrument,
    Plan,
    PlanVersion,
    Responsibility,
    Stage,
    StakeholderRole,
)
from .tree import editable_version, touch

PLAN_FIELDS = ("kind", "title", "region", "municipality", "owner", "period_start", "period_end", "implements", "levels")


def _may_own(*, user, plan: Plan) -> bool:
    """Whether `user` could edit a plan with this territory and owner (the rule of selectors._write_q)."""
    scope = scope_for(user)
    if scope.is_administrator:
        return True
    write = scope.write
    if plan.municipality_id:
        if plan.municipality_id in write.municipality_ids:
            return True
    elif plan.region_id and plan.region_id in write.region_ids:
        return True
    return plan.owner_id in (write.organization_ids | scope.own_organization_ids)


@transaction.atomic
def plan_create(*, user, vision: str = "", introduction: str = "", **fields) -> Plan:
    """Create a plan with its first (draft) version."""
    plan = Plan(**{name: value for name, value in fields.items() if name in PLAN_FIELDS})
    if plan.municipality_id and not plan.region_id:
        plan.region_id = plan.municipality.region_id
    if plan.owner_id is None:
        raise ValidationError({"owner": _("Choose the organisation that owns the plan.")})
    if not plan.levels:
        plan.levels = list(Plan.DEFAULT_LEVELS.get(plan.kind, []))
    if not _may_own(user=user, plan=plan):
        raise PermissionDenied
    plan.status = Plan.Status.DRAFT
    plan.full_clean()
    plan.save()
    version = PlanVersion(plan=plan, number=1, vision=vision, introduction=introduction, created_by=user)
    version.full_clean()
    version.save()
    return plan


@transaction.atomic
def plan_update(*, user, plan: Plan, **fields) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    for name, value in fields.items():
        if name in ("kind", "region", "municipality") and getattr(plan, name) != value and plan.current_version_id:
            raise ApplicationError(_("The kind and territory of an adopted plan cannot be changed."))
        if name in PLAN_FIELDS:
            setattr(plan, name, value)
    if plan.municipality_id:
        plan.region_id = plan.municipality.region_id
    if not _may_own(user=user, plan=plan):
        raise PermissionDenied
    plan.full_clean()
    plan.save()
    return plan


VERSION_FIELDS = ("vision", "introduction", "first_number", "number_prefix", "reason")


@transaction.atomic
def version_update(*, user, version: PlanVersion, expected_revision: int | None = None, **fields) -> PlanVersion:
    version = editable_version(user=user, version=version)
    check_revision(current=version.revision, expected=expected_revision)
    renumber_needed = any(
        name in fields and fields[name] != getattr(version, name) for name in ("first_number", "number_prefix")
    )
    for name, value in fields.items():
        if name in VERSION_FIELDS:
            setattr(version, name, value)
    version.full_clean()
    version.save()
    if renumber_needed:
        from .tree import renumber

        renumber(version)
    touch(version)
    return version


@transaction.atomic
def consultation_open(*, user, version: PlanVersion, opens_on: datetime.date, closes_on: datetime.date) -> Consultation:
    """Publish a draft for public discussion (at least 30 days for the kinds the law names)."""
    version = editable_version(user=user, version=version)
    plan = version.plan
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("The consultation closes before it opens.")})
    days = (closes_on - opens_on).days + 1
    if plan.needs_consultation and days < Plan.MIN_CONSULTATION_DAYS:
        raise ValidationError(
            {
                "closes_on": _(
                    "A public consultation of a %(kind)s lasts at least %(min)s days (ЗСУ чл. 38); this one lasts %(days)s."
                )
                % {"kind": plan.get_kind_display(), "min": Plan.MIN_CONSULTATION_DAYS, "days": days}
            }
        )
    if not version.nodes.exists() and not version.vision:
        raise ApplicationError(_("An empty plan cannot be published: add its vision and goals first."))
    consultation, _created = Consultation.objects.update_or_create(
        version=version, defaults={"opens_on": opens_on, "closes_on": closes_on}
    )
    version.status = PlanVersion.Status.CONSULTATION
    version.save(update_fields=["status", "updated_at"])
    if plan.current_version_id is None:
        plan.status = Plan.Status.CONSULTATION
    plan.is_public = True
    plan.save(update_fields=["status", "is_public", "updated_at"])
    touch(version)
    return consultation


@transaction.atomic
def consultation_withdraw(*, user, version: PlanVersion) -> PlanVersion:
    """Take a version back from consultation into draft for rework (comments are kept)."""
    version = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    if not selectors.plan_can_edit(user=user, plan=version.plan):
        raise PermissionDenied
    if version.status != PlanVersion.Status.CONSULTATION:
        raise ApplicationError(_("Only a version under consultation can be taken back."))
    version.status = PlanVersion.Status.DRAFT
    version.save(update_fields=["status", "updated_at"])
    plan = version.plan
    if plan.current_version_id is None:
        plan.status = Plan.Status.DRAFT
        plan.save(update_fields=["status", "updated_at"])
    touch(version)
    return version


@transaction.atomic
def version_adopt(
    *,
    user,
    version: PlanVersion,
    body: Organization,
    decision_number: str,
    adopted_on: datetime.date,
    protocol_number: str = "",
    signed_by: str = "",
    note: str = "",
) -> PlanVersion:
    """Record the adoption act; the version comes into force and the one before is superseded."""
    version = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    plan = version.plan
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    if version.status not in (PlanVersion.Status.DRAFT, PlanVersion.Status.CONSULTATION):
        raise ApplicationError(_("This version has already been adopted."))
    if plan.needs_consultation:
        consultation = Consultation.objects.filter(version=version).first()
        if consultation is None:
            raise ApplicationError(
                _("A %(kind)s is adopted only after a public consultation of at least %(days)s days.")
                % {"kind": plan.get_kind_display(), "days": Plan.MIN_CONSULTATION_DAYS}
            )
        if adopted_on <= consultation.closes_on:
            raise ValidationError(
                {"adopted_on": _("The plan can be adopted only after the consultation closes on %(date)s.")
                 % {"date": consultation.closes_on.strftime("%d.%m.%Y")}}
            )
    act = AdoptionAct(
        version=version,
        body=body,
        decision_number=decision_number.strip().lstrip("№").strip(),
        protocol_number=protocol_number.strip().lstrip("№").strip(),
        adopted_on=adopted_on,
        signed_by=signed_by,
        note=note,
    )
    act.full_clean()
    previous = plan.current_version
    if previous is not None and previous.adoption and adopted_on < previous.adoption.adopted_on:
        raise ValidationError({"adopted_on": _("An update cannot be adopted before the version it changes.")})
    act.save()
    if previous is not None:
        PlanVersion.objects.filter(pk=previous.pk).update(status=PlanVersion.Status.SUPERSEDED)
    version.status = PlanVersion.Status.ADOPTED
    version.save(update_fields=["status", "updated_at"])
    plan.current_version = version
    plan.is_public = True
    if plan.status in (Plan.Status.DRAFT, Plan.Status.CONSULTATION, Plan.Status.ADOPTED):
        started = timezone.localdate() >= datetime.date(plan.period_start, 1, 1)
        plan.status = Plan.Status.IN_FORCE if started else Plan.Status.ADOPTED
    plan.save(update_fields=["current_version", "is_public", "status", "updated_at"])
    touch(version)
    return version


@transaction.atomic
def plan_enter_into_force(*, user, plan: Plan) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    if plan.status != Plan.Status.ADOPTED:
        raise ApplicationError(_("Only an adopted plan can come into force."))
    plan.status = Plan.Status.IN_FORCE
    plan.save(update_fields=["status", "updated_at"])
    return plan


@transaction.atomic
def plan_close(*, user, plan: Plan) -> Plan:
    """Close a plan whose period is over (or that was replaced); it stays readable."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    if plan.status not in (Plan.Status.ADOPTED, Plan.Status.IN_FORCE):
        raise ApplicationError(_("Only an adopted plan can be closed."))
    plan.status = Plan.Status.CLOSED
    plan.save(update_fields=["status", "updated_at"])
    return plan


@transaction.atomic
def version_create_update(*, user, plan: Plan, reason: str) -> PlanVersion:
    """Start an update (актуализация): a new draft version copied from the version in force."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    if plan.current_version_id is None:
        raise ApplicationError(_("Only an adopted plan is updated; a draft is simply edited."))
    if plan.status == Plan.Status.CLOSED:
        raise ApplicationError(_("A closed plan cannot be updated."))
    if plan.versions.filter(status__in=[PlanVersion.Status.DRAFT, PlanVersion.Status.CONSULTATION]).exists():
        raise ApplicationError(_("An update of this plan is already being prepared."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan is being updated.")})
    source = plan.current_version
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        based_on=source,
        reason=reason.strip(),
        vision=source.vision,
        introduction=source.introduction,
        first_number=source.first_number,
        number_prefix=source.number_prefix,
        created_by=user,
    )
    copy_content(source=source, target=version)
    return version


def copy_content(*, source: PlanVersion, target: PlanVersion) -> None:
    """Copy the tree and the sections of one version into another, keeping the nodes' keys."""
    stage_map: dict[int, Stage] = {}
    for stage in source.stages.all():
        old_pk = stage.pk
        stage.pk = None
        stage.id = None
        stage.version = target
        stage._state.adding = True
        stage.save()
        stage_map[old_pk] = stage
    nodes = list(Node.objects.filter(version=source).prefetch_related("target_groups"))
    by_parent: dict[int | None, list[Node]] = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)
    node_map: dict[int, Node] = {}
    level = by_parent.get(None, [])
    while level:
        copies = []
        for node in level:
            copy = Node(
                version=target,
                parent=node_map[node.parent_id] if node.parent_id else None,
                key=node.key,
                **{
                    name: getattr(node, name)
                    for name in (
                        "level", "position", "number", "title", "description", "expected_results", "notes", "sector",
                        "responsible_text", "starts_on", "ends_on", "budget", "budget_currency",
                    )
                },
                stage=stage_map.get(node.stage_id),
            )
            copies.append(copy)
        Node.objects.bulk_create(copies)
        next_level = []
        for node, copy in zip(level, copies, strict=True):
            node_map[node.pk] = copy
            next_level.extend(by_parent.get(node.pk, []))
        level = next_level
    through = Node.target_groups.through
    through.objects.bulk_create(
        [
            through(node_id=node_map[node.pk].pk, targetgroup_id=group.pk)
            for node in nodes
            for group in node.target_groups.all()
        ]
    )
    FinancingLine.objects.bulk_create(
        [
            FinancingLine(
                node=node_map[line.node_id], source=line.source, programme=line.programme, amount=line.amount,
                currency=line.currency, year=line.year,
            )
            for line in FinancingLine.objects.filter(node__version=source)
        ]
    )
    Responsibility.objects.bulk_create(
        [
            Responsibility(node=node_map[item.node_id], organization_id=item.organization_id, role=item.role)
            for item in Responsibility.objects.filter(node__version=source)
        ]
    )
    Alignment.objects.bulk_create(
        [
            Alignment(node=node_map[item.node_id], target_plan_id=item.target_plan_id, target_key=item.target_key)
            for item in Alignment.objects.filter(node__version=source)
        ]
    )
    for model in (StakeholderRole, PartnershipInstrument, CommunicationItem):
        items = list(model.objects.filter(version=source))
        for item in items:
            item.pk = None
            item.id = None
            item.version = target
        model.objects.bulk_create(items)


# --- Comments ----------------------------------------------------------------------------------


@transaction.atomic
def comment_submit(
    *,
    version: PlanVersion,
    author_name: str,
    text: str,
    author_email: str = "",
    organization_name: str = "",
    node: Node | None = None,
) -> Comment:
    """A comment from anyone, while the consultation is open. It waits for moderation."""
    version = PlanVersion.objects.get(pk=version.pk)
    consultation = Consultation.objects.filter(version=version).first()
    if consultation is None or not consultation.is_open or version.status != PlanVersion.Status.CONSULTATION:
        raise ApplicationError(_("The public consultation of this plan is not open."))
    if node is not None and node.version_id != version.pk:
        raise ValidationError(_("The element belongs to another plan."))
    comment = Comment(
        consultation=consultation,
        node=node,
        author_name=author_name.strip(),
        author_email=author_email.strip(),
        organization_name=organization_name.strip(),
        text=text.strip(),
    )
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def comment_moderate(*, user, comment: Comment, status: str, answer: str = "") -> Comment:
    plan = comment.consultation.version.plan
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    if status not in Comment.Status.values:
        raise ValidationError(_("Unknown status."))
    comment.status = status
    comment.answer = answer.strip()
    comment.moderated_by = user
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def consultation_summary_save(*, user, consultation: Consultation, summary: str) -> Consultation:
    if not selectors.plan_can_edit(user=user, plan=consultation.version.plan):
        raise PermissionDenied
    consultation.summary = summary.strip()
    consultation.full_clean()
    consultation.save()
    return consultation
