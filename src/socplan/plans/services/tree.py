"""Editing a plan's tree: add, change, move, indent, outdent, delete, link to the regional plan.

Every change locks the version row (so two editors are serialised), checks the user may edit the
plan and that the version is still a draft, then renumbers the version and bumps its revision.
Edits carry the revision they were based on; one based on an older revision is refused with a
message instead of overwriting a colleague's change.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from socplan.core.concurrency import check_revision
from socplan.core.exceptions import ApplicationError
from socplan.organizations.models import Organization

from .. import selectors
from ..models import (
    LEVEL_ORDER,
    Alignment,
    FinancingLine,
    Level,
    Node,
    Plan,
    PlanVersion,
    Responsibility,
    level_rank,
)

NODE_FIELDS = (
    "title",
    "description",
    "expected_results",
    "notes",
    "sector",
    "responsible_text",
    "stage",
    "starts_on",
    "ends_on",
    "budget",
    "budget_currency",
)


def editable_version(*, user, version: PlanVersion) -> PlanVersion:
    """The version, locked for this transaction, after checking it may be changed by `user`."""
    locked = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    if not selectors.plan_can_edit(user=user, plan=locked.plan):
        raise PermissionDenied
    if not locked.is_editable:
        raise ApplicationError(
            _("This version is no longer a draft. An adopted plan is changed only through an update (актуализация).")
        )
    return locked


def touch(version: PlanVersion) -> None:
    PlanVersion.objects.filter(pk=version.pk).update(revision=F("revision") + 1)
    version.refresh_from_db(fields=["revision", "updated_at"])


def renumber(version: PlanVersion) -> None:
    """Give every node its number from its position: roots start at the version's first number."""
    nodes = list(Node.objects.filter(version=version).only("id", "parent_id", "position", "number"))
    children: dict[int | None, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    changed: list[Node] = []

    def walk(parent_id, prefix: str, start: int) -> None:
        siblings = sorted(children.get(parent_id, []), key=lambda n: (n.position, n.pk))
        for index, node in enumerate(siblings):
            number = f"{prefix}{start + index}"
            if node.number != number or node.position != index:
                node.number, node.position = number, index
                changed.append(node)
            walk(node.pk, number + ".", 1)

    walk(None, version.number_prefix or "", version.first_number or 1)
    if changed:
        Node.objects.bulk_update(changed, ["number", "position"], batch_size=500)


def _check_levels(*, plan: Plan, level: str, parent: Node | None, children_levels: list[str] = ()) -> None:
    if level not in LEVEL_ORDER:
        raise ValidationError({"level": _("Unknown level.")})
    if parent is not None:
        if parent.level == Level.ACTIVITY:
            raise ValidationError({"level": _("Nothing can be placed below an activity.")})
        if level_rank(level) <= level_rank(parent.level):
            raise ValidationError(
                {
                    "level": _("A %(level)s cannot be placed under a %(parent)s.")
                    % {"level": Level(level).label, "parent": Level(parent.level).label}
                }
            )
    for child in children_levels:
        if level_rank(child) <= level_rank(level):
            raise ValidationError(
                {"level": _("The element has elements below it that would no longer fit under a %(level)s.")
                 % {"level": Level(level).label}}
            )


def level_below(plan: Plan, parent: Node | None) -> str:
    levels = plan.used_levels
    if parent is None:
        return levels[0]
    lower = [level for level in LEVEL_ORDER if level_rank(level) > level_rank(parent.level) and level in levels]
    if lower:
        return lower[0]
    lower = [level for level in LEVEL_ORDER if level_rank(level) > level_rank(parent.level)]
    if not lower:
        raise ValidationError({"level": _("Nothing can be placed below an activity.")})
    return lower[0]


def _check_dates(*, plan: Plan, starts_on, ends_on, what: str = "") -> None:
    first, last = datetime.date(plan.period_start, 1, 1), datetime.date(plan.period_end, 12, 31)
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value and not first <= value <= last:
            raise ValidationError(
                {name: _("%(what)s falls outside the plan's period %(period)s.")
                 % {"what": what or _("The date"), "period": plan.period_label}}
            )
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end date is before the start date.")})


def _subtree_ids(node: Node) -> set[int]:
    ids, frontier = {node.pk}, [node.pk]
    while frontier:
        frontier = list(Node.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    return ids


def _finish(version: PlanVersion) -> None:
    renumber(version)
    touch(version)


@transaction.atomic
def node_add(
    *,
    user,
    version: PlanVersion,
    title: str,
    level: str = "",
    parent: Node | None = None,
    after: Node | None = None,
    expected_revision: int | None = None,
    **fields,
) -> Node:
    """Add a node as the last child of `parent`, or right after the sibling `after`."""
    version = editable_version(user=user, version=version)
    check_revision(current=version.revision, expected=expected_revision)
    plan = version.plan
    if after is not None:
        if after.version_id != version.pk:
            raise ValidationError(_("The element belongs to another plan."))
        parent = after.parent
        position = after.position + 1
        Node.objects.filter(version=version, parent=parent, position__gte=position).update(position=F("position") + 1)
        level = level or after.level
    else:
        if parent is not None and parent.version_id != version.pk:
            raise ValidationError(_("The element belongs to another plan."))
        position = Node.objects.filter(version=version, parent=parent).count()
        level = level or level_below(plan, parent)
    _check_levels(plan=plan, level=level, parent=parent)
    node = Node(version=version, parent=parent, level=level, position=position, title=(title or "").strip(), number="")
    for name, value in fields.items():
        if name in NODE_FIELDS:
            setattr(node, name, value)
    if not node.title:
        raise ValidationError({"title": _("The title is required.")})
    _check_dates(plan=plan, starts_on=node.starts_on, ends_on=node.ends_on, what=str(Level(level).label).capitalize())
    node.full_clean(exclude=["number"])
    node.save()
    _finish(version)
    node.refresh_from_db()
    return node


def _parse_amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError(_("“%(value)s” is not an amount.") % {"value": value}) from exc
    if amount < 0:
        raise ValidationError(_("A financing amount cannot be negative."))
    return amount


def _save_financing(node: Node, lines: list[dict]) -> None:
    valid_sources = set(FinancingLine.Source.values)
    objs = []
    for line in lines:
        source = line.get("source")
        if source not in valid_sources:
            raise ValidationError(_("Unknown financing source “%(source)s”.") % {"source": source})
        obj = FinancingLine(
            node=node,
            source=source,
            programme=(line.get("programme") or "").strip(),
            amount=_parse_amount(line.get("amount")),
            currency=line.get("currency") or "BGN",
            year=line.get("year") or None,
        )
        if obj.year and not node.version.plan.period_start <= int(obj.year) <= node.version.plan.period_end:
            raise ValidationError(
                _("The financing year %(year)s is outside the plan's period.") % {"year": obj.year}
            )
        obj.full_clean(exclude=["node"])
        objs.append(obj)
    node.financing.all().delete()
    FinancingLine.objects.bulk_create(objs)


def _save_responsibilities(node: Node, items: list[tuple[Organization, str]]) -> None:
    seen = set()
    objs = []
    for organization, role in items:
        if organization.pk in seen:
            continue
        seen.add(organization.pk)
        objs.append(Responsibility(node=node, organization=organization, role=role))
    node.responsibilities.all().delete()
    Responsibility.objects.bulk_create(objs)


@transaction.atomic
def node_update(
    *,
    user,
    node: Node,
    expected_revision: int | None = None,
    level: str | None = None,
    target_groups=None,
    financing: list[dict] | None = None,
    responsibilities: list[tuple[Organization, str]] | None = None,
    **fields,
) -> Node:
    """Change a node's content. `expected_revision` is the node's revision the edit started from."""
    version = editable_version(user=user, version=node.version)
    node = Node.objects.select_for_update(of=("self",)).select_related("parent").get(pk=node.pk)
    check_revision(current=node.revision, expected=expected_revision, what=_("this element"))
    plan = version.plan
    if level and level != node.level:
        _check_levels(
            plan=plan, level=level, parent=node.parent, children_levels=list(node.children.values_list("level", flat=True))
        )
        node.level = level
    for name, value in fields.items():
        if name in NODE_FIELDS:
            setattr(node, name, value.strip() if isinstance(value, str) else value)
    if not node.title:
        raise ValidationError({"title": _("The title is required.")})
    if node.stage_id and node.stage.version_id != version.pk:
        raise ValidationError({"stage": _("The stage belongs to another plan.")})
    _check_dates(plan=plan, starts_on=node.starts_on, ends_on=node.ends_on, what=str(Level(node.level).label).capitalize())
    node.revision += 1
    node.full_clean()
    node.save()
    if target_groups is not None:
        node.target_groups.set(target_groups)
    if financing is not None:
        _save_financing(node, financing)
    if responsibilities is not None:
        _save_responsibilities(node, responsibilities)
    touch(version)
    return node


def _shift_levels(*, plan: Plan, node: Node, new_parent: Node | None) -> list[Node]:
    """Levels for a subtree placed under `new_parent`: unchanged when they fit, else moved down
    as many steps as needed (all of the subtree by the same steps). Refused below an activity."""
    if new_parent is None or level_rank(node.level) > level_rank(new_parent.level):
        return []
    steps = level_rank(level_below(plan, new_parent)) - level_rank(node.level)
    subtree = list(Node.objects.filter(pk__in=_subtree_ids(node)))
    for item in subtree:
        rank = level_rank(item.level) + steps
        if rank >= len(LEVEL_ORDER):
            raise ValidationError(
                {"level": _("This would place elements below an activity; move or delete the activities first.")}
            )
        item.level = LEVEL_ORDER[rank]
    return subtree


@transaction.atomic
def node_move(
    *,
    user,
    node: Node,
    direction: str = "",
    parent: Node | None = None,
    position: int | None = None,
    to_parent: bool = False,
    expected_revision: int | None = None,
) -> Node:
    """Move a node up or down among its siblings, or (to_parent=True) under `parent` at `position`."""
    version = editable_version(user=user, version=node.version)
    check_revision(current=version.revision, expected=expected_revision)
    node = Node.objects.select_related("parent").get(pk=node.pk)
    siblings = list(Node.objects.filter(version=version, parent_id=node.parent_id).order_by("position", "pk"))
    if direction in ("up", "down"):
        index = next(i for i, n in enumerate(siblings) if n.pk == node.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(siblings):
            return node
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for i, sibling in enumerate(siblings):
            sibling.position = i
        Node.objects.bulk_update(siblings, ["position"])
    elif to_parent:
        if parent is not None:
            if parent.version_id != version.pk:
                raise ValidationError(_("The element belongs to another plan."))
            if parent.pk in _subtree_ids(node):
                raise ValidationError(_("An element cannot be moved under itself."))
        _place(version=version, node=node, parent=parent, position=position)
    else:
        raise ValidationError(_("Say where to move the element."))
    _finish(version)
    node.refresh_from_db()
    return node


def _place(*, version: PlanVersion, node: Node, parent: Node | None, position: int | None) -> None:
    plan = version.plan
    shifted = _shift_levels(plan=plan, node=node, new_parent=parent)
    own_level = next((item.level for item in shifted if item.pk == node.pk), node.level)
    _check_levels(plan=plan, level=own_level, parent=parent)
    if shifted:
        Node.objects.bulk_update(shifted, ["level"])
    new_siblings = list(
        Node.objects.filter(version=version, parent=parent).exclude(pk=node.pk).order_by("position", "pk")
    )
    position = len(new_siblings) if position is None else max(0, min(int(position), len(new_siblings)))
    new_siblings.insert(position, node)
    for i, sibling in enumerate(new_siblings):
        sibling.position = i
    node.parent = parent
    node.save(update_fields=["parent", "position", "updated_at"])
    Node.objects.bulk_update([s for s in new_siblings if s.pk != node.pk], ["position"])


@transaction.atomic
def node_indent(*, user, node: Node, expected_revision: int | None = None) -> Node:
    """Make the node the last child of its previous sibling (Tab in the editor)."""
    version = editable_version(user=user, version=node.version)
    check_revision(current=version.revision, expected=expected_revision)
    node = Node.objects.get(pk=node.pk)
    previous = (
        Node.objects.filter(version=version, parent_id=node.parent_id, position__lt=node.position)
        .order_by("-position", "-pk")
        .first()
    )
    if previous is None:
        raise ApplicationError(_("The first element of a list cannot be indented: there is nothing above it to go under."))
    _place(version=version, node=node, parent=previous, position=None)
    _finish(version)
    node.refresh_from_db()
    return node


@transaction.atomic
def node_outdent(*, user, node: Node, expected_revision: int | None = None) -> Node:
    """Make the node a sibling right after its parent (Shift+Tab in the editor)."""
    version = editable_version(user=user, version=node.version)
    check_revision(current=version.revision, expected=expected_revision)
    node = Node.objects.select_related("parent").get(pk=node.pk)
    if node.parent is None:
        raise ApplicationError(_("This element is already at the top of the tree."))
    grandparent = node.parent.parent
    _place(version=version, node=node, parent=grandparent, position=node.parent.position + 1)
    _finish(version)
    node.refresh_from_db()
    return node


@transaction.atomic
def node_delete(*, user, node: Node, expected_revision: int | None = None) -> None:
    """Delete a node with everything below it (from a draft; adopted versions keep theirs)."""
    version = editable_version(user=user, version=node.version)
    check_revision(current=version.revision, expected=expected_revision)
    Node.objects.filter(pk__in=_subtree_ids(node)).delete()
    _finish(version)


@transaction.atomic
def alignment_set(*, user, node: Node, target_keys: list) -> Node:
    """Link a municipal node to the nodes of the regional strategy its plan implements."""
    version = editable_version(user=user, version=node.version)
    plan = version.plan
    if plan.implements_id is None:
        raise ApplicationError(_("Choose first which regional strategy this plan implements."))
    allowed = {target.key for target in selectors.alignment_targets(plan=plan)}
    try:
        keys = {key if isinstance(key, uuid.UUID) else uuid.UUID(str(key)) for key in target_keys}
    except ValueError as exc:
        raise ValidationError(_("Some of the chosen elements are not in the regional strategy.")) from exc
    unknown = keys - allowed
    if unknown:
        raise ValidationError(_("Some of the chosen elements are not in the regional strategy."))
    Alignment.objects.filter(node=node).exclude(target_key__in=keys).delete()
    existing = set(Alignment.objects.filter(node=node).values_list("target_key", flat=True))
    Alignment.objects.bulk_create(
        [Alignment(node=node, target_plan_id=plan.implements_id, target_key=key) for key in keys - existing]
    )
    touch(version)
    return node
