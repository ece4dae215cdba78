"""Who may see and change what: the one place where access is decided.

A user's Scope says which part of the country (regions, municipalities) and which organisations
they may read and write. Every selector filters its queryset through `visible()` or `editable()`
with the paths its model declares in `scope_paths`, so an object outside the scope never reaches a
view (it answers 404). The roles that produce a Scope live in the organizations app, which
registers the resolver at start-up; core knows nothing about them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class ScopePaths:
    """How a model reaches its territory and owning organisation (ORM lookup paths)."""

    region: str | None = None
    municipality: str | None = None
    organization: str | None = None
    # Published objects are visible to everyone, anonymous users included.
    published: str | None = None
    # Public reference data (the territory classifier) is readable by everyone.
    public: bool = False


@dataclass(frozen=True)
class Area:
    everything: bool = False
    region_ids: frozenset[int] = field(default_factory=frozenset)
    municipality_ids: frozenset[int] = field(default_factory=frozenset)
    organization_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.region_ids or self.municipality_ids or self.organization_ids)

    def __or__(self, other: Area) -> Area:
        return Area(
            everything=self.everything or other.everything,
            region_ids=self.region_ids | other.region_ids,
            municipality_ids=self.municipality_ids | other.municipality_ids,
            organization_ids=self.organization_ids | other.organization_ids,
        )

    def q(self, paths: ScopePaths) -> Q:
        """A filter that keeps the rows of a model (reached through `paths`) inside this area."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        if paths.region and self.region_ids:
            q |= Q(**{f"{paths.region}__in": sorted(self.region_ids)})
        if paths.municipality and self.municipality_ids:
            q |= Q(**{f"{paths.municipality}__in": sorted(self.municipality_ids)})
        if paths.organization and self.organization_ids:
            q |= Q(**{f"{paths.organization}__in": sorted(self.organization_ids)})
        return q

    def covers(self, *, region_id=None, municipality_id=None, organization_id=None) -> bool:
        """Whether an object with these keys lies inside the area (for objects not yet saved)."""
        if self.everything:
            return True
        return bool(
            (region_id is not None and region_id in self.region_ids)
            or (municipality_id is not None and municipality_id in self.municipality_ids)
            or (organization_id is not None and organization_id in self.organization_ids)
        )


NOTHING = Area()
EVERYTHING = Area(everything=True)


@dataclass(frozen=True)
class Scope:
    read: Area = NOTHING
    write: Area = NOTHING
    roles: frozenset[str] = field(default_factory=frozenset)
    authenticated: bool = False
    # Roles that administer users, reference data and organisations everywhere.
    is_administrator: bool = False
    # The organisations the user works for (their role assignments).
    own_organization_ids: frozenset[int] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


ANONYMOUS = Scope()

_resolver: Callable[[object], Scope] | None = None


def register_scope_resolver(resolver: Callable[[object], Scope]) -> None:
    global _resolver
    _resolver = resolver


def scope_for(user) -> Scope:
    """The scope of a user, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_socplan_scope", None)
    if cached is not None:
        return cached
    if _resolver is None:  # pragma: no cover - configuration error
        raise RuntimeError("No scope resolver registered: is socplan.organizations installed?")
    scope = _resolver(user)
    user._socplan_scope = scope
    return scope


def _paths(qs: QuerySet) -> ScopePaths:
    paths = getattr(qs.model, "scope_paths", None)
    if paths is None:  # pragma: no cover - programming error, caught by the tests of every model
        raise TypeError(f"{qs.model.__name__} declares no scope_paths")
    return paths


def visible(qs: QuerySet, user) -> QuerySet:
    """The rows of `qs` that `user` may read."""
    paths = _paths(qs)
    if paths.public:
        return qs
    scope = scope_for(user)
    if scope.read.everything:
        # An empty Q() OR-ed with anything is dropped by Django, so "everything" is said here.
        return qs
    q = scope.read.q(paths)
    if paths.published:
        q |= Q(**{paths.published: True})
    return qs.filter(q)


def editable(qs: QuerySet, user) -> QuerySet:
    """The rows of `qs` that `user` may change."""
    return qs.filter(scope_for(user).write.q(_paths(qs)))


def can_edit(user, obj: Model) -> bool:
    return editable(type(obj)._default_manager.filter(pk=obj.pk), user).exists()
