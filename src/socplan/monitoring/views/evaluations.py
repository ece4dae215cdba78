"""Pages of the evaluations of a plan (interim and final): the list on the plan, an evaluation with
its findings per goal, completing it, and the plan update it leads to.

They are pages of the plan: they read it with the plans app's selectors, and only those who may
edit the plan change its evaluations.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.plans import selectors as plan_selectors
from socplan.plans.models import Node, Plan

from .. import selectors, services
from ..forms_meetings import GOAL_LEVELS, EvaluationForm, EvaluationLinkForm, FindingForm
from ..models import Evaluation

SERVICE_ERRORS = (ValidationError, ApplicationError)


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(getattr(exc, "message", exc))


def _goals(evaluation: Evaluation) -> list[Node]:
    """The priorities and goals of the evaluated version, in the order of the document."""
    return [node for node in plan_selectors.node_rows(version=evaluation.version, prefetch=False) if node.level in GOAL_LEVELS]


def _evaluation(request, pk: int) -> tuple[Evaluation, bool]:
    evaluation = selectors.evaluation_get(user=request.user, pk=pk)
    return evaluation, plan_selectors.plan_can_edit(user=request.user, plan=evaluation.plan)


def _editable_evaluation(request, pk: int) -> Evaluation:
    evaluation, can_edit = _evaluation(request, pk)
    if not can_edit:
        raise PermissionDenied
    return evaluation


def _detail_url(evaluation: Evaluation, anchor: str = "") -> str:
    return reverse("monitoring:evaluation_detail", kwargs={"pk": evaluation.pk}) + (f"#{anchor}" if anchor else "")


# --- A plan's evaluations --------------------------------------------------------------------------


@login_required
def evaluation_list(request, plan_pk: int):
    plan = plan_selectors.plan_get(user=request.user, pk=plan_pk)
    can_edit = plan_selectors.plan_can_edit(user=request.user, plan=plan)
    return render(
        request,
        "monitoring/evaluation_list.html",
        {
            "plan": plan,
            "can_edit": can_edit,
            "evaluations": selectors.evaluation_list(user=request.user, plan=plan).order_by("period_end", "pk"),
        },
    )


def _default_period(plan: Plan) -> dict:
    start = datetime.date(plan.period_start, 1, 1)
    end = min(datetime.date(plan.period_end, 12, 31), timezone.localdate())
    return {"period_start": start, "period_end": max(start, end)}


@login_required
def evaluation_create(request, plan_pk: int):
    plan = plan_selectors.plan_get(user=request.user, pk=plan_pk)
    if not plan_selectors.plan_can_edit(user=request.user, plan=plan):
        raise PermissionDenied
    if plan.current_version_id is None:
        messages.error(request, _("Only an adopted plan is evaluated."))
        return redirect("monitoring:evaluation_list", plan_pk=plan.pk)
    initial = {"kind": Evaluation.Kind.INTERIM, **_default_period(plan)}
    form = EvaluationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            # The version evaluated is the one in force now (the service's default).
            evaluation = services.evaluation_save(user=request.user, plan=plan, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The evaluation was started. Record what was found about each goal."))
            return redirect("monitoring:evaluation_detail", pk=evaluation.pk)
    return render(request, "monitoring/evaluation_form.html", {"form": form, "plan": plan, "evaluation": None})


# --- One evaluation ----------------------------------------------------------------------------------


def _detail_context(request, evaluation: Evaluation, can_edit: bool, *, finding_form: FindingForm | None = None) -> dict:
    findings = list(evaluation.findings.order_by("position", "pk"))
    goals = _goals(evaluation)
    draft = evaluation.status == Evaluation.Status.DRAFT
    found = {f.node_key for f in findings if f.node_key}
    later = evaluation.plan.versions.filter(number__gt=evaluation.version.number)
    can_start = can_edit and not draft and evaluation.leads_to_id is None
    return {
        "evaluation": evaluation,
        "plan": evaluation.plan,
        "can_edit": can_edit,
        "editable": can_edit and draft,
        "findings": findings,
        "goals_without_finding": [node for node in goals if node.key not in found],
        "finding_form": finding_form or (FindingForm(goals=goals, prefix="finding") if can_edit and draft else None),
        "can_start_update": can_start,
        "link_form": EvaluationLinkForm(evaluation=evaluation) if can_start and later.exists() else None,
    }


@login_required
def evaluation_detail(request, pk: int):
    evaluation, can_edit = _evaluation(request, pk)
    return render(request, "monitoring/evaluation_detail.html", _detail_context(request, evaluation, can_edit))


@login_required
def evaluation_update(request, pk: int):
    evaluation = _editable_evaluation(request, pk)
    if evaluation.status == Evaluation.Status.COMPLETED:
        messages.info(request, _("A completed evaluation is not changed."))
        return redirect("monitoring:evaluation_detail", pk=pk)
    form = EvaluationForm(request.POST or None, instance=evaluation)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_save(user=request.user, plan=evaluation.plan, evaluation=evaluation, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("monitoring:evaluation_detail", pk=pk)
    return render(request, "monitoring/evaluation_form.html", {"form": form, "plan": evaluation.plan, "evaluation": evaluation})


@login_required
@require_POST
def evaluation_finding_add(request, pk: int):
    evaluation = _editable_evaluation(request, pk)
    form = FindingForm(request.POST, goals=_goals(evaluation), prefix="finding")
    if form.is_valid():
        try:
            services.finding_save(user=request.user, evaluation=evaluation, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The finding was recorded."))
            return redirect(_detail_url(evaluation, "findings"))
    return render(request, "monitoring/evaluation_detail.html", _detail_context(request, evaluation, True, finding_form=form))


@login_required
def evaluation_finding_edit(request, pk: int, finding_pk: int):
    evaluation = _editable_evaluation(request, pk)
    finding = get_object_or_404(evaluation.findings.all(), pk=finding_pk)
    if evaluation.status == Evaluation.Status.COMPLETED:
        messages.info(request, _("A completed evaluation is not changed."))
        return redirect(_detail_url(evaluation, f"finding-{finding.pk}"))
    form = FindingForm(request.POST or None, instance=finding, goals=_goals(evaluation))
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_save(user=request.user, evaluation=evaluation, finding=finding, **form.cleaned_data)
        except SERVICE_ERRORS as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The finding was saved."))
            return redirect(_detail_url(evaluation, f"finding-{finding.pk}"))
    return render(
        request, "monitoring/evaluation_finding_form.html", {"form": form, "evaluation": evaluation, "plan": evaluation.plan, "finding": finding}
    )


@login_required
@require_POST
def evaluation_complete(request, pk: int):
    evaluation = _editable_evaluation(request, pk)
    try:
        services.evaluation_complete(user=request.user, evaluation=evaluation)
    except SERVICE_ERRORS as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The evaluation is completed. Its recommendations can now start the plan's update."))
    return redirect("monitoring:evaluation_detail", pk=pk)


@login_required
@require_POST
def evaluation_start_update(request, pk: int):
    evaluation = _editable_evaluation(request, pk)
    try:
        version = services.evaluation_start_update(user=request.user, evaluation=evaluation)
    except SERVICE_ERRORS as exc:
        messages.error(request, _error_text(exc))
        return redirect("monitoring:evaluation_detail", pk=pk)
    messages.success(
        request,
        _("The update was started as version %(n)s, with the evaluation's recommendations as its reason.") % {"n": version.number},
    )
    return redirect(reverse("plans:plan-detail", kwargs={"pk": evaluation.plan_id}) + f"?v={version.number}")


@login_required
@require_POST
def evaluation_link_update(request, pk: int):
    """Link an update that was started on the plan's page to the evaluation that asked for it."""
    evaluation = _editable_evaluation(request, pk)
    form = EvaluationLinkForm(request.POST, evaluation=evaluation)
    if form.is_valid():
        try:
            services.evaluation_link_update(user=request.user, evaluation=evaluation, version=form.cleaned_data["version"])
        except SERVICE_ERRORS as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The evaluation is linked to the update."))
    else:
        messages.error(request, _("Choose the update."))
    return redirect("monitoring:evaluation_detail", pk=pk)
