"""Answers filled in from socplan's own data when a respondent opens a form for the first time.

Prefill sources are named in the template (see forms_engine.QUESTION_PREFILLS / TABLE_PREFILLS).
A table's prefilled rows carry their origin in "_ref", and columns are filled by their key:
services (name, type, provider, capacity, users, waiting, financing, address, municipality),
indicators (code, indicator/name, unit, baseline, target, previous), municipalities
(municipality, code, population), target groups (target_group).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.utils import translation

from socplan.organizations.models import Organization
from socplan.plans.models import Plan, TargetGroup
from socplan.social_services.models import Service
from socplan.social_services.selectors import latest_occupancy
from socplan.territory.models import Municipality, PopulationFigure

from . import forms_engine
from .forms_engine import canonical
from .models import Indicator, Submission, Target, Value


def _number(value) -> str | None:
    if value is None:
        return None
    return canonical(Decimal(value))


class Context:
    """What a respondent's form is about: the organisation, its territory, the round."""

    def __init__(self, submission: Submission):
        self.submission = submission
        self.assignment = submission.assignment
        self.round = self.assignment.round
        self.respondent: Organization = self.assignment.respondent
        self.municipality: Municipality | None = self.respondent.municipality
        self._services = None
        self._population = None
        self._municipalities = None

    def services(self) -> list[Service]:
        if self._services is None:
            qs = Service.objects.select_related("service_type", "provider", "municipality").annotate(**latest_occupancy())
            if self.assignment.service_id:
                qs = qs.filter(pk=self.assignment.service_id)
            elif self.respondent.kind in (Organization.Kind.PROVIDER, Organization.Kind.NGO):
                qs = qs.filter(provider=self.respondent)
            elif self.municipality is not None:
                qs = qs.filter(municipality=self.municipality)
            elif self.respondent.region_id:
                qs = qs.filter(region_id=self.respondent.region_id)
            else:
                qs = qs.none()
            qs = qs.exclude(status=Service.Status.CLOSED).exclude(opened_on__gt=self.round.period_end)
            self._services = list(qs.order_by("municipality__name_bg", "name"))
        return self._services

    def municipalities(self) -> list[Municipality]:
        if self._municipalities is None:
            qs = Municipality.objects.select_related("region").order_by("name_bg")
            if self.municipality is not None:
                self._municipalities = [self.municipality]
            elif self.respondent.region_id:
                self._municipalities = list(qs.filter(region_id=self.respondent.region_id))
            else:
                self._municipalities = list(qs.filter(region=self.round.region)) if self.round.region_id else []
        return self._municipalities

    def population(self, code: str) -> int | None:
        """The latest total population of a municipality (all the respondent's municipalities are read
        in one query, the first time one is asked for)."""
        if self._population is None:
            codes = [m.code for m in self.municipalities()]
            latest: dict[str, tuple] = {}
            for unit, date, value in PopulationFigure.objects.filter(
                unit_code__in=codes, age_group="all", sex="total", residence="total"
            ).values_list("unit_code", "reference_date", "value"):
                if unit not in latest or date > latest[unit][0]:
                    latest[unit] = (date, value)
            self._population = {unit: value for unit, (_date, value) in latest.items()}
        return self._population.get(code)

    def plan(self) -> Plan | None:
        """The plan whose indicators the respondent reports on: its own (municipal) plan in force in
        the period and implementing the monitored one, else the monitored plan itself."""
        if self.municipality is not None:
            own = (
                Plan.objects.filter(municipality=self.municipality, period_start__lte=self.round.period_end.year,
                                    period_end__gte=self.round.period_start.year)
                .exclude(kind=Plan.Kind.PROJECT)
                .filter(Q(implements=self.round.plan_id) if self.round.plan_id else Q())
                .filter(indicators__isnull=False)
                .distinct()
                .order_by("-period_start")
                .first()
            )
            if own is not None:
                return own
        return self.round.plan

    def unit_code(self) -> str:
        if self.municipality is not None:
            return self.municipality.code
        if self.respondent.region_id:
            return self.respondent.region.code
        return "BG"


def _question(source: str, ctx: Context, previous: dict, key: str):
    if source == "respondent.name":
        return ctx.respondent.name
    if source == "municipality.name":
        return ctx.municipality.name_bg if ctx.municipality else None
    if source == "municipality.population":
        return ctx.population(ctx.municipality.code) if ctx.municipality else None
    if source == "round.period":
        return f"{ctx.round.period_start:%d.%m.%Y} – {ctx.round.period_end:%d.%m.%Y}"
    services = ctx.services()
    if source == "services.count":
        return len(services)
    if source == "services.capacity":
        return sum(s.capacity for s in services)
    if source == "services.users":
        return sum(s.last_users or 0 for s in services)
    if source == "previous":
        return previous.get(key)
    return None


def _service_rows(ctx: Context, columns: list[str]) -> list[dict]:
    rows = []
    for s in ctx.services():
        values = {
            "name": s.name,
            "service": s.name,
            "type": s.service_type.name,
            "service_type": s.service_type.name,
            "provider": s.provider.name if s.provider_id else "",
            "municipality": s.municipality.name_bg if s.municipality_id else "",
            "address": s.address,
            "capacity": _number(s.capacity),
            "users": _number(s.last_users),
            "waiting": _number(s.last_waiting),
            "financing": s.get_financing_display(),
            "status": s.get_status_display(),
        }
        rows.append({"_ref": f"service:{s.pk}", **{c: values.get(c) for c in columns}})
    return rows


def _indicator_rows(ctx: Context, columns: list[str]) -> list[dict]:
    plan = ctx.plan()
    if plan is None:
        return []
    indicators = list(Indicator.objects.filter(plan=plan).exclude(value_type=Indicator.ValueType.TEXT).order_by("position", "id"))
    unit = ctx.unit_code()
    targets: dict[int, Target] = {}
    for target in Target.objects.filter(indicator__in=indicators, due_on__gte=ctx.round.period_end).order_by("-due_on"):
        targets[target.indicator_id] = target
    last: dict[int, Decimal] = {}
    for indicator_id, value in (
        Value.objects.filter(indicator__in=indicators, unit_code=unit, period_end__lt=ctx.round.period_start)
        .order_by("period_end")
        .values_list("indicator_id", "value")
    ):
        last[indicator_id] = value
    rows = []
    for i in indicators:
        target = targets.get(i.pk)
        values = {
            "code": i.code,
            "indicator": i.name,
            "name": i.name,
            "unit": i.unit,
            "baseline": _number(i.baseline_value),
            "target": _number(target.value) if target else None,
            "previous": _number(last.get(i.pk)),
        }
        rows.append({"_ref": f"indicator:{i.pk}", **{c: values.get(c) for c in columns}})
    return rows


def _municipality_rows(ctx: Context, columns: list[str]) -> list[dict]:
    rows = []
    for m in ctx.municipalities():
        values = {"municipality": m.name_bg, "code": m.code, "population": _number(ctx.population(m.code))}
        rows.append({"_ref": f"municipality:{m.code}", **{c: values.get(c) for c in columns}})
    return rows


def _target_group_rows(columns: list[str]) -> list[dict]:
    return [
        {"_ref": f"target_group:{g.code}", **{c: (g.name if c in ("target_group", "name") else None) for c in columns}}
        for g in TargetGroup.objects.filter(is_active=True).order_by("order", "name")
    ]


def previous_answers(submission: Submission) -> dict:
    """The respondent's last accepted (else submitted) answers to the same template in an earlier round."""
    assignment = submission.assignment
    earlier = (
        Submission.objects.filter(
            assignment__respondent=assignment.respondent,
            assignment__template__code=assignment.template.code,
            assignment__round__period_end__lt=assignment.round.period_start,
            status__in=[Submission.Status.ACCEPTED, Submission.Status.SUBMITTED],
        )
        .order_by("-assignment__round__period_end", "-status")
        .values_list("answers", flat=True)
        .first()
    )
    return earlier or {}


def prefill(submission: Submission) -> dict:
    """The answers a new form starts with (in Bulgarian, the language of the templates' choices)."""
    with translation.override("bg"):
        return _prefill(submission)


def _prefill(submission: Submission) -> dict:
    ctx = Context(submission)
    schema = submission.assignment.template.schema
    previous = None
    answers: dict = {}
    for _section, item in forms_engine.items(schema):
        source = item.get("prefill")
        if not source:
            continue
        if source == "previous" and previous is None:
            previous = previous_answers(submission)
        if item["type"] == "table":
            columns = [c["key"] for c in item["columns"]]
            if source == "services":
                answers[item["key"]] = _service_rows(ctx, columns)
            elif source == "indicators":
                answers[item["key"]] = _indicator_rows(ctx, columns)
            elif source == "municipalities":
                answers[item["key"]] = _municipality_rows(ctx, columns)
            elif source == "target_groups":
                answers[item["key"]] = _target_group_rows(columns)
            elif source == "previous":
                answers[item["key"]] = [dict(r) for r in (previous or {}).get(item["key"], []) if isinstance(r, dict)]
        else:
            value = _question(source, ctx, previous or {}, item["key"])
            if value is not None:
                answers[item["key"]] = str(value) if not isinstance(value, bool) else value
    return answers

