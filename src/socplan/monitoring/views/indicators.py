"""Pages of the logical framework: a plan's logframe, an indicator with its targets and values."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.core.http import attachment_header
from socplan.core.scoping import scope_for, visible
from socplan.plans import selectors as plan_selectors
from socplan.plans.models import Node
from socplan.territory.models import Municipality, Region

from .. import selectors, services
from ..aggregation import Book, progress
from ..forms import IndicatorForm, TargetForm, ValueForm
from ..models import Evidence, Indicator, Target
from .rounds import XLSX, _error_text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _plan_version(request, plan_pk: int):
    plan = plan_selectors.plan_get(user=request.user, pk=plan_pk)
    number = request.GET.get("v")
    version = plan_selectors.version_get(user=request.user, plan=plan, number=int(number) if number and number.isdigit() else None)
    return plan, version


@login_required
def logframe(request, plan_pk: int):
    plan, version = _plan_version(request, plan_pk)
    from ..logframe import logframe_rows

    rows = logframe_rows(plan, version)
    can_edit = plan_selectors.plan_can_edit(user=request.user, plan=plan)
    nodes = plan_selectors.node_rows(version=version, prefetch=False) if can_edit else []
    return render(
        request,
        "monitoring/logframe.html",
        {"plan": plan, "version": version, "rows": rows, "can_edit": can_edit, "nodes": nodes, "form": IndicatorForm()},
    )


@login_required
def logframe_export(request, plan_pk: int, fmt: str):
    plan, version = _plan_version(request, plan_pk)
    from ..logframe import logframe_docx, logframe_rows, logframe_xlsx

    rows = logframe_rows(plan, version)
    if fmt == "docx":
        content, content_type = logframe_docx(plan, version, rows), DOCX
    elif fmt == "xlsx":
        content, content_type = logframe_xlsx(plan, version, rows), XLSX
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment_header(
        f"{_('Logical framework')} — {plan.title[:80]}.{fmt}", f"logframe-{plan.pk}-v{version.number}.{fmt}"
    )
    return response


@login_required
def indicator_create(request, plan_pk: int):
    plan, version = _plan_version(request, plan_pk)
    if not plan_selectors.plan_can_edit(user=request.user, plan=plan):
        raise PermissionDenied
    node_key = request.GET.get("node") or request.POST.get("node_key") or ""
    try:
        node = Node.objects.filter(version=version, key=uuid.UUID(node_key)).first() if node_key else None
    except ValueError:
        node = None
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_save(
                user=request.user, plan=plan, node_key=node.key if node else None, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The indicator was added. Now set its targets."))
            return redirect("monitoring:indicator_detail", pk=indicator.pk)
    nodes = plan_selectors.node_rows(version=version, prefetch=False)
    return render(request, "monitoring/indicator_form.html", {"plan": plan, "version": version, "node": node, "nodes": nodes, "form": form})


@login_required
def service_indicators(request, service_pk: int):
    """The indicators of a service (users reached, results for users…), and a new one."""
    from socplan.social_services import selectors as service_selectors
    from socplan.social_services.models import Service

    service = get_object_or_404(visible(Service.objects.select_related("service_type", "municipality"), request.user), pk=service_pk)
    can_edit = service_selectors.service_can_edit(user=request.user, service=service)
    form = IndicatorForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                indicator = services.indicator_save(user=request.user, service=service, **form.cleaned_data)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The indicator was added. Now set its targets."))
                return redirect("monitoring:indicator_detail", pk=indicator.pk)
    indicators = selectors.indicator_list(user=request.user, service=service)
    return render(
        request, "monitoring/service_indicators.html",
        {"service": service, "indicators": indicators, "can_edit": can_edit, "form": form},
    )


@login_required
def indicator_edit(request, pk: int):
    indicator = selectors.indicator_get(user=request.user, pk=pk)
    if not selectors.indicator_can_edit(user=request.user, indicator=indicator):
        raise PermissionDenied
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_save(user=request.user, indicator=indicator, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The indicator was saved."))
            return redirect("monitoring:indicator_detail", pk=indicator.pk)
    return render(request, "monitoring/indicator_form.html", {"indicator": indicator, "plan": indicator.plan, "form": form})


def _units(user, indicator: Indicator) -> list[tuple[str, str]]:
    """The territorial units the user may record values of this indicator for."""
    scope = scope_for(user)
    units = []
    municipalities = Municipality.objects.order_by("name_bg")
    regions = Region.objects.order_by("name_bg")
    if indicator.municipality_id:
        municipalities = municipalities.filter(pk=indicator.municipality_id)
        regions = regions.none()
    elif indicator.region_id:
        municipalities = municipalities.filter(region_id=indicator.region_id)
        regions = regions.filter(pk=indicator.region_id)
    if not scope.is_administrator:
        municipalities = municipalities.filter(pk__in=sorted(scope.write.municipality_ids)) | municipalities.filter(region__in=sorted(scope.write.region_ids))
        regions = regions.filter(pk__in=sorted(scope.write.region_ids))
    for region in regions:
        units.append((f"r:{region.pk}", f"{_('Region')} {region.name_bg}"))
    for municipality in municipalities.distinct():
        units.append((f"m:{municipality.pk}", f"{_('Municipality')} {municipality.name_bg}"))
    if scope.is_administrator and not indicator.region_id:
        units.insert(0, ("bg", _("The whole country")))
    return units


def _unit_kwargs(unit: str) -> dict:
    kind, _sep, pk = unit.partition(":")
    if kind == "m":
        return {"municipality": get_object_or_404(Municipality, pk=pk)}
    if kind == "r":
        return {"region": get_object_or_404(Region, pk=pk)}
    return {}


@login_required
def indicator_detail(request, pk: int):
    indicator = selectors.indicator_get(user=request.user, pk=pk)
    can_edit = selectors.indicator_can_edit(user=request.user, indicator=indicator)
    units = _units(request.user, indicator)
    value_form = ValueForm(request.POST or None, request.FILES or None, units=units)
    if request.method == "POST":
        if not units:
            raise PermissionDenied
        if value_form.is_valid():
            data = value_form.cleaned_data
            try:
                value = services.value_record(
                    user=request.user, indicator=indicator, period_start=data["period_start"], period_end=data["period_end"],
                    value=data["value"], text=data["value"] if not indicator.is_numeric else "", comment=data["comment"],
                    expected_revision=data.get("revision"), **_unit_kwargs(data["unit"]),
                )
                if data.get("file"):
                    services.evidence_add(user=request.user, value=value, file=data["file"])
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(value_form, exc)
            else:
                messages.success(request, _("The value was recorded."))
                return redirect("monitoring:indicator_detail", pk=pk)
    targets = list(indicator.targets.all())
    values = list(selectors.value_list(user=request.user, indicator=indicator)[:500])
    series = _series(indicator, targets)
    return render(
        request,
        "monitoring/indicator_detail.html",
        {
            "indicator": indicator, "targets": targets, "values": values, "can_edit": can_edit, "value_form": value_form,
            "target_form": TargetForm(), "can_record": bool(units), "series": series,
        },
    )


def _series(indicator: Indicator, targets: list[Target]) -> list[dict]:
    """The indicator's values at its own level (plan territory), with progress against the targets."""
    book = Book([indicator], region=indicator.region, national=indicator.region_id is None)
    rows = []
    for period in book.periods(indicator):
        if indicator.municipality_id:
            aggregate = book.municipality(indicator, indicator.municipality.code, period)
        elif indicator.region_id:
            aggregate = book.region_value(indicator, indicator.region.code, period)
        else:
            aggregate = book.national(indicator, period)
        state = progress(indicator, targets, aggregate.value, period[1])
        rows.append({"period": period, "aggregate": aggregate, "progress": state})
    return rows


@login_required
@require_POST
def target_add(request, pk: int):
    indicator = selectors.indicator_get(user=request.user, pk=pk)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.target_set(user=request.user, indicator=indicator, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The target was saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("monitoring:indicator_detail", pk=pk)


@login_required
@require_POST
def target_delete(request, pk: int):
    target = get_object_or_404(visible(Target.objects.select_related("indicator"), request.user), pk=pk)
    try:
        services.target_delete(user=request.user, target=target)
    except PermissionDenied:
        raise
    messages.success(request, _("The target was removed."))
    return redirect("monitoring:indicator_detail", pk=target.indicator_id)


@login_required
@require_POST
def indicator_delete(request, pk: int):
    indicator = selectors.indicator_get(user=request.user, pk=pk)
    plan_pk = indicator.plan_id
    try:
        services.indicator_delete(user=request.user, indicator=indicator)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("monitoring:indicator_detail", pk=pk)
    messages.success(request, _("The indicator was deleted."))
    return redirect("monitoring:logframe", plan_pk=plan_pk) if plan_pk else redirect("monitoring:overview")


@login_required
def evidence_download(request, pk: int):
    evidence = get_object_or_404(visible(Evidence.objects.all(), request.user), pk=pk)
    response = FileResponse(evidence.file.open("rb"))
    response["Content-Disposition"] = attachment_header(evidence.name, f"evidence-{evidence.pk}")
    return response

