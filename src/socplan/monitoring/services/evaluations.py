"""Interim and final evaluations of a plan, and the update (new version) they lead to."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError
from socplan.plans import selectors as plan_selectors
from socplan.plans import services as plan_services
from socplan.plans.models import Node, Plan, PlanVersion

from ..models import Evaluation, Finding

EVALUATION_FIELDS = ("kind", "title", "period_start", "period_end", "evaluator", "summary", "version")


def _editable(user, plan: Plan) -> None:
    if not plan_selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied


@transaction.atomic
def evaluation_save(*, user, plan: Plan, evaluation: Evaluation | None = None, **fields) -> Evaluation:
    _editable(user, plan)
    if evaluation is None:
        evaluation = Evaluation(plan=plan, version=fields.get("version") or plan.current_version)
        if evaluation.version is None:
            raise ApplicationError(_("Only an adopted plan is evaluated."))
    elif evaluation.status == Evaluation.Status.COMPLETED:
        raise ApplicationError(_("A completed evaluation is not changed."))
    for name, value in fields.items():
        if name in EVALUATION_FIELDS and value is not None:
            setattr(evaluation, name, value)
    if evaluation.period_start is None or evaluation.period_end is None:
        raise ValidationError({"period_end": _("Enter the evaluated period.")})
    if evaluation.period_end < evaluation.period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    if (evaluation.period_start.year < plan.period_start or evaluation.period_end.year > plan.period_end):
        raise ValidationError({"period_end": _("The evaluated period must lie within the plan's period %(from)s–%(to)s.") % {"from": plan.period_start, "to": plan.period_end}})
    evaluation.full_clean()
    evaluation.save()
    return evaluation


@transaction.atomic
def finding_save(
    *, user, evaluation: Evaluation, heading: str, findings: str, recommendations: str = "", rating: str = Finding.Rating.NOT_ASSESSED,
    node_key=None, finding: Finding | None = None,
) -> Finding:
    _editable(user, evaluation.plan)
    if evaluation.status == Evaluation.Status.COMPLETED:
        raise ApplicationError(_("A completed evaluation is not changed."))
    if node_key and not Node.objects.filter(version=evaluation.version, key=node_key).exists():
        raise ValidationError({"node_key": _("The goal is not part of the evaluated version.")})
    if node_key and not heading.strip():
        node = Node.objects.get(version=evaluation.version, key=node_key)
        heading = f"{node.number} {node.title}".strip()
    if not heading.strip() or not findings.strip():
        raise ValidationError({"findings": _("Enter the goal and what was found.")})
    if finding is not None and finding.evaluation_id != evaluation.pk:
        raise PermissionDenied
    if finding is None:
        last = evaluation.findings.aggregate(m=Max("position"))["m"] or 0
        finding = Finding(evaluation=evaluation, position=last + 1)
    finding.node_key, finding.heading = node_key, heading.strip()[:500]
    finding.findings, finding.recommendations, finding.rating = findings.strip(), recommendations.strip(), rating
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def evaluation_complete(*, user, evaluation: Evaluation) -> Evaluation:
    _editable(user, evaluation.plan)
    if evaluation.status != Evaluation.Status.DRAFT:
        raise ApplicationError(_("The evaluation is already completed."))
    if not evaluation.findings.exists():
        raise ApplicationError(_("Record at least one finding before completing the evaluation."))
    evaluation.status, evaluation.completed_on = Evaluation.Status.COMPLETED, timezone.localdate()
    evaluation.save()
    return evaluation


@transaction.atomic
def evaluation_start_update(*, user, evaluation: Evaluation) -> PlanVersion:
    """Start the plan update the evaluation recommends (a new draft version), linked to it; its
    reason lists the recommendations."""
    _editable(user, evaluation.plan)
    if evaluation.status != Evaluation.Status.COMPLETED:
        raise ApplicationError(_("Complete the evaluation first."))
    if evaluation.leads_to_id:
        raise ApplicationError(_("This evaluation already led to version %(n)s.") % {"n": evaluation.leads_to.number})
    lines = [f"{evaluation.title}:"] + [
        f"– {f.heading}: {f.recommendations}" for f in evaluation.findings.all() if f.recommendations
    ]
    version = plan_services.version_create_update(user=user, plan=evaluation.plan, reason="\n".join(lines))
    evaluation.leads_to = version
    evaluation.save()
    return version


@transaction.atomic
def evaluation_link_update(*, user, evaluation: Evaluation, version: PlanVersion) -> Evaluation:
    _editable(user, evaluation.plan)
    if version.plan_id != evaluation.plan_id:
        raise ValidationError({"leads_to": _("The update belongs to another plan.")})
    if version.number <= evaluation.version.number:
        raise ValidationError({"leads_to": _("An evaluation leads to a later version than the one it evaluated.")})
    evaluation.leads_to = version
    evaluation.full_clean()
    evaluation.save()
    return evaluation
