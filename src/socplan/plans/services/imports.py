"""Bringing an existing strategy document in: parse, let the user correct the preview, apply.

Parsing stores nothing but the preview (an ImportJob); applying writes the whole tree in one
transaction or nothing. The text of a row the user marks as "not an element" is moved into the
description of the element before it, so no text of the document is dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError

from .. import selectors
from ..importing import ImportFileError, ParseResult, parse_file
from ..importing.extract import MAX_IMPORT_BYTES
from ..models import LEVEL_ORDER, ImportJob, Level, Node, Plan, PlanVersion, level_rank
from .tree import editable_version, renumber, touch

ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman_to_int(text: str) -> int | None:
    text = text.upper()
    if not text or any(ch not in ROMAN for ch in text):
        return None
    total = 0
    for index, ch in enumerate(text):
        value = ROMAN[ch]
        total += -value if index + 1 < len(text) and ROMAN[text[index + 1]] > value else value
    return total


def _first_segment(number: str | None) -> int | None:
    if not number:
        return None
    head = number.split(".")[0].strip()
    if head.isdigit():
        return int(head)
    return _roman_to_int(head)


def _number_key(number: str) -> tuple[int, ...] | None:
    parts = [part for part in (number or "").split(".") if part]
    key = []
    for part in parts:
        value = int(part) if part.isdigit() else _roman_to_int(part)
        if value is None:
            return None
        key.append(value)
    return tuple(key) or None


def _sibling_order(rows: list[dict]) -> list[int]:
    """The position of each row among its siblings."""
    groups: dict[int | None, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(row["parent"], []).append(index)
    positions = [0] * len(rows)
    for members in groups.values():
        keys = [_number_key(rows[i]["number"]) for i in members]
        if all(keys):
            members = [i for _key, i in sorted(zip(keys, members, strict=True))]
        for position, index in enumerate(members):
            positions[index] = position
    return positions


def result_as_dict(result: ParseResult | dict) -> dict:
    if isinstance(result, dict):
        return result
    return {
        "preamble": result.preamble,
        "nodes": [asdict(node) for node in result.nodes],
        "skipped": list(result.skipped),
        "warnings": list(result.warnings),
    }


def _working_version(plan: Plan) -> PlanVersion:
    version = plan.versions.order_by("-number").first()
    if version is None or not version.is_editable:
        raise ApplicationError(
            _("The plan has no draft to import into. An adopted plan is changed through an update (актуализация).")
        )
    return version


@transaction.atomic
def plan_import_parse(*, user, plan: Plan, data: bytes, filename: str) -> ImportJob:
    """Parse an uploaded document into a preview. Refused files leave nothing behind."""
    if not selectors.plan_can_edit(user=user, plan=plan):
        raise PermissionDenied
    version = _working_version(plan)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_IMPORT_BYTES // 2**20}
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = ImportJob.objects.filter(
        plan=plan, version=version, sha256=digest, status=ImportJob.Status.PARSED
    ).first()
    if existing is not None:
        return existing
    try:
        result = parse_file(data, filename)
    except ImportFileError as exc:
        raise ValidationError(str(exc)) from exc
    if not result.nodes:
        raise ValidationError(
            _(
                "No goals, measures or activities were recognised in this document. Check that its headings "
                "are numbered (e.g. “Мярка 1.2.”) or add the elements by hand."
            )
        )
    return ImportJob.objects.create(
        plan=plan,
        version=version,
        filename=filename[:255],
        sha256=digest,
        size=len(data),
        result=result_as_dict(result),
        created_by=user,
    )


def _validated_rows(rows: list[dict]) -> list[dict]:
    """Check the (corrected) rows: levels, parents, nesting and unique numbers."""
    errors: list[str] = []
    kept: list[dict] = []
    index_map: dict[int, int] = {}
    numbers: dict[str, int] = {}
    for index, row in enumerate(rows):
        if not row.get("include", True):
            continue
        level = row.get("level")
        title = (row.get("title") or "").strip()
        where = _("row %(row)s") % {"row": index + 1}
        if level not in LEVEL_ORDER:
            errors.append(_("%(where)s: unknown level “%(level)s”.") % {"where": where, "level": level})
            continue
        if not title:
            errors.append(_("%(where)s: the title is empty.") % {"where": where})
        parent = row.get("parent")
        parent_kept = index_map.get(parent) if parent is not None else None
        if parent is not None and parent_kept is None:
            # The parent was excluded: the row goes up to the nearest kept ancestor.
            ancestor = parent
            while ancestor is not None and ancestor not in index_map:
                ancestor = rows[ancestor].get("parent") if 0 <= ancestor < len(rows) else None
            parent_kept = index_map.get(ancestor) if ancestor is not None else None
        if parent_kept is not None:
            parent_level = kept[parent_kept]["level"]
            if parent_level == Level.ACTIVITY:
                errors.append(_("%(where)s: nothing can be placed below an activity.") % {"where": where})
            elif level_rank(level) <= level_rank(parent_level):
                errors.append(
                    _("%(where)s: a %(level)s cannot be placed under a %(parent)s.")
                    % {"where": where, "level": Level(level).label, "parent": Level(parent_level).label}
                )
        number = (row.get("number") or "").strip().rstrip(".")
        if number:
            # A full number ("4.2.1") names one element in the whole plan; a short one ("1", "II")
            # may restart under each parent (numbering per priority), so it is unique among siblings.
            key = number if "." in number else f"{parent_kept}/{number}"
            if key in numbers:
                errors.append(
                    _("%(where)s: the number %(number)s is used twice (also in row %(other)s).")
                    % {"where": where, "number": number, "other": numbers[key] + 1}
                )
            numbers[key] = index
        index_map[index] = len(kept)
        kept.append({**row, "level": level, "title": title, "number": number, "parent": parent_kept})
    if errors:
        raise ValidationError(errors)
    return kept


def _merge_excluded(rows: list[dict]) -> list[dict]:
    """Rows marked "not an element" become text of the element before them (or the introduction)."""
    merged: list[dict] = []
    preamble_extra: list[str] = []
    for row in rows:
        if row.get("include", True):
            merged.append(dict(row))
            continue
        text = "\n".join(
            part for part in (" ".join(filter(None, [row.get("label"), row.get("number"), row.get("title")])),
                              row.get("description")) if part
        )
        if merged:
            merged[-1]["description"] = "\n".join(filter(None, [merged[-1].get("description", ""), text]))
        else:
            preamble_extra.append(text)
        merged.append({**row, "description": ""})
    if preamble_extra:
        merged.insert(0, {"include": False, "preamble": "\n".join(preamble_extra)})
    return merged


@transaction.atomic
def plan_import_apply(
    *,
    user,
    plan: Plan,
    result: ParseResult | dict | None = None,
    job: ImportJob | None = None,
    rows: list[dict] | None = None,
    replace: bool = True,
) -> PlanVersion:
    """Write the parsed (and possibly corrected) tree into the plan's draft version.

    `rows` are the parser's nodes as dicts, each possibly changed by the user (level, number,
    title, parent) or marked `include: False`. With `replace`, the draft's present tree is replaced;
    otherwise importing into a draft that has elements is refused.
    """
    if job is not None:
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.PARSED:
            raise ApplicationError(_("This import has already been applied or discarded."))
        result = job.result
    data = result_as_dict(result or {})
    version = editable_version(user=user, version=_working_version(plan))
    source_rows = rows if rows is not None else data.get("nodes", [])
    merged = _merge_excluded(source_rows)
    extra_preamble = "".join(row.get("preamble", "") for row in merged if "preamble" in row)
    kept = _validated_rows([row for row in merged if "preamble" not in row])
    if not kept:
        raise ValidationError(_("Nothing to import: every row was marked as not an element."))
    if Node.objects.filter(version=version).exists():
        if not replace:
            raise ApplicationError(_("The plan already has elements; choose to replace them."))
        Node.objects.filter(version=version).delete()
    preamble = "\n".join(filter(None, [data.get("preamble", ""), extra_preamble])).strip()
    if preamble and preamble not in version.introduction:
        version.introduction = "\n\n".join(filter(None, [version.introduction, preamble]))
    # Siblings go in the order of their own numbers where the document numbers them all (an
    # overview may list goal 5 before goal 4 is detailed); otherwise in document order.
    order = _sibling_order(kept)
    roots = [_first_segment(row["number"]) for row in kept if row["parent"] is None]
    if roots and all(roots):
        version.first_number = min(roots)
    else:
        version.first_number = (roots[0] if roots else None) or 1
    version.save(update_fields=["introduction", "first_number", "updated_at"])
    created: list[Node | None] = [None] * len(kept)
    depth = [0] * len(kept)
    for index, row in enumerate(kept):
        depth[index] = 0 if row["parent"] is None else depth[row["parent"]] + 1
    # Parents come before their children in document order, so one pass per depth suffices.
    for current in range(max(depth) + 1):
        batch = []
        for index, row in enumerate(kept):
            if depth[index] != current:
                continue
            parent = created[row["parent"]] if row["parent"] is not None else None
            batch.append(
                (
                    index,
                    Node(
                        version=version,
                        parent=parent,
                        level=row["level"],
                        position=order[index],
                        number=row["number"],
                        title=row["title"][:5000],
                        description=(row.get("description") or "").strip(),
                    ),
                )
            )
        Node.objects.bulk_create([node for _index, node in batch])
        for index, node in batch:
            created[index] = node
    renumber(version)
    touch(version)
    # Where the document's own numbers differ from the computed ones (shown to the user).
    computed = dict(Node.objects.filter(version=version).values_list("pk", "number"))
    version.renumbered = [
        (row["number"], computed[node.pk])
        for row, node in zip(kept, created, strict=True)
        if row["number"] and row["number"] != computed[node.pk]
    ]
    if job is not None:
        job.status = ImportJob.Status.APPLIED
        job.save(update_fields=["status", "updated_at"])
    return version


@transaction.atomic
def import_discard(*, user, job: ImportJob) -> ImportJob:
    if not selectors.plan_can_edit(user=user, plan=job.plan):
        raise PermissionDenied
    job.status = ImportJob.Status.DISCARDED
    job.save(update_fields=["status", "updated_at"])
    return job


__all__ = ["ImportFileError", "import_discard", "plan_import_apply", "plan_import_parse"]
