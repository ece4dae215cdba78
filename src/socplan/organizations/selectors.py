"""Reads of organisations, bodies and roles, and the one place that turns roles into a Scope."""

from datetime import timedelta

from django.core.cache import caches
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from socplan.core.cache import data_version
from socplan.core.scoping import EVERYTHING, NOTHING, Area, Scope, scope_for, visible

from .models import Appointment, Body, Membership, Organization, RoleAssignment

Role = RoleAssignment.Role


def user_scope(user) -> Scope:
    """The user's scope, computed once per data version (role changes bump the version)."""
    key = f"socplan:scope:{user.pk}:{data_version()}"
    scope = caches["pages"].get(key)
    if scope is None:
        scope = _user_scope(user)
        caches["pages"].set(key, scope, 3600)
    return scope


def _user_scope(user) -> Scope:
    """What a user may read and write, from their active roles (the union of them).

    - administrator: everything, read and write; national expert: read everything;
    - regional expert: their region and its municipalities; municipal expert: their municipality;
    - directorate expert: their directorate and its departments; provider: their organisation.
    """
    read, write = NOTHING, NOTHING
    roles, own = set(), set()
    is_admin = bool(user.is_superuser)
    assignments = list(
        RoleAssignment.objects.filter(user=user, is_active=True, organization__is_active=True).values_list(
            "role", "organization_id", "region_id", "municipality_id"
        )
    )
    directorates = [org for role, org, _r, _m in assignments if role == Role.DIRECTORATE_EXPERT]
    children = {}
    if directorates:
        for parent_id, child_id in Organization.objects.filter(parent_id__in=directorates).values_list("parent_id", "id"):
            children.setdefault(parent_id, set()).add(child_id)
    for role, org_id, region_id, municipality_id in assignments:
        roles.add(role)
        own.add(org_id)
        if role == Role.ADMINISTRATOR:
            is_admin = True
        elif role == Role.NATIONAL:
            read |= EVERYTHING
        elif role == Role.REGIONAL_EXPERT and region_id:
            area = Area(region_ids=frozenset({region_id}), organization_ids=frozenset({org_id}))
            read, write = read | area, write | area
        elif role == Role.MUNICIPAL_EXPERT and municipality_id:
            area = Area(municipality_ids=frozenset({municipality_id}), organization_ids=frozenset({org_id}))
            read, write = read | area, write | area
        elif role in (Role.DIRECTORATE_EXPERT, Role.PROVIDER):
            area = Area(organization_ids=frozenset({org_id, *children.get(org_id, ())}))
            read, write = read | area, write | area
    if is_admin:
        read = write = EVERYTHING
        roles.add(Role.ADMINISTRATOR)
    return Scope(
        read=read,
        write=write,
        roles=frozenset(roles),
        authenticated=True,
        is_administrator=is_admin,
        own_organization_ids=frozenset(own),
    )


# --- Organisations ------------------------------------------------------------------------------


def organization_list(*, user, kind: str = "", region=None, municipality=None, query: str = "") -> QuerySet[Organization]:
    qs = visible(Organization.objects.select_related("region", "municipality"), user).defer(
        "region__svg_path", "municipality__svg_path"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if region is not None:
        qs = qs.filter(region=region)
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(short_name__icontains=query) | Q(eik=query))
    return qs.order_by("name")


def organization_get(*, user, pk: int) -> Organization:
    return get_object_or_404(
        visible(Organization.objects.select_related("region", "municipality", "parent"), user).defer(
            "region__svg_path", "municipality__svg_path"
        ),
        pk=pk,
    )


def organization_editable(*, user) -> QuerySet[Organization]:
    """Organisations the user may change: their own, and partners (providers, NGOs, businesses) in
    their territory; administrators all."""
    scope = scope_for(user)
    if scope.is_administrator:
        return Organization.objects.all()
    in_area = scope.write.q(Organization.scope_paths)
    return Organization.objects.filter(
        Q(pk__in=sorted(scope.own_organization_ids)) | (in_area & Q(kind__in=Organization.PARTNER_KINDS))
    )


def organization_can_edit(*, user, organization: Organization) -> bool:
    return organization_editable(user=user).filter(pk=organization.pk).exists()


def organization_creatable_kinds(*, user) -> list[str]:
    scope = scope_for(user)
    if scope.is_administrator:
        return list(Organization.Kind.values)
    if scope.write.region_ids or scope.write.municipality_ids:
        return list(Organization.PARTNER_KINDS)
    return []


# --- Bodies -------------------------------------------------------------------------------------


def body_list(*, user, organization: Organization | None = None) -> QuerySet[Body]:
    qs = visible(Body.objects.select_related("organization"), user).annotate(
        member_count=Count("memberships", filter=Q(memberships__end_date__isnull=True))
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("name")


def body_get(*, user, pk: int, with_members: bool = True) -> Body:
    qs = visible(Body.objects.select_related("organization"), user)
    if not with_members:
        return get_object_or_404(qs, pk=pk)
    return get_object_or_404(
        qs.prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organization", "appointment").order_by(
                    "composition", "end_date", "role", "person_name"
                ),
            ),
            Prefetch("appointments", queryset=Appointment.objects.order_by("-date")),
        ),
        pk=pk,
    )


def body_can_create(*, user, organization: Organization) -> bool:
    """Bodies are set up by their host organisation's own staff, or by an administrator."""
    scope = scope_for(user)
    return scope.is_administrator or organization.pk in scope.own_organization_ids


def body_editable(*, user) -> QuerySet[Body]:
    """Bodies the user may change: those hosted by their own organisation; administrators all."""
    scope = scope_for(user)
    if scope.is_administrator:
        return Body.objects.all()
    return Body.objects.filter(organization_id__in=sorted(scope.own_organization_ids))


def body_can_edit(*, user, body: Body) -> bool:
    return body_editable(user=user).filter(pk=body.pk).exists()


# --- Roles and the home page --------------------------------------------------------------------


def role_assignments_of(*, user) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(user=user, is_active=True)
        .select_related("organization", "region", "municipality")
        .defer("region__svg_path", "municipality__svg_path")
    )


def memberships_ending(*, user, within_days: int = 60) -> QuerySet[Membership]:
    """Seats in bodies the user may change that end within the given number of days."""
    today = timezone.localdate()
    return (
        Membership.objects.filter(
            body__in=body_editable(user=user), end_date__gte=today, end_date__lte=today + timedelta(days=within_days)
        )
        .select_related("body")
        .order_by("end_date")
    )


def bodies_without_chair(*, user) -> QuerySet[Body]:
    return body_editable(user=user).filter(is_active=True).exclude(
        memberships__role=Membership.Role.CHAIR, memberships__end_date__isnull=True
    )


def recent_changes(*, user, limit: int = 10) -> list:
    """The latest changes to organisations and bodies the user may see, newest first."""
    org_ids = visible(Organization.objects.all(), user).values("pk")
    body_ids = visible(Body.objects.all(), user).values("pk")
    orgs = (
        Organization.history.filter(id__in=org_ids)
        .select_related("history_user")
        .only("id", "name", "history_date", "history_type", "history_user__username", "history_user__first_name", "history_user__last_name")
        .order_by("-history_date")[:limit]
    )
    bodies = (
        Body.history.filter(id__in=body_ids)
        .select_related("history_user")
        .only("id", "name", "history_date", "history_type", "history_user__username", "history_user__first_name", "history_user__last_name")
        .order_by("-history_date")[:limit]
    )
    rows = [("organization", h) for h in orgs] + [("body", h) for h in bodies]
    rows.sort(key=lambda row: row[1].history_date, reverse=True)
    return rows[:limit]
