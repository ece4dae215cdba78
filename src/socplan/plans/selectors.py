"""Reads of plans, their versions and trees, and the rule of who may change a plan."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from socplan.core.scoping import scope_for, visible
from socplan.organizations.models import Organization

from .models import (
    Alignment,
    Comment,
    FinancingLine,
    Level,
    Node,
    Plan,
    PlanVersion,
    Responsibility,
)


def _write_q(user) -> Q:
    """The plans a user may change.

    A plan is changed by the people of the territory it belongs to, not by those above it: a
    municipal strategy by the municipality's experts (the council adopts it), the regional
    strategy by the regional administration. A regional expert reads the municipal plans of the
    region but does not edit them; an organisation edits the plans (projects) it owns.
    """
    scope = scope_for(user)
    if scope.is_administrator:
        return Q()
    write = scope.write
    q = Q(pk__in=[])
    if write.region_ids:
        q |= Q(municipality__isnull=True, region__in=sorted(write.region_ids))
    if write.municipality_ids:
        q |= Q(municipality__in=sorted(write.municipality_ids))
    own = write.organization_ids | scope.own_organization_ids
    if own:
        q |= Q(owner__in=sorted(own))
    return q


def plan_list(
    *, user, kind: str = "", region=None, municipality=None, status: str = "", query: str = ""
) -> QuerySet[Plan]:
    qs = visible(Plan.objects.all(), user).select_related("region", "municipality", "owner", "current_version")
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region=region)
    if municipality:
        qs = qs.filter(municipality=municipality)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(title__icontains=query.capitalize()))
    return qs.order_by("-period_start", "title")


def plan_public_list(*, kind: str = "", region=None, municipality=None) -> QuerySet[Plan]:
    """The plans anyone may read without signing in (published ones)."""
    return plan_list(user=None, kind=kind, region=region, municipality=municipality)


def plan_get(*, user, pk: int) -> Plan:
    qs = visible(Plan.objects.all(), user).select_related(
        "region", "municipality", "owner", "implements", "current_version"
    )
    return get_object_or_404(qs, pk=pk)


def plan_editable(*, user) -> QuerySet[Plan]:
    return visible(Plan.objects.all(), user).filter(_write_q(user))


def plan_can_edit(*, user, plan: Plan) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return plan_editable(user=user).filter(pk=plan.pk).exists()


def plan_can_create(*, user) -> bool:
    scope = scope_for(user)
    return scope.is_administrator or bool(scope.write.region_ids or scope.write.municipality_ids or scope.own_organization_ids)


def regional_strategies(*, user, region=None) -> QuerySet[Plan]:
    qs = plan_list(user=user, kind=Plan.Kind.REGIONAL_STRATEGY)
    if region is not None:
        qs = qs.filter(region=region)
    return qs


# --- Versions ------------------------------------------------------------------------------------


def version_list(*, plan: Plan) -> QuerySet[PlanVersion]:
    return plan.versions.select_related("adoption", "adoption__body").order_by("number")


def reads_drafts(*, user, plan: Plan) -> bool:
    """Drafts are read by those who see the plan through their territory or organisation; the
    public (and users of other territories) see only what was published."""
    scope = scope_for(user)
    return Plan.objects.filter(pk=plan.pk).filter(scope.read.q(Plan.scope_paths)).exists()


def version_get(*, user, plan: Plan, number: int | None = None) -> PlanVersion:
    """A version of a visible plan: the given number, else the latest one the user may read."""
    versions = PlanVersion.objects.filter(plan=plan).select_related("plan", "adoption", "adoption__body")
    if not reads_drafts(user=user, plan=plan):
        versions = versions.exclude(status=PlanVersion.Status.DRAFT)
    if number is not None:
        return get_object_or_404(versions, number=number)
    version = versions.order_by("-number").first()
    if version is None:
        raise Http404
    return version


def version_editable(*, user, version: PlanVersion) -> bool:
    return version.is_editable and plan_can_edit(user=user, plan=version.plan)


# --- The tree --------------------------------------------------------------------------------


def node_queryset(version: PlanVersion) -> QuerySet[Node]:
    return (
        Node.objects.filter(version=version)
        .select_related("stage")
        .prefetch_related(
            "target_groups",
            Prefetch("responsibilities", queryset=Responsibility.objects.select_related("organization")),
            "financing",
            "alignments",
        )
    )


def node_rows(*, version: PlanVersion, prefetch: bool = True) -> list[Node]:
    """All nodes in document (depth-first) order."""
    qs = node_queryset(version) if prefetch else Node.objects.filter(version=version)
    nodes = list(qs)
    by_parent: dict[int | None, list[Node]] = defaultdict(list)
    for node in nodes:
        by_parent[node.parent_id].append(node)
    for siblings in by_parent.values():
        siblings.sort(key=lambda n: (n.position, n.pk))
    ordered: list[Node] = []
    stack = list(reversed(by_parent[None]))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(by_parent.get(node.pk, [])))
    return ordered


def version_totals(*, version: PlanVersion) -> dict:
    """Counts per level and money per source and currency (for the plan's summary)."""
    counts = dict(
        Node.objects.filter(version=version).values_list("level").annotate(n=Count("id")).values_list("level", "n")
    )
    money: dict[tuple[str, str], object] = defaultdict(int)
    for source, currency, amount in FinancingLine.objects.filter(node__version=version, amount__isnull=False).values_list(
        "source", "currency", "amount"
    ):
        money[(source, currency)] += amount
    return {
        "levels": [(level, label, counts.get(level, 0)) for level, label in Level.choices],
        "money": [
            (FinancingLine.Source(source).label, currency, amount)
            for (source, currency), amount in sorted(money.items())
        ],
    }


# --- Differences between versions ---------------------------------------------------------------


DIFF_FIELDS = ("number", "level", "title", "description", "expected_results", "budget", "responsible_text")


@dataclass
class DiffRow:
    status: str  # same | changed | added | removed
    old: Node | None
    new: Node | None
    changed_fields: list[str]


def version_diff(*, old: PlanVersion, new: PlanVersion) -> list[DiffRow]:
    """Nodes of two versions side by side, matched by key (copied unchanged by an update)."""
    old_rows = node_rows(version=old, prefetch=False)
    new_rows = node_rows(version=new, prefetch=False)
    old_by_key = {node.key: node for node in old_rows}
    new_keys = {node.key for node in new_rows}
    rows: list[DiffRow] = []
    place = {node.key: index for index, node in enumerate(old_rows)}
    pending_removed = [node for node in old_rows if node.key not in new_keys]
    for node in new_rows:
        before = old_by_key.get(node.key)
        if before is None:
            rows.append(DiffRow("added", None, node, []))
            continue
        # Removed nodes are shown where they stood: before the first new node that followed them.
        while pending_removed and place[pending_removed[0].key] < place[before.key]:
            rows.append(DiffRow("removed", pending_removed.pop(0), None, []))
        changed = [name for name in DIFF_FIELDS if getattr(before, name) != getattr(node, name)]
        rows.append(DiffRow("changed" if changed else "same", before, node, changed))
    rows.extend(DiffRow("removed", node, None, []) for node in pending_removed)
    return rows


# --- Alignment ---------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    node: Node  # a node of the regional strategy
    links: dict[int, list[Node]]  # municipality id → municipal nodes implementing it

    @property
    def municipality_count(self) -> int:
        return len(self.links)


def alignment_coverage(*, user, regional: PlanVersion) -> dict:
    """Each regional node with the municipal nodes (in force or draft) implementing it.

    Flags regional goals that no municipality implements and municipal measures linked to
    nothing. Municipal plans are those that declare they implement this strategy.
    """
    regional_nodes = node_rows(version=regional, prefetch=False)
    keys = {node.key for node in regional_nodes}
    municipal_plans = list(
        visible(Plan.objects.filter(implements=regional.plan), user).select_related("municipality", "current_version")
    )
    latest_versions = _working_versions(municipal_plans)
    links = (
        Alignment.objects.filter(target_plan=regional.plan, target_key__in=keys, node__version__in=latest_versions.values())
        .select_related("node", "node__version__plan")
        .order_by("node__version__plan__municipality__name_bg", "node__number")
    )
    by_key: dict = defaultdict(lambda: defaultdict(list))
    for link in links:
        by_key[link.target_key][link.node.version.plan.municipality_id].append(link.node)
    rows = [CoverageRow(node, dict(by_key.get(node.key, {}))) for node in regional_nodes]
    goal_levels = {Level.PRIORITY, Level.GENERAL_GOAL, Level.SPECIFIC_GOAL}
    # A goal counts as implemented when it or any node below it is linked.
    parents = {node.pk: node.parent_id for node in regional_nodes}
    implemented: set[int] = set()
    for row in rows:
        pk = row.node.pk if row.links else None
        while pk and pk not in implemented:
            implemented.add(pk)
            pk = parents.get(pk)
    uncovered = [row.node for row in rows if row.node.level in goal_levels and row.node.pk not in implemented]
    return {
        "rows": rows,
        "municipal_plans": municipal_plans,
        "uncovered": uncovered,
        "unlinked": _unlinked_measures(list(latest_versions.values())),
        "implemented": implemented,
    }


def _unlinked_measures(version_ids: list[int]) -> list[Node]:
    """Municipal measures that implement nothing: neither they nor a node above them is linked."""
    nodes = list(
        Node.objects.filter(version_id__in=version_ids)
        .annotate(links=Count("alignments"))
        .select_related("version__plan__municipality")
        .only("id", "parent_id", "level", "number", "title", "version__plan__municipality__name_bg", "version__plan__municipality__name_en", "version__plan__title")
    )
    parent = {node.pk: node.parent_id for node in nodes}
    linked = {node.pk for node in nodes if node.links}

    def covered(pk):
        while pk:
            if pk in linked:
                return True
            pk = parent.get(pk)
        return False

    result = [node for node in nodes if node.level == Level.MEASURE and not covered(node.pk)]
    result.sort(key=lambda n: (str(n.version.plan.municipality), [int(p) for p in n.number.split(".") if p.isdigit()]))
    return result


def _working_versions(plans: list[Plan]) -> dict[int, int]:
    """The version to look at per plan: the one in force, else the latest."""
    result: dict[int, int] = {}
    latest = dict(
        PlanVersion.objects.filter(plan__in=plans).values_list("plan_id").annotate(n=Count("id")).values_list("plan_id", "n")
    )
    for plan in plans:
        if plan.current_version_id:
            result[plan.pk] = plan.current_version_id
    missing = [plan.pk for plan in plans if plan.pk not in result and latest.get(plan.pk)]
    for plan_id, version_id in (
        PlanVersion.objects.filter(plan_id__in=missing).order_by("plan_id", "-number").values_list("plan_id", "id")
    ):
        result.setdefault(plan_id, version_id)
    return result


def alignment_targets(*, plan: Plan) -> list[Node]:
    """The nodes of the regional strategy a municipal plan implements (for the link picker)."""
    regional = plan.implements
    if regional is None:
        return []
    version = regional.current_version or regional.versions.order_by("-number").first()
    if version is None:
        return []
    return node_rows(version=version, prefetch=False)


# --- Consultation ------------------------------------------------------------------------------


def comments_public(*, version: PlanVersion) -> QuerySet[Comment]:
    return Comment.objects.filter(consultation__version=version, status=Comment.Status.PUBLISHED).select_related("node")


def comments_for_moderation(*, version: PlanVersion) -> QuerySet[Comment]:
    return Comment.objects.filter(consultation__version=version).select_related("node").order_by("status", "created_at")


# --- Organisations of a plan ---------------------------------------------------------------------


def plan_organizations(plan: Plan) -> QuerySet[Organization]:
    """The organisations that may lead or partner in a plan: its territory's and national ones."""
    q = Q(region__isnull=True, municipality__isnull=True)
    if plan.municipality_id:
        q |= Q(municipality=plan.municipality_id) | Q(region=plan.region_id, municipality__isnull=True)
    elif plan.region_id:
        q |= Q(region=plan.region_id)
    else:
        q = Q()
    return Organization.objects.filter(q, is_active=True).order_by("name")


def adoption_bodies(plan: Plan) -> QuerySet[Organization]:
    """The bodies that may adopt the plan: its owner and the councils and administrations of its territory."""
    kinds = [Organization.Kind.MUNICIPAL_COUNCIL, Organization.Kind.REGIONAL_DEVELOPMENT_COUNCIL,
             Organization.Kind.REGIONAL_ADMINISTRATION, Organization.Kind.MUNICIPALITY]
    q = Q(pk=plan.owner_id)
    if plan.municipality_id:
        q |= Q(municipality=plan.municipality_id, kind__in=kinds)
    if plan.region_id:
        q |= Q(region=plan.region_id, municipality__isnull=True, kind__in=kinds)
    if not plan.region_id:
        q |= Q(region__isnull=True, municipality__isnull=True)
    return Organization.objects.filter(q).order_by("kind", "name")
