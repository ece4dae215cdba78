"""Pages of the register, the gap analysis, the institutions and the public catalogue and map."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.audit import history_rows
from socplan.core.cache import cached_page
from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.core.scoping import scope_for
from socplan.plans.models import TargetGroup
from socplan.territory import geo
from socplan.territory.models import Municipality, Region, Settlement

from . import gap, selectors, services
from .forms import InstitutionForm, OccupancyForm, ResidentsForm, ServiceForm, settlements_for
from .models import Activity, Occupancy, PlanningStandard, Service, ServiceType


def _filters(request) -> dict:
    """The register's filters from the query string (unknown values are ignored)."""
    get = request.GET
    region = Region.objects.filter(code=get.get("region", "").upper()).first() if get.get("region") else None
    municipality = (
        Municipality.objects.filter(code=get.get("municipality", "").upper()).first() if get.get("municipality") else None
    )
    service_type = ServiceType.objects.filter(code=get.get("type", "")).first() if get.get("type") else None
    status = get.get("status", "") if get.get("status", "") in Service.Status.values else ""
    alert = get.get("alert", "") if get.get("alert", "") in ("licence", "idle", "over_map", "over_capacity") else ""
    group = TargetGroup.objects.filter(code=get.get("group", "")).first() if get.get("group") else None
    return {
        "region": region, "municipality": municipality, "service_type": service_type, "status": status,
        "alert": alert, "target_group": group, "query": get.get("q", "").strip()[:100],
    }


@login_required
@cached_page
def service_list(request):
    filters = _filters(request)
    qs = selectors.service_list(user=request.user, **filters)
    context = {
        **filters,
        "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "types": ServiceType.objects.filter(is_active=True),
        "statuses": Service.Status.choices,
        "regions": Region.objects.only("code", "name_bg", "name_en").order_by("name_bg"),
        "groups": TargetGroup.objects.filter(is_active=True),
        "alert_kinds": ALERT_LABELS,
        "can_create": selectors.service_can_create(user=request.user),
        "extra_query": urlencode({k: v for k, v in request.GET.items() if k not in ("page", "q")}) + "&",
        "export_query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "social_services/partials/_service_results.html", context)
    return render(request, "social_services/service_list.html", context)


ALERT_LABELS = [
    ("licence", _("licence expiring or expired")),
    ("idle", _("no users for three months")),
    ("over_map", _("state funding above the National Map")),
    ("over_capacity", _("users above capacity")),
]


@login_required
def service_detail(request, pk: int):
    service = selectors.service_get(user=request.user, pk=pk)
    can_edit = selectors.service_can_edit(user=request.user, service=service)
    occupancy = selectors.occupancy_series(service=service)
    form = OccupancyForm(request.POST or None, initial={"period": Occupancy.Period.MONTH, "starts_on": timezone.localdate().replace(day=1)})
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.occupancy_record(user=request.user, service=service, **form.cleaned_data)
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The occupancy was recorded."))
                return redirect("social_services:service-detail", pk=pk)
    service_alerts = {s.pk for s in selectors.alerts(user=request.user, base=Service.objects.filter(pk=pk))}
    latest = occupancy[-1] if occupancy else None
    peak = max([o.users for o in occupancy] + [service.capacity, 1])
    return render(
        request,
        "social_services/service_detail.html",
        {
            "service": service,
            "can_edit": can_edit,
            "occupancy": occupancy[-36:],
            "latest": latest,
            "peak": peak,
            "form": form,
            "has_alert": pk in service_alerts,
            "history": history_rows(service),
            "cards": service.cards.all(),
        },
    )


def _service_form(request, instance=None) -> ServiceForm:
    scope = scope_for(request.user)
    providers = selectors.service_creatable_providers(user=request.user)
    if scope.is_administrator:
        settlements = settlements_for()
    else:
        municipality_ids = set(scope.write.municipality_ids)
        municipality_ids |= set(Municipality.objects.filter(region__in=scope.write.region_ids).values_list("pk", flat=True))
        municipality_ids |= set(
            providers.exclude(municipality__isnull=True).values_list("municipality_id", flat=True)
        )
        municipality_ids |= set(
            Municipality.objects.filter(region__in=providers.filter(municipality__isnull=True).values("region")).values_list("pk", flat=True)
        )
        if instance is not None:
            municipality_ids.add(instance.municipality_id)
        settlements = settlements_for(sorted(municipality_ids))
    return ServiceForm(request.POST or None, instance=instance, providers=providers, settlements=settlements)


@login_required
def service_create(request):
    if not selectors.service_can_create(user=request.user):
        raise PermissionDenied
    form = _service_form(request)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        groups = data.pop("target_groups", None)
        try:
            service = services.service_create(user=request.user, target_groups=groups, **data)
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _("You can register services only in your own territory or for your organisation."))
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The service was registered."))
            return redirect("social_services:service-detail", pk=service.pk)
    return render(request, "social_services/service_form.html", {"form": form, "service": None})


@login_required
def service_update(request, pk: int):
    service = selectors.service_get(user=request.user, pk=pk)
    if not selectors.service_can_edit(user=request.user, service=service):
        raise PermissionDenied
    form = _service_form(request, instance=service)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        groups = data.pop("target_groups", None)
        try:
            services.service_update(user=request.user, service=service, target_groups=groups, **data)
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _("You can register services only in your own territory or for your organisation."))
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("social_services:service-detail", pk=pk)
    return render(request, "social_services/service_form.html", {"form": form, "service": service})


@login_required
def register_as_of(request):
    raw = request.GET.get("date", "")
    date = None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            date = datetime.datetime.strptime(raw, fmt).date()
            break
        except ValueError:
            continue
    filters = _filters(request)
    records = []
    if date:
        records = selectors.register_as_of(
            user=request.user, date=date, municipality=filters["municipality"], region=filters["region"]
        )
    return render(
        request,
        "social_services/register_as_of.html",
        {"date": date, "raw": raw, "records": records, "region": filters["region"], "municipality": filters["municipality"],
         "regions": Region.objects.order_by("name_bg"), "active": [r for r in records if r.status in Service.ACTIVE_STATUSES]},
    )


# --- Gap analysis -------------------------------------------------------------------------------


@login_required
@cached_page
def gap_view(request):
    filters = _filters(request)
    region, municipality = filters["region"], filters["municipality"]
    standards = gap.standards_in_force(timezone.localdate())
    per_1000_types = [s.service_type for s in standards if s.kind == PlanningStandard.Kind.PER_1000]
    service_type = filters["service_type"] or (per_1000_types[0] if per_1000_types else None)
    context = {
        "region": region, "municipality": municipality, "service_type": service_type, "types": per_1000_types,
        "regions": Region.objects.order_by("name_bg"), "is_admin": scope_for(request.user).is_administrator,
    }
    if municipality is not None:
        analysis = gap.gap_analysis(municipalities=Municipality.objects.filter(pk=municipality.pk))
        # Per-region norms are judged for the region as a whole, not for one municipality.
        rows = [row for row in analysis.rows if row.municipality is not None]
        context.update({"analysis": analysis, "rows": rows, "planned": _planned(municipality=municipality)})
        return render(request, "social_services/gap_municipality.html", context)
    munis = Municipality.objects.filter(region=region) if region is not None else Municipality.objects.all()
    analysis = gap.gap_analysis(municipalities=munis)
    summary = [r for r in gap.region_summary(analysis)]
    regions = {r.pk: r for r in Region.objects.all()}
    for row in summary:
        row.region = regions.get(row.region_id)
    ranked = [row for row in analysis.rows if service_type is not None and row.service_type.pk == service_type.pk
              and row.standard.kind == PlanningStandard.Kind.PER_1000]
    ranked.sort(key=lambda r: (r.per_1000 is None, r.per_1000 or 0))
    context.update(
        {
            "analysis": analysis,
            "summary": sorted(summary, key=lambda r: (str(r.region), r.service_type.order)) if region is None
            else sorted([s for s in summary if s.region_id == region.pk], key=lambda r: r.service_type.order),
            "ranked": ranked,
            "map": _choropleth(ranked, region=region),
        }
    )
    return render(request, "social_services/gap_overview.html", context)


def _planned(*, municipality) -> list[Service]:
    return list(
        Service.objects.filter(municipality=municipality, status__in=Service.PLANNED_STATUSES).select_related("service_type")
    )


CHOROPLETH_CLASSES = 5


def _choropleth(rows: list[gap.GapRow], *, region=None) -> dict:
    """Municipal shapes coloured by capacity per 1 000 of the group (quantile classes; none = grey)."""
    values = sorted(float(r.per_1000) for r in rows if r.per_1000 is not None)
    breaks: list[float] = []
    if values:
        for k in range(1, CHOROPLETH_CLASSES):
            value = values[min(len(values) - 1, int(len(values) * k / CHOROPLETH_CLASSES))]
            # Many municipalities at the same value (often none at all) would give empty classes.
            if not breaks or value > breaks[-1]:
                breaks.append(value)
    by_code = {r.municipality.code: r for r in rows if r.municipality}
    shapes = Municipality.objects.only("code", "name_bg", "name_en", "svg_path", "bbox")
    if region is not None:
        shapes = shapes.filter(region=region)
    items = []
    for shape in shapes:
        row = by_code.get(shape.code)
        value = row.per_1000 if row else None
        if value is None:
            klass = "none"
        else:
            klass = str(sum(1 for b in breaks if float(value) > b))
        items.append({"shape": shape, "row": row, "klass": klass})
    legend = []
    edges = [0.0, *breaks]
    for index, start in enumerate(edges):
        end = edges[index + 1] if index + 1 < len(edges) else (values[-1] if values else 0)
        legend.append({"klass": str(index), "from": start, "to": end})
    return {"items": items, "view_box": geo.view_box([s.bbox for s in shapes]), "legend": legend}


# --- Institutions ---------------------------------------------------------------------------------


@login_required
@cached_page
def institution_list(request):
    filters = _filters(request)
    return render(
        request,
        "social_services/institution_list.html",
        {
            "institutions": selectors.institution_list(user=request.user, region=filters["region"]),
            "progress": selectors.deinstitutionalisation_progress(user=request.user),
            "region": filters["region"],
            "regions": Region.objects.order_by("name_bg"),
            "can_create": selectors.service_can_create(user=request.user),
        },
    )


def _institution_form(request, instance=None) -> InstitutionForm:
    scope = scope_for(request.user)
    if scope.is_administrator:
        munis = Municipality.objects.all()
    else:
        munis = Municipality.objects.filter(pk__in=scope.write.municipality_ids) | Municipality.objects.filter(
            region__in=scope.write.region_ids
        )
    providers = selectors.service_creatable_providers(user=request.user)
    return InstitutionForm(
        request.POST or None,
        instance=instance,
        services=selectors.service_list(user=request.user).filter(municipality__in=munis),
        municipalities=munis.order_by("name_bg"),
        operators=providers.order_by("name"),
    )


@login_required
def institution_edit(request, pk: int | None = None):
    institution = selectors.institution_get(user=request.user, pk=pk) if pk else None
    if not selectors.service_can_create(user=request.user):
        raise PermissionDenied
    form = _institution_form(request, instance=institution)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        replaced_by = data.pop("replaced_by", None)
        try:
            institution = services.institution_save(user=request.user, institution=institution, replaced_by=replaced_by, **data)
        except (ValidationError, ApplicationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, _("You can change institutions only in your own territory."))
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("social_services:institution-detail", pk=institution.pk)
    return render(request, "social_services/institution_form.html", {"form": form, "institution": institution})


@login_required
def institution_detail(request, pk: int):
    institution = selectors.institution_get(user=request.user, pk=pk)
    form = ResidentsForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.residents_record(user=request.user, institution=institution, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied):
                    raise
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The residents were recorded."))
                return redirect("social_services:institution-detail", pk=pk)
    return render(
        request,
        "social_services/institution_detail.html",
        {
            "institution": institution,
            "residents": institution.residents.all(),
            "replaced_by": institution.replaced_by.select_related("service_type", "municipality"),
            "form": form,
            "history": history_rows(institution),
        },
    )


# --- Public catalogue and map ------------------------------------------------------------------


@cached_page
def catalogue(request):
    """Find services near a settlement by need or target group, without signing in."""
    get = request.GET
    settlement = None
    if get.get("settlement"):
        settlement = Settlement.objects.select_related("municipality").filter(ekatte=get.get("settlement")).first()
    municipality = Municipality.objects.filter(code=get.get("municipality", "").upper()).first() if get.get("municipality") else None
    region = Region.objects.filter(code=get.get("region", "").upper()).first() if get.get("region") else None
    service_type = ServiceType.objects.filter(code=get.get("type", "")).first() if get.get("type") else None
    group = TargetGroup.objects.filter(code=get.get("group", "")).first() if get.get("group") else None
    activity = get.get("need", "") if get.get("need", "") in Activity.values else ""
    searched = any([settlement, municipality, region, service_type, group, activity])
    results = []
    if searched:
        qs = selectors.catalogue(
            municipality=municipality, settlement=settlement, region=region, service_type=service_type,
            target_group=group, activity=activity,
        )
        results = list(qs[:200])
        if settlement is not None:
            # The settlement's own services first, then the rest of its municipality.
            results.sort(key=lambda s: (s.settlement_id != settlement.pk, s.name))
        for service in results:
            service.free = selectors.free_places(service)
    query = (get.get("q") or "").strip().lower()
    suggestions = []
    if query and not settlement:
        suggestions = list(
            Settlement.objects.filter(search_name__contains=query).select_related("municipality")[:15]
        )
    context = {
        "settlement": settlement, "municipality": municipality, "region": region, "service_type": service_type,
        "group": group, "activity": activity, "results": results, "searched": searched, "query": get.get("q", ""),
        "suggestions": suggestions, "types": ServiceType.objects.filter(is_active=True), "needs": Activity.choices,
        "groups": TargetGroup.objects.filter(is_active=True), "regions": Region.objects.order_by("name_bg"),
    }
    if request.htmx and request.GET.get("partial") == "suggest":
        return render(request, "social_services/partials/_settlement_suggestions.html", context)
    return render(request, "social_services/catalogue.html", context)


@cached_page
def public_service(request, pk: int):
    service = get_object_or_404(
        Service.objects.filter(is_published=True).select_related("service_type", "provider", "municipality", "settlement")
        .annotate(**selectors.latest_occupancy()),
        pk=pk,
    )
    service.free = selectors.free_places(service)
    return render(request, "social_services/public_service.html", {"service": service})


@cached_page
def public_map(request):
    """The map of services: municipalities shaded by the number of published active services."""
    region = Region.objects.filter(code=request.GET.get("region", "").upper()).first() if request.GET.get("region") else None
    service_type = ServiceType.objects.filter(code=request.GET.get("type", "")).first() if request.GET.get("type") else None
    counts = selectors.services_per_municipality(region=region, service_type=service_type)
    shapes = Municipality.objects.only("code", "name_bg", "name_en", "svg_path", "bbox")
    if region is not None:
        shapes = shapes.filter(region=region)
    peak = max([row["services"] for row in counts.values()] + [1])
    items = []
    for shape in shapes:
        row = counts.get(shape.pk, {"services": 0, "places": 0})
        level = 0 if not row["services"] else min(4, 1 + int(4 * row["services"] / (peak + 1)))
        items.append({"shape": shape, "services": row["services"], "places": row["places"] or 0, "level": level})
    return render(
        request,
        "social_services/public_map.html",
        {
            "items": items, "view_box": geo.view_box([s.bbox for s in shapes]), "region": region,
            "service_type": service_type, "types": ServiceType.objects.filter(is_active=True),
            "regions": Region.objects.order_by("name_bg"), "total": sum(r["services"] for r in counts.values()),
        },
    )



# --- Service description cards -------------------------------------------------------------------


def _card_period(request) -> tuple[datetime.date, datetime.date]:
    """The card's period from the query (default: the last full calendar year)."""
    today = timezone.localdate()
    default = (datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31))
    try:
        start = datetime.date.fromisoformat(request.GET.get("from") or request.POST.get("from") or "")
        end = datetime.date.fromisoformat(request.GET.get("to") or request.POST.get("to") or "")
    except ValueError:
        return default
    return (start, end) if end >= start else default


@login_required
def card_edit(request, pk: int, variant: str):
    """Fill the service description card for a period online: save a draft, then submit it."""
    from . import cards
    from .models import ServiceCard

    service = selectors.service_get(user=request.user, pk=pk)
    if variant not in ServiceCard.Variant.values:
        raise Http404
    can_edit = selectors.service_can_edit(user=request.user, service=service)
    start, end = _card_period(request)
    card = ServiceCard.objects.filter(service=service, period_start=start, period_end=end).first()
    form_class = cards.card_form_class(variant)
    initial = card.data if card else cards.prefill(service, start, end)
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                card = services.card_save(
                    user=request.user, service=service, variant=variant, period_start=start, period_end=end,
                    data=cards.to_data(form.cleaned_data), submit=submit,
                    expected_revision=int(request.POST["revision"]) if request.POST.get("revision", "").isdigit() else None,
                )
            except (ValidationError, ApplicationError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The card was submitted.") if submit else _("The draft was saved."))
                return redirect(f"{request.path}?from={start.isoformat()}&to={end.isoformat()}")
    return render(
        request,
        "social_services/card_form.html",
        {
            "service": service, "card": card, "form": form, "sections": cards.sections(form), "variant": variant,
            "variant_label": ServiceCard.Variant(variant).label, "start": start, "end": end,
            "can_edit": can_edit and not (card and card.status == ServiceCard.Status.SUBMITTED),
        },
    )
