"""Reads of the register: services, occupancy, alerts, institutions, the catalogue and the map."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from socplan.core.scoping import editable, scope_for, visible
from socplan.organizations.models import Organization
from socplan.territory.models import Municipality, Region

from .models import (
    IDLE_MONTHS_FOR_CLOSURE,
    LICENCE_WARNING_DAYS,
    InstitutionResidents,
    Occupancy,
    Service,
    ServiceType,
    SpecializedInstitution,
)


def latest_occupancy() -> dict:
    """Annotations with each service's latest figure (users, waiting list, period)."""
    latest = Occupancy.objects.filter(service=OuterRef("pk")).order_by("-starts_on", "-id")
    return {
        "last_users": Subquery(latest.values("users")[:1]),
        "last_waiting": Subquery(latest.values("waiting")[:1]),
        "last_period_start": Subquery(latest.values("starts_on")[:1]),
        "last_period": Subquery(latest.values("period")[:1]),
    }


def service_list(
    *,
    user,
    region: Region | None = None,
    municipality: Municipality | None = None,
    service_type: ServiceType | None = None,
    status: str = "",
    provider: Organization | None = None,
    target_group=None,
    query: str = "",
    alert: str = "",
) -> QuerySet[Service]:
    qs = (
        visible(Service.objects.all(), user)
        .select_related("service_type", "provider", "municipality", "settlement", "region")
        .annotate(**latest_occupancy())
    )
    if region:
        qs = qs.filter(region=region)
    if municipality:
        qs = qs.filter(municipality=municipality)
    if service_type:
        qs = qs.filter(service_type=service_type)
    if status:
        qs = qs.filter(status=status)
    if provider:
        qs = qs.filter(provider=provider)
    if target_group:
        qs = qs.filter(target_groups=target_group)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(name__icontains=query.capitalize()) | Q(address__icontains=query))
    if alert:
        qs = qs.filter(pk__in=[s.pk for s in alerts(user=user, kinds=[alert], base=qs)])
    return qs.order_by("municipality__name_bg", "name")


def service_get(*, user, pk: int) -> Service:
    qs = visible(Service.objects.all(), user).select_related(
        "service_type", "provider", "municipality", "settlement", "region"
    )
    return get_object_or_404(qs, pk=pk)


def service_can_edit(*, user, service: Service) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return editable(Service.objects.filter(pk=service.pk), user).exists()


def service_can_create(*, user) -> bool:
    scope = scope_for(user)
    return scope.is_administrator or bool(scope.write.region_ids or scope.write.municipality_ids or scope.write.organization_ids)


def service_creatable_providers(*, user) -> QuerySet[Organization]:
    """The organisations a user may register services for: their own, and in their territory the
    municipalities and licensed providers."""
    scope = scope_for(user)
    kinds = [Organization.Kind.MUNICIPALITY, Organization.Kind.PROVIDER, Organization.Kind.NGO]
    qs = Organization.objects.filter(kind__in=kinds, is_active=True)
    if scope.is_administrator:
        return qs
    q = Q(pk__in=sorted(scope.write.organization_ids))
    if scope.write.municipality_ids:
        q |= Q(municipality__in=sorted(scope.write.municipality_ids))
    if scope.write.region_ids:
        q |= Q(region__in=sorted(scope.write.region_ids))
    return qs.filter(q)


def occupancy_series(*, service: Service, period: str = "") -> list[Occupancy]:
    qs = service.occupancy.all()
    if period:
        qs = qs.filter(period=period)
    return list(qs.order_by("starts_on"))


# --- Alerts (Social Services Act) -----------------------------------------------------------------


@dataclass
class Alert:
    kind: str  # licence | idle | over_map | over_capacity
    service: Service
    detail: str


def alerts(*, user, kinds: list[str] | None = None, base: QuerySet | None = None, today=None) -> list[Service]:
    """Services that need attention: a licence expiring within 90 days or expired (ЗСУ чл. 31: 5
    years); no users in the last three months (чл. 58: to be closed); state funding above the
    National Map's maximum (чл. 43); users above capacity in the latest period."""
    today = today or timezone.localdate()
    kinds = kinds or ["licence", "idle", "over_map", "over_capacity"]
    qs = base if base is not None else visible(Service.objects.all(), user)
    active = qs.filter(status__in=Service.ACTIVE_STATUSES)
    found: dict[int, Service] = {}
    if "licence" in kinds:
        for service in active.filter(licence_expires_on__lte=today + datetime.timedelta(days=LICENCE_WARNING_DAYS)):
            found[service.pk] = service
    if "over_map" in kinds:
        for service in active.filter(on_national_map=True, state_funded_users__gt=F("map_max_users")):
            found[service.pk] = service
    if "over_capacity" in kinds:
        latest_users = Occupancy.objects.filter(service=OuterRef("pk")).order_by("-starts_on", "-id").values("users")[:1]
        for service in active.annotate(latest_users=Subquery(latest_users)).filter(latest_users__gt=F("capacity")):
            found[service.pk] = service
    if "idle" in kinds:
        for service in idle_services(qs=active, today=today):
            found[service.pk] = service
    return list(found.values())


def idle_services(*, qs: QuerySet[Service], today: datetime.date) -> list[Service]:
    """Services whose last three months (or the last quarter) reported no users at all."""
    month = today.replace(day=1)
    months = []
    for _ in range(IDLE_MONTHS_FOR_CLOSURE):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    rows = Occupancy.objects.filter(service__in=qs, period=Occupancy.Period.MONTH, starts_on__in=months).values(
        "service_id"
    ).annotate(reported=Count("id"), users=Sum("users"))
    idle_ids = {row["service_id"] for row in rows if row["reported"] == IDLE_MONTHS_FOR_CLOSURE and row["users"] == 0}
    quarter_start = datetime.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
    if quarter_start > month:
        quarter_start = quarter_start.replace(year=quarter_start.year - 1)
    for service_id in Occupancy.objects.filter(
        service__in=qs, period=Occupancy.Period.QUARTER, starts_on=quarter_start, users=0
    ).values_list("service_id", flat=True):
        idle_ids.add(service_id)
    return list(qs.filter(pk__in=idle_ids))


# --- The register as it was -----------------------------------------------------------------------


def register_as_of(*, user, date: datetime.date, municipality=None, region=None) -> list:
    """The services as they were recorded at the end of `date` (from the history of changes)."""
    moment = timezone.make_aware(datetime.datetime.combine(date, datetime.time.max))
    visible_ids = visible(Service.objects.all(), user)
    if municipality:
        visible_ids = visible_ids.filter(municipality=municipality)
    if region:
        visible_ids = visible_ids.filter(region=region)
    # Historical rows have their own primary key (history_id); the service is `id`.
    records = Service.history.as_of(moment).filter(id__in=visible_ids.values("pk"))
    types = {t.pk: t for t in ServiceType.objects.all()}
    result = []
    for record in records:
        record.type_name = str(types.get(record.service_type_id, ""))
        result.append(record)
    result.sort(key=lambda s: (s.municipality_id, s.name))
    return result


# --- Institutions ---------------------------------------------------------------------------------


def institution_list(*, user, region=None) -> QuerySet[SpecializedInstitution]:
    latest = InstitutionResidents.objects.filter(institution=OuterRef("pk")).order_by("-as_of")
    qs = visible(SpecializedInstitution.objects.all(), user).select_related("region", "municipality", "operator")
    if region:
        qs = qs.filter(region=region)
    return qs.annotate(
        last_residents=Subquery(latest.values("residents")[:1]),
        last_as_of=Subquery(latest.values("as_of")[:1]),
        moved=Sum("residents__moved_to_community"),
        replacing=Count("replaced_by", distinct=True),
    )


def institution_get(*, user, pk: int) -> SpecializedInstitution:
    return get_object_or_404(visible(SpecializedInstitution.objects.all(), user), pk=pk)


def deinstitutionalisation_progress(*, user) -> list[dict]:
    """Per region: institutions, closed or transformed, places, residents now, moved to the community."""
    rows: dict[int, dict] = defaultdict(lambda: {"institutions": 0, "done": 0, "capacity": 0, "residents": 0, "moved": 0})
    for inst in institution_list(user=user):
        row = rows[inst.region_id]
        row["region"] = inst.region
        row["institutions"] += 1
        row["capacity"] += inst.capacity
        row["residents"] += inst.last_residents or 0
        row["moved"] += inst.moved or 0
        if inst.status in (SpecializedInstitution.Status.CLOSED, SpecializedInstitution.Status.TRANSFORMED):
            row["done"] += 1
    result = sorted(rows.values(), key=lambda r: str(r["region"]))
    for row in result:
        row["percent_done"] = round(100 * row["done"] / row["institutions"]) if row["institutions"] else 0
    return result


# --- Public catalogue and map ------------------------------------------------------------------


def catalogue(
    *, municipality: Municipality | None = None, settlement=None, service_type=None, target_group=None,
    activity: str = "", region: Region | None = None,
) -> QuerySet[Service]:
    """Published, active services for anyone: near a settlement first (same settlement, then its
    municipality), filtered by need (type or activity) or target group. No personal data."""
    qs = (
        Service.objects.filter(is_published=True, status__in=Service.ACTIVE_STATUSES)
        .select_related("service_type", "provider", "municipality", "settlement")
        .annotate(**latest_occupancy())
    )
    if settlement is not None:
        qs = qs.filter(municipality=settlement.municipality)
    elif municipality is not None:
        qs = qs.filter(municipality=municipality)
    elif region is not None:
        qs = qs.filter(region=region)
    if service_type is not None:
        qs = qs.filter(service_type=service_type)
    if activity:
        qs = qs.filter(service_type__activity=activity)
    if target_group is not None:
        qs = qs.filter(target_groups=target_group)
    return qs.order_by("municipality__name_bg", "name")


def free_places(service: Service) -> int | None:
    users = getattr(service, "last_users", None)
    if users is None:
        return None
    return max(service.capacity - users, 0)


def services_per_municipality(*, region: Region | None = None, service_type=None, published_only=True) -> dict[int, dict]:
    """Counts and places of active services per municipality (for the maps)."""
    qs = Service.objects.filter(status__in=Service.ACTIVE_STATUSES)
    if published_only:
        qs = qs.filter(is_published=True)
    if region is not None:
        qs = qs.filter(region=region)
    if service_type is not None:
        qs = qs.filter(service_type=service_type)
    return {
        row["municipality_id"]: row
        for row in qs.values("municipality_id").annotate(services=Count("id"), places=Sum("capacity"))
    }
