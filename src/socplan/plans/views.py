"""Pages of the plans app: list, plan tabs (overview, tree, stages, sections, consultation,
coverage), the tree editor's htmx endpoints, import with preview, exports and the public pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socplan.core.audit import history_rows
from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.core.scoping import scope_for
from socplan.organizations.models import Organization
from socplan.territory.models import Municipality, Region

from . import selectors, services
from .forms import (
    AdoptionForm,
    AlignmentForm,
    CommentForm,
    CommunicationForm,
    ConsultationForm,
    DocumentForm,
    ImportUploadForm,
    ModerationForm,
    NodeAddForm,
    NodeForm,
    PartnershipForm,
    PlanForm,
    StageForm,
    StakeholderForm,
    SummaryForm,
    UpdateForm,
    VersionForm,
)
from .models import (
    Comment,
    CommunicationItem,
    Consultation,
    ImportJob,
    Level,
    Node,
    PartnershipInstrument,
    Plan,
    PlanExport,
    PlanVersion,
    Responsibility,
    Stage,
    StakeholderRole,
)


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return _("You may not change this plan.")
    return str(getattr(exc, "message", exc))


# --- Context shared by the plan's tabs -----------------------------------------------------------


def _plan_context(request, pk: int, *, public: bool = False) -> dict:
    user = None if public else request.user
    plan = selectors.plan_get(user=user, pk=pk)
    number = request.GET.get("v") or request.POST.get("v")
    version = selectors.version_get(user=user, plan=plan, number=int(number) if str(number or "").isdigit() else None)
    can_edit = not public and selectors.plan_can_edit(user=request.user, plan=plan)
    versions = list(selectors.version_list(plan=plan))
    if not selectors.reads_drafts(user=user, plan=plan):
        versions = [v for v in versions if v.status != PlanVersion.Status.DRAFT]
    return {
        "plan": plan,
        "version": version,
        "versions": versions,
        "can_edit": can_edit,
        "editable": can_edit and version.is_editable,
        "version_query": f"?v={version.number}",
        "public": public,
    }


def _tab(request, template: str, pk: int, **extra):
    context = _plan_context(request, pk)
    context.update({name: (value(context) if callable(value) else value) for name, value in extra.items()})
    return render(request, template, context)


# --- List, create, overview ------------------------------------------------------------------------


@login_required
def plan_list(request):
    kind = request.GET.get("kind", "")
    if kind not in Plan.Kind.values:
        kind = ""
    status = request.GET.get("status", "")
    if status not in Plan.Status.values:
        status = ""
    region = Region.objects.filter(code=request.GET.get("region", "").upper()).first()
    query = request.GET.get("q", "").strip()[:100]
    qs = selectors.plan_list(user=request.user, kind=kind, region=region, status=status, query=query)
    context = {
        "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "kind": kind,
        "status": status,
        "region": region,
        "query": query,
        "kinds": Plan.Kind.choices,
        "statuses": Plan.Status.choices,
        "regions": Region.objects.only("code", "name_bg", "name_en").order_by("name_bg"),
        "can_create": selectors.plan_can_create(user=request.user),
        "extra_query": urlencode({"kind": kind, "status": status, "region": region.code if region else ""}) + "&",
    }
    if request.htmx:
        return render(request, "plans/partials/_plan_results.html", context)
    return render(request, "plans/plan_list.html", context)


def _plan_form(request, plan: Plan | None = None) -> PlanForm:
    scope = scope_for(request.user)
    if scope.is_administrator:
        owners = Organization.objects.filter(is_active=True)
        regions, municipalities = None, None
    else:
        owners = Organization.objects.filter(
            Q(pk__in=scope.own_organization_ids)
            | Q(municipality__in=scope.write.municipality_ids, kind=Organization.Kind.MUNICIPALITY)
            | Q(region__in=scope.write.region_ids, kind=Organization.Kind.REGIONAL_ADMINISTRATION)
        )
        regions = Region.objects.filter(
            Q(pk__in=scope.write.region_ids) | Q(municipalities__in=scope.write.municipality_ids)
            | Q(organizations__in=scope.own_organization_ids)
        ).distinct().order_by("name_bg")
        municipalities = Municipality.objects.filter(
            Q(pk__in=scope.write.municipality_ids) | Q(region__in=scope.write.region_ids)
        ).order_by("name_bg")
    initial = {}
    if plan is not None:
        initial = {
            name: getattr(plan, name)
            for name in ("kind", "title", "region", "municipality", "owner", "period_start", "period_end", "implements", "levels")
        }
    else:
        own = owners.order_by("kind").first()
        if own is not None:
            initial = {"owner": own, "region": own.region, "municipality": own.municipality}
            initial["kind"] = Plan.Kind.MUNICIPAL_STRATEGY if own.municipality_id else Plan.Kind.REGIONAL_STRATEGY
    return PlanForm(
        request.POST or None,
        initial=initial,
        owners=owners.order_by("name"),
        regional_plans=selectors.regional_strategies(user=request.user),
        regions=regions,
        municipalities=municipalities,
    )


@login_required
def plan_create(request):
    if not selectors.plan_can_create(user=request.user):
        raise PermissionDenied
    form = _plan_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(user=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _("You cannot create a plan for this territory or organisation."))
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The plan was created. Add its vision and goals, or import an existing document."))
            return redirect("plans:plan-detail", pk=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": None})


@login_required
def plan_update(request, pk: int):
    plan = selectors.plan_get(user=request.user, pk=pk)
    if not selectors.plan_can_edit(user=request.user, plan=plan):
        raise PermissionDenied
    form = _plan_form(request, plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(user=request.user, plan=plan, **form.cleaned_data)
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            add_service_errors(form, exc if not isinstance(exc, PermissionDenied) else ApplicationError(_error_text(exc)))
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("plans:plan-detail", pk=pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": plan})


def plan_detail(request, pk: int):
    if not request.user.is_authenticated:
        return redirect("plans:public-detail", pk=pk)
    context = _plan_context(request, pk)
    plan, version = context["plan"], context["version"]
    context.update(
        {
            "totals": selectors.version_totals(version=version),
            "history": history_rows(plan),
            "missing": services.adoption_check(plan=plan) if context["can_edit"] else [],
            "consultation": Consultation.objects.filter(version=version).first(),
            "update_form": UpdateForm(),
            "implemented_by": selectors.plan_list(user=request.user).filter(implements=plan),
        }
    )
    return render(request, "plans/plan_detail.html", context)


@login_required
def version_update(request, pk: int):
    context = _plan_context(request, pk)
    version = context["version"]
    if not context["editable"]:
        raise PermissionDenied
    form = VersionForm(
        request.POST or None,
        initial={
            "vision": version.vision, "introduction": version.introduction, "first_number": version.first_number,
            "number_prefix": version.number_prefix,
            "reason": version.reason, "revision": version.revision,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        revision = data.pop("revision")
        try:
            services.version_update(user=request.user, version=version, expected_revision=revision, **data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("plans:plan-detail", pk=pk)
    context["form"] = form
    return render(request, "plans/version_form.html", context)


# --- The tree ---------------------------------------------------------------------------------


def _tree_response(request, context: dict, *, error: str = "", focus: int | None = None, panel: str = ""):
    version = context["version"]
    version.refresh_from_db(fields=["revision"])
    context.update(
        {
            "rows": selectors.node_rows(version=version),
            "tree_error": error,
            "focus": focus,
            "panel": panel,
            "levels": Level.choices,
        }
    )
    return render(request, "plans/partials/_tree.html", context)


def plan_tree(request, pk: int):
    if not request.user.is_authenticated:
        return redirect("plans:public-detail", pk=pk)
    context = _plan_context(request, pk)
    context.update({"rows": selectors.node_rows(version=context["version"]), "levels": Level.choices})
    return render(request, "plans/plan_tree.html", context)


def _editing(request, pk: int) -> dict:
    context = _plan_context(request, pk)
    if not context["editable"]:
        raise PermissionDenied
    return context


def _node_of(context: dict, node_pk) -> Node:
    return get_object_or_404(Node.objects.select_related("parent", "version"), pk=node_pk, version=context["version"])


def _revision(request) -> int | None:
    value = request.POST.get("revision", "")
    return int(value) if value.isdigit() else None


@login_required
def node_add(request, pk: int):
    context = _editing(request, pk)
    version = context["version"]
    after = _node_of(context, request.GET.get("after") or request.POST.get("after")) if (
        request.GET.get("after") or request.POST.get("after")
    ) else None
    parent = _node_of(context, request.GET.get("parent") or request.POST.get("parent")) if (
        request.GET.get("parent") or request.POST.get("parent")
    ) else None
    if after is not None:
        default_level = after.level
    else:
        try:
            default_level = services.tree.level_below(context["plan"], parent)
        except ValidationError as exc:
            return _tree_response(request, context, error=_error_text(exc), focus=parent.pk if parent else None)
    form = NodeAddForm(request.POST or None, initial={"level": default_level, "revision": version.revision})
    if request.method == "POST" and form.is_valid():
        try:
            node = services.node_add(
                user=request.user,
                version=version,
                title=form.cleaned_data["title"],
                level=form.cleaned_data["level"],
                parent=parent,
                after=after,
                expected_revision=form.cleaned_data.get("revision"),
            )
        except (ValidationError, ApplicationError) as exc:
            return _tree_response(request, context, error=_error_text(exc), focus=(after or parent).pk if (after or parent) else None)
        return _tree_response(request, context, focus=node.pk, panel=_node_panel(request, context, node.pk))
    context.update({"form": form, "after": after, "parent": parent})
    return render(request, "plans/partials/_node_add_form.html", context)


@login_required
def node_edit(request, pk: int, node_pk: int):
    context = _plan_context(request, pk)
    node = get_object_or_404(selectors.node_queryset(context["version"]), pk=node_pk)
    plan = context["plan"]
    if not context["editable"]:
        context.update({"node": node, "alignment_targets": _alignment_labels(plan, node)})
        return render(request, "plans/partials/_node_view.html", context)
    form = NodeForm(
        request.POST or None,
        initial=NodeForm.initial_for(node),
        version=context["version"],
        organizations=selectors.plan_organizations(plan),
        show_sector=plan.kind == Plan.Kind.ROMA_STRATEGY,
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            responsibilities = [(org, Responsibility.Role.LEAD) for org in data["lead"]] + [
                (org, Responsibility.Role.PARTNER) for org in data["partners"]
            ]
            try:
                services.node_update(
                    user=request.user,
                    node=node,
                    expected_revision=data.get("revision"),
                    level=data["level"],
                    target_groups=data["target_groups"],
                    financing=data["financing"],
                    responsibilities=responsibilities,
                    **{
                        name: data.get(name)
                        for name in (
                            "title", "description", "expected_results", "notes", "responsible_text", "stage",
                            "starts_on", "ends_on", "budget", "budget_currency",
                        )
                    },
                    **({"sector": data.get("sector") or ""} if "sector" in data else {}),
                )
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                return _tree_response(request, context, focus=node.pk, panel=_node_panel(request, context, node.pk))
        context.update({"node": node, "form": form})
        response = render(request, "plans/partials/_node_form.html", context)
        response["HX-Retarget"] = "#node-panel"
        response["HX-Reswap"] = "innerHTML"
        return response
    context.update({"node": node, "form": form, "alignment_targets": _alignment_labels(plan, node)})
    return render(request, "plans/partials/_node_form.html", context)


def _node_panel(request, context: dict, node_pk: int) -> str:
    """The edit form of a node, fresh from the database (its new revision), for the side panel."""
    node = selectors.node_queryset(context["version"]).get(pk=node_pk)
    plan = context["plan"]
    form = NodeForm(
        initial=NodeForm.initial_for(node),
        version=context["version"],
        organizations=selectors.plan_organizations(plan),
        show_sector=plan.kind == Plan.Kind.ROMA_STRATEGY,
    )
    return render_to_string(
        "plans/partials/_node_form.html",
        {**context, "node": node, "form": form, "alignment_targets": _alignment_labels(plan, node), "saved": True},
        request=request,
    )


def _alignment_labels(plan: Plan, node: Node) -> list[Node]:
    if plan.implements_id is None:
        return []
    keys = set(node.alignments.values_list("target_key", flat=True))
    return [target for target in selectors.alignment_targets(plan=plan) if target.key in keys]


@login_required
@require_POST
def node_action(request, pk: int, node_pk: int, action: str):
    context = _editing(request, pk)
    node = _node_of(context, node_pk)
    revision = _revision(request)
    try:
        if action == "up" or action == "down":
            services.node_move(user=request.user, node=node, direction=action, expected_revision=revision)
        elif action == "indent":
            services.node_indent(user=request.user, node=node, expected_revision=revision)
        elif action == "outdent":
            services.node_outdent(user=request.user, node=node, expected_revision=revision)
        elif action == "delete":
            focus = node.parent_id
            services.node_delete(user=request.user, node=node, expected_revision=revision)
            return _tree_response(request, context, focus=focus)
        elif action == "move":
            target = request.POST.get("parent")
            parent = _node_of(context, target) if target else None
            services.node_move(
                user=request.user, node=node, to_parent=True, parent=parent,
                position=int(request.POST.get("position") or 0), expected_revision=revision,
            )
        else:
            raise Http404
    except (ValidationError, ApplicationError) as exc:
        return _tree_response(request, context, error=_error_text(exc), focus=node.pk)
    return _tree_response(request, context, focus=node.pk)


@login_required
def node_align(request, pk: int, node_pk: int):
    context = _editing(request, pk)
    node = _node_of(context, node_pk)
    plan = context["plan"]
    targets = selectors.alignment_targets(plan=plan)
    initial = {"targets": [str(key) for key in node.alignments.values_list("target_key", flat=True)]}
    form = AlignmentForm(request.POST or None, targets=targets, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.alignment_set(user=request.user, node=node, target_keys=form.cleaned_data["targets"])
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            return _tree_response(request, context, focus=node.pk, panel=_node_panel(request, context, node.pk))
    context.update({"node": node, "form": form, "targets": targets})
    response = render(request, "plans/partials/_node_align_form.html", context)
    if request.method == "POST":
        response["HX-Retarget"] = "#node-panel"
        response["HX-Reswap"] = "innerHTML"
    return response


# --- Versions -----------------------------------------------------------------------------------


def plan_diff(request, pk: int):
    user = request.user if request.user.is_authenticated else None
    plan = selectors.plan_get(user=user, pk=pk)
    versions = list(selectors.version_list(plan=plan))
    if not selectors.reads_drafts(user=user, plan=plan):
        versions = [v for v in versions if v.status != PlanVersion.Status.DRAFT]
    by_number = {v.number: v for v in versions}
    if len(versions) < 2:
        messages.info(request, _("The plan has only one version: there is nothing to compare yet."))
        return redirect("plans:plan-detail" if user else "plans:public-detail", pk=pk)

    def pick(name, default):
        value = request.GET.get(name, "")
        return by_number.get(int(value)) if value.isdigit() and int(value) in by_number else default

    new = pick("b", versions[-1])
    old = pick("a", by_number.get(new.number - 1, versions[0]))
    rows = selectors.version_diff(old=old, new=new)
    counts = {status: sum(1 for row in rows if row.status == status) for status in ("added", "removed", "changed", "same")}
    return render(
        request,
        "plans/plan_diff.html",
        {"plan": plan, "versions": versions, "old": old, "new": new, "rows": rows, "counts": counts, "public": user is None,
         "version": new, "version_query": f"?v={new.number}", "can_edit": False},
    )


@login_required
@require_POST
def update_create(request, pk: int):
    plan = selectors.plan_get(user=request.user, pk=pk)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            version = services.version_create_update(user=request.user, plan=plan, reason=form.cleaned_data["reason"])
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The update was started as version %(n)s. Change it, then have it adopted.") % {"n": version.number})
            return redirect(reverse("plans:plan-tree", kwargs={"pk": pk}) + f"?v={version.number}")
    else:
        messages.error(request, _("Say why the plan is being updated."))
    return redirect("plans:plan-detail", pk=pk)


@login_required
def plan_adopt(request, pk: int):
    context = _plan_context(request, pk)
    plan, version = context["plan"], context["version"]
    if not context["can_edit"] or version.status not in (PlanVersion.Status.DRAFT, PlanVersion.Status.CONSULTATION):
        raise PermissionDenied
    bodies = selectors.adoption_bodies(plan)
    default_body = bodies.filter(kind__in=[Organization.Kind.MUNICIPAL_COUNCIL, Organization.Kind.REGIONAL_DEVELOPMENT_COUNCIL]).first()
    form = AdoptionForm(request.POST or None, bodies=bodies, initial={"body": default_body, "adopted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.version_adopt(user=request.user, version=version, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The adoption was recorded; this version is now the one in force."))
            return redirect("plans:plan-detail", pk=pk)
    context.update({"form": form, "missing": services.adoption_check(plan=plan)})
    return render(request, "plans/plan_adopt.html", context)


@login_required
@require_POST
def plan_status(request, pk: int, action: str):
    plan = selectors.plan_get(user=request.user, pk=pk)
    try:
        if action == "in-force":
            services.plan_enter_into_force(user=request.user, plan=plan)
            messages.success(request, _("The plan is in force."))
        elif action == "close":
            services.plan_close(user=request.user, plan=plan)
            messages.success(request, _("The plan was closed. It stays readable."))
        else:
            raise Http404
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("plans:plan-detail", pk=pk)


# --- Stages and sections -------------------------------------------------------------------------


@login_required
def plan_stages(request, pk: int):
    context = _plan_context(request, pk)
    version = context["version"]
    editing = _item_being_edited(request, version.stages.all())
    form = StageForm(request.POST or None, instance=editing)
    if request.method == "POST":
        if not context["editable"]:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.stage_save(user=request.user, version=version, stage=editing, **form.cleaned_data)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The stage was saved."))
                return redirect(reverse("plans:plan-stages", kwargs={"pk": pk}) + context["version_query"])
    stages = list(version.stages.all())
    context.update({"stages": stages, "form": form, "editing": editing, "timeline": _timeline(context["plan"], stages)})
    return render(request, "plans/plan_stages.html", context)


def _item_being_edited(request, items):
    """The section item named by ?edit= (or the posted `item`), if it belongs to this version."""
    value = request.POST.get("item") or request.GET.get("edit") or ""
    return get_object_or_404(items, pk=int(value)) if value.isdigit() else None


def _timeline(plan: Plan, stages: list[Stage]) -> dict:
    """Positions (in %) of the stages on a bar from the first stage to the end of the period."""
    import datetime

    if not stages:
        return {"bars": [], "years": []}
    start = min([datetime.date(plan.period_start, 1, 1), *(s.starts_on for s in stages)])
    end = max([datetime.date(plan.period_end, 12, 31), *(s.ends_on for s in stages)])
    span = max((end - start).days, 1)
    bars = [
        {
            "stage": stage,
            "left": round((stage.starts_on - start).days / span * 100, 2),
            "width": max(round(((stage.ends_on - stage.starts_on).days + 1) / span * 100, 2), 1.5),
            # A short bar cannot hold its label: the label goes beside it, in ink, not on it.
            "inside": ((stage.ends_on - stage.starts_on).days + 1) / span >= 0.3,
            "flip": (stage.starts_on - start).days / span > 0.6,
        }
        for stage in stages
    ]
    years = [
        {"year": year, "left": round((datetime.date(year, 1, 1) - start).days / span * 100, 2)}
        for year in range(start.year if start.month == 1 and start.day == 1 else start.year + 1, end.year + 1)
    ]
    return {"bars": bars, "years": years}


SECTION_FORMS = {
    "stakeholder": (StakeholderForm, StakeholderRole, services.stakeholder_save),
    "partnership": (PartnershipForm, PartnershipInstrument, services.partnership_save),
    "communication": (CommunicationForm, CommunicationItem, services.communication_save),
}


@login_required
def plan_sections(request, pk: int):
    context = _plan_context(request, pk)
    version, plan = context["version"], context["plan"]
    part = request.POST.get("part") or request.GET.get("part", "")
    editing = None
    if part in SECTION_FORMS:
        editing = _item_being_edited(request, SECTION_FORMS[part][1].objects.filter(version=version))
    forms = {
        "stakeholder": StakeholderForm(prefix="stakeholder", organizations=selectors.plan_organizations(plan)),
        "partnership": PartnershipForm(prefix="partnership"),
        "communication": CommunicationForm(prefix="communication"),
    }
    if editing is not None:
        kwargs = {"organizations": selectors.plan_organizations(plan)} if part == "stakeholder" else {}
        forms[part] = SECTION_FORMS[part][0](prefix=part, instance=editing, **kwargs)
    if request.method == "POST":
        if not context["editable"] or part not in SECTION_FORMS:
            raise PermissionDenied
        form_class, _model, save = SECTION_FORMS[part]
        kwargs = {"organizations": selectors.plan_organizations(plan)} if part == "stakeholder" else {}
        form = form_class(request.POST, prefix=part, instance=editing, **kwargs)
        forms[part] = form
        if form.is_valid():
            try:
                save(user=request.user, version=version, item=editing, **form.cleaned_data)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("plans:plan-sections", kwargs={"pk": pk}) + context["version_query"] + f"#{part}")
    communication = {}
    for item in version.communication.all():
        communication.setdefault(item.get_kind_display(), []).append(item)
    context.update(
        {
            "forms": forms,
            "stakeholders": version.stakeholders.select_related("organization"),
            "partnerships": version.partnerships.all(),
            "communication": communication,
            "editing": editing,
            "editing_part": part if editing is not None else "",
        }
    )
    return render(request, "plans/plan_sections.html", context)


@login_required
@require_POST
def section_delete(request, pk: int, part: str, item_pk: int):
    context = _editing(request, pk)
    models = {"stakeholder": StakeholderRole, "partnership": PartnershipInstrument, "communication": CommunicationItem,
              "stage": Stage}
    if part not in models:
        raise Http404
    item = get_object_or_404(models[part], pk=item_pk, version=context["version"])
    try:
        services.section_delete(user=request.user, item=item)
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Deleted."))
    name = "plans:plan-stages" if part == "stage" else "plans:plan-sections"
    return redirect(reverse(name, kwargs={"pk": pk}) + context["version_query"])


# --- Consultation, documents ---------------------------------------------------------------------


@login_required
def plan_consultation(request, pk: int):
    context = _plan_context(request, pk)
    version, plan = context["version"], context["plan"]
    consultation = Consultation.objects.filter(version=version).first()
    today = timezone.localdate()
    form = ConsultationForm(
        request.POST or None, initial={"opens_on": today, "closes_on": today + timezone.timedelta(days=Plan.MIN_CONSULTATION_DAYS)}
    )
    if request.method == "POST":
        if not context["editable"]:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.consultation_open(user=request.user, version=version, **form.cleaned_data)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The plan is published for public consultation."))
                return redirect(reverse("plans:plan-consultation", kwargs={"pk": pk}) + context["version_query"])
    context.update(
        {
            "consultation": consultation,
            "form": form,
            "comments": selectors.comments_for_moderation(version=version) if consultation else [],
            "summary_form": SummaryForm(initial={"summary": consultation.summary}) if consultation else None,
            "documents": plan.documents.select_related("version").all(),
            "document_form": DocumentForm(),
            "moderation_statuses": Comment.Status.choices,
        }
    )
    return render(request, "plans/plan_consultation.html", context)


@login_required
@require_POST
def consultation_withdraw(request, pk: int):
    context = _plan_context(request, pk)
    try:
        services.consultation_withdraw(user=request.user, version=context["version"])
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The version is a draft again; the comments received are kept."))
    return redirect(reverse("plans:plan-consultation", kwargs={"pk": pk}) + context["version_query"])


@login_required
@require_POST
def comment_moderate(request, pk: int, comment_pk: int):
    context = _plan_context(request, pk)
    comment = get_object_or_404(Comment, pk=comment_pk, consultation__version=context["version"])
    form = ModerationForm(request.POST)
    if form.is_valid():
        try:
            services.comment_moderate(user=request.user, comment=comment, **form.cleaned_data)
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The comment was updated."))
    return redirect(reverse("plans:plan-consultation", kwargs={"pk": pk}) + context["version_query"] + f"#comment-{comment_pk}")


@login_required
@require_POST
def consultation_summary(request, pk: int):
    context = _plan_context(request, pk)
    consultation = get_object_or_404(Consultation, version=context["version"])
    form = SummaryForm(request.POST)
    if form.is_valid():
        try:
            services.consultation_summary_save(user=request.user, consultation=consultation, summary=form.cleaned_data["summary"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The summary was saved."))
    return redirect(reverse("plans:plan-consultation", kwargs={"pk": pk}) + context["version_query"])


@login_required
@require_POST
def document_add(request, pk: int):
    context = _plan_context(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(user=request.user, plan=context["plan"], version=context["version"], **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The document was added."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("plans:plan-consultation", kwargs={"pk": pk}) + context["version_query"])


def document_download(request, pk: int, document_pk: int):
    user = request.user if request.user.is_authenticated else None
    plan = selectors.plan_get(user=user, pk=pk)
    documents = plan.documents.all()
    if not selectors.reads_drafts(user=user, plan=plan):
        documents = documents.filter(is_public=True)
    document = get_object_or_404(documents, pk=document_pk)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1])


# --- Alignment coverage -------------------------------------------------------------------------


@login_required
def plan_coverage(request, pk: int):
    context = _plan_context(request, pk)
    plan = context["plan"]
    if plan.kind != Plan.Kind.REGIONAL_STRATEGY:
        raise Http404
    coverage = selectors.alignment_coverage(user=request.user, regional=context["version"])
    municipalities = sorted({p.municipality for p in coverage["municipal_plans"] if p.municipality}, key=str)
    for row in coverage["rows"]:
        row.cells = [row.links.get(m.pk, []) for m in municipalities]
    context.update({"coverage": coverage, "municipalities": municipalities})
    return render(request, "plans/plan_coverage.html", context)


# --- Import ---------------------------------------------------------------------------------------


@login_required
def plan_import(request, pk: int):
    context = _editing(request, pk)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        from .importing.extract import MAX_IMPORT_BYTES

        try:
            if upload.size > MAX_IMPORT_BYTES:
                # Refused before the file is read into memory.
                raise ValidationError(
                    _("The file is larger than %(mb)s MB.") % {"mb": MAX_IMPORT_BYTES // 2**20}
                )
            job = services.plan_import_parse(
                user=request.user, plan=context["plan"], data=upload.read(), filename=upload.name
            )
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            return redirect("plans:import-preview", pk=pk, job_pk=job.pk)
    context.update({"form": form, "jobs": context["plan"].imports.all()[:10]})
    return render(request, "plans/plan_import.html", context)


@login_required
def import_preview(request, pk: int, job_pk: int):
    context = _editing(request, pk)
    job = get_object_or_404(ImportJob, pk=job_pk, plan=context["plan"])
    rows = job.result.get("nodes", [])
    errors: list[str] = []
    if request.method == "POST" and job.status == ImportJob.Status.PARSED:
        if request.POST.get("discard"):
            services.imports.import_discard(user=request.user, job=job)
            messages.info(request, _("The import was discarded; nothing was changed."))
            return redirect("plans:plan-detail", pk=pk)
        corrected = []
        for index, row in enumerate(rows):
            corrected.append(
                {
                    **row,
                    "include": request.POST.get(f"include-{index}") == "on",
                    "level": request.POST.get(f"level-{index}", row["level"]),
                    "number": request.POST.get(f"number-{index}", row.get("number") or "").strip() or None,
                    "title": request.POST.get(f"title-{index}", row["title"]),
                }
            )
        try:
            version = services.plan_import_apply(
                user=request.user, plan=context["plan"], job=job, rows=corrected, replace=True
            )
        except (ValidationError, ApplicationError) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [_error_text(exc)]
            rows = corrected
        else:
            count = version.nodes.count()
            messages.success(request, _("%(count)s elements were imported.") % {"count": count})
            for given, computed in getattr(version, "renumbered", [])[:10]:
                messages.warning(request, _("Renumbered: %(given)s in the document is %(computed)s in the plan.") % {"given": given, "computed": computed})
            return redirect(reverse("plans:plan-tree", kwargs={"pk": pk}) + f"?v={version.number}")
    depth = []
    for row in rows:
        parent = row.get("parent")
        depth.append(0 if parent is None or parent >= len(depth) else depth[parent] + 1)
    context.update(
        {
            "job": job,
            "rows": [{**row, "index": i, "depth": depth[i], "include": row.get("include", True)} for i, row in enumerate(rows)],
            "levels": Level.choices,
            "errors": errors,
            "preamble": job.result.get("preamble", ""),
            "skipped": job.result.get("skipped", []),
            "warnings": job.result.get("warnings", []),
            "has_nodes": context["version"].nodes.exists(),
        }
    )
    return render(request, "plans/import_preview.html", context)


# --- Exports --------------------------------------------------------------------------------------


def _export_version(request, pk: int) -> PlanVersion:
    user = request.user if request.user.is_authenticated else None
    plan = selectors.plan_get(user=user, pk=pk)
    number = request.GET.get("v")
    return selectors.version_get(user=user, plan=plan, number=int(number) if str(number or "").isdigit() else None)


def plan_export(request, pk: int, fmt: str):
    """DOCX and XLSX are made at once (under a second for 500 elements); a PDF is made in the
    background once per version, revision and language, and served from storage after that."""
    from . import exports

    if fmt not in exports.FORMATS:
        raise Http404
    version = _export_version(request, pk)
    if fmt == "pdf":
        export = services.documents.export_request(version=version, fmt=fmt, language=get_language())
        if export.status == PlanExport.Status.DONE:
            filename = exports.export_filename(version, fmt)
            response = FileResponse(export.file.open("rb"), content_type=exports.CONTENT_TYPES[fmt])
            response["Content-Disposition"] = exports.content_disposition(filename)
            return response
        return render(
            request,
            "plans/export_wait.html",
            {"plan": version.plan, "version": version, "export": export, "fmt": fmt,
             "public": not request.user.is_authenticated, "versions": [version], "version_query": f"?v={version.number}"},
        )
    content, content_type, filename = exports.export(version=version, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = exports.content_disposition(filename)
    return response


def export_status(request, pk: int, export_pk: int):
    """The state of a document being made (polled by the waiting page)."""
    user = request.user if request.user.is_authenticated else None
    plan = selectors.plan_get(user=user, pk=pk)
    export = get_object_or_404(PlanExport.objects.select_related("version"), pk=export_pk, version__plan=plan)
    version = export.version
    if version.status == PlanVersion.Status.DRAFT and not selectors.reads_drafts(user=user, plan=plan):
        raise Http404
    return render(request, "plans/partials/_export_status.html", {"plan": version.plan, "version": version, "export": export})


# --- Public pages ---------------------------------------------------------------------------------


def public_list(request):
    kind = request.GET.get("kind", "")
    if kind not in Plan.Kind.values:
        kind = ""
    region = Region.objects.filter(code=request.GET.get("region", "").upper()).first()
    qs = selectors.plan_public_list(kind=kind, region=region)
    return render(
        request,
        "plans/public_list.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "kind": kind,
            "region": region,
            "kinds": Plan.Kind.choices,
            "regions": Region.objects.only("code", "name_bg", "name_en").order_by("name_bg"),
            "extra_query": urlencode({"kind": kind, "region": region.code if region else ""}) + "&",
        },
    )


def public_detail(request, pk: int):
    context = _plan_context(request, pk, public=True)
    version, plan = context["version"], context["plan"]
    consultation = Consultation.objects.filter(version=version).first()
    rows = selectors.node_rows(version=version)
    form = CommentForm(request.POST or None, nodes=Node.objects.filter(version=version))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if data.get("website"):
                messages.success(request, _("Thank you. Your comment will be published after moderation."))
                return redirect("plans:public-detail", pk=pk)
            try:
                services.comment_submit(
                    version=version,
                    author_name=data["author_name"],
                    author_email=data.get("author_email") or "",
                    organization_name=data.get("organization_name") or "",
                    text=data["text"],
                    node=data.get("node"),
                )
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Thank you. Your comment will be published after moderation."))
                return redirect("plans:public-detail", pk=pk)
    context.update(
        {
            "rows": rows,
            "consultation": consultation,
            "comments": selectors.comments_public(version=version) if consultation else [],
            "form": form,
            "documents": plan.documents.filter(is_public=True),
            "stages": list(version.stages.all()),
            "timeline": _timeline(plan, list(version.stages.all())),
        }
    )
    return render(request, "plans/public_detail.html", context)

