"""Indicators of the logical framework: definition, targets, values and their evidence."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from socplan.core.concurrency import check_revision
from socplan.core.files import upload_check
from socplan.core.scoping import scope_for
from socplan.territory.models import Municipality, Region

from .. import selectors
from ..forms_engine import parse_number
from ..models import Evidence, Indicator, Target, Value

INDICATOR_FIELDS = (
    "node_key", "code", "name", "kind", "value_type", "unit", "baseline_value", "baseline_date", "source", "verification",
    "collected_by", "collected_by_text", "aggregation", "weight_age_from", "weight_age_to", "higher_is_better", "position",
)


def _editable(user, indicator: Indicator) -> None:
    if not selectors.indicator_can_edit(user=user, indicator=indicator):
        raise PermissionDenied


@transaction.atomic
def indicator_save(*, user, indicator: Indicator | None = None, plan=None, service=None, **fields) -> Indicator:
    """Create an indicator on a plan element or a service, or change one."""
    if indicator is None:
        indicator = Indicator(plan=plan, service=service)
    _editable(user, indicator)
    for name, value in fields.items():
        if name in INDICATOR_FIELDS:
            setattr(indicator, name, value)
    if indicator.plan_id and indicator.node_key:
        from socplan.plans.models import Node

        if not Node.objects.filter(version__plan_id=indicator.plan_id, key=indicator.node_key).exists():
            raise ValidationError({"node_key": _("The element is not part of this plan.")})
    if indicator.plan_id and indicator.baseline_date and indicator.baseline_date.year > indicator.plan.period_end:
        raise ValidationError({"baseline_date": _("The baseline cannot be after the plan's period.")})
    if not indicator.position:
        last = Indicator.objects.filter(plan=indicator.plan, service=indicator.service).order_by("-position").first()
        indicator.position = (last.position + 1) if last else 1
    indicator.full_clean()
    indicator.save()
    return indicator


@transaction.atomic
def indicator_delete(*, user, indicator: Indicator) -> None:
    _editable(user, indicator)
    if indicator.values.exists():
        raise ValidationError(_("The indicator has values: it cannot be deleted (so that no reported figure is lost)."))
    indicator.delete()


def _period_check(indicator: Indicator, start: datetime.date, end: datetime.date, field: str = "period_end") -> None:
    if end < start:
        raise ValidationError({field: _("The period ends before it starts.")})
    plan = indicator.plan
    if plan is not None and (start.year < plan.period_start or end.year > plan.period_end):
        raise ValidationError(
            {field: _("The period %(start)s – %(end)s is outside the plan's period %(from)s–%(to)s.") % {
                "start": f"{start:%d.%m.%Y}", "end": f"{end:%d.%m.%Y}", "from": plan.period_start, "to": plan.period_end,
            }}
        )


@transaction.atomic
def target_set(*, user, indicator: Indicator, label: str, due_on: datetime.date, value) -> Target:
    _editable(user, indicator)
    try:
        number = parse_number(value)
    except ValueError:
        raise ValidationError({"value": _("“%(value)s” is not a number.") % {"value": value}}) from None
    if number is None:
        raise ValidationError({"value": _("Enter the target value.")})
    plan = indicator.plan
    if plan is not None and not (plan.period_start <= due_on.year <= plan.period_end):
        raise ValidationError({"due_on": _("The target date is outside the plan's period %(from)s–%(to)s.") % {"from": plan.period_start, "to": plan.period_end}})
    target = Target.objects.filter(indicator=indicator, due_on=due_on).first() or Target(indicator=indicator, due_on=due_on)
    target.label, target.value = label.strip() or str(due_on.year), number
    target.full_clean()
    target.save()
    return target


@transaction.atomic
def target_delete(*, user, target: Target) -> None:
    _editable(user, target.indicator)
    target.delete()


def _unit(user, *, municipality: Municipality | None, region: Region | None) -> tuple[str, Municipality | None, int | None]:
    """The unit a value is recorded for, if the user may record values there."""
    scope = scope_for(user)
    if municipality is not None:
        allowed = scope.is_administrator or municipality.pk in scope.write.municipality_ids or municipality.region_id in scope.write.region_ids
        if not allowed:
            raise PermissionDenied
        return municipality.code, municipality, municipality.region_id
    if region is not None:
        if not (scope.is_administrator or region.pk in scope.write.region_ids):
            raise PermissionDenied
        return region.code, None, region.pk
    if not scope.is_administrator and not scope.has_role("national"):
        raise PermissionDenied
    return "BG", None, None


@transaction.atomic
def value_record(
    *, user, indicator: Indicator, period_start: datetime.date, period_end: datetime.date, value="", text: str = "",
    comment: str = "", municipality: Municipality | None = None, region: Region | None = None,
    expected_revision: int | None = None,
) -> Value:
    """Record (or correct) the value of a period for a territorial unit."""
    if not selectors.indicator_list(user=user).filter(pk=indicator.pk).exists():
        raise PermissionDenied
    unit, municipality, region_id = _unit(user, municipality=municipality, region=region)
    _period_check(indicator, period_start, period_end)
    number = None
    if indicator.is_numeric:
        try:
            number = parse_number(value)
        except ValueError:
            raise ValidationError(
                {"value": _("“%(value)s” is not a number; the indicator “%(name)s” is measured in numbers.") % {"value": value, "name": indicator.name}}
            ) from None
        if number is None:
            raise ValidationError({"value": _("Enter the value.")})
        if indicator.value_type == Indicator.ValueType.PERCENT and not (0 <= number <= 100):
            raise ValidationError({"value": _("A percentage is between 0 and 100.")})
    elif not (text or str(value)).strip():
        raise ValidationError({"text": _("Enter the value.")})
    existing = (
        Value.objects.select_for_update(of=("self",))
        .filter(indicator=indicator, period_start=period_start, period_end=period_end, unit_code=unit)
        .first()
    )
    if existing is None:
        record = Value(indicator=indicator, period_start=period_start, period_end=period_end, unit_code=unit,
                       municipality=municipality, region_id=region_id)
    else:
        check_revision(current=existing.revision, expected=expected_revision, what=_("this value"))
        record = existing
        record.revision += 1
    record.value = number
    record.text = "" if indicator.is_numeric else (text or str(value)).strip()
    record.comment = comment.strip()
    record.recorded_by = user
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def evidence_add(*, user, value: Value, file) -> Evidence:
    if not selectors.indicator_list(user=user).filter(pk=value.indicator_id).exists():
        raise PermissionDenied
    _unit(user, municipality=value.municipality, region=value.region if not value.municipality_id else None)
    digest = upload_check(file)
    evidence = Evidence(value=value, file=file, name=file.name[:255], sha256=digest, size=file.size, uploaded_by=user)
    evidence.save()
    return evidence
