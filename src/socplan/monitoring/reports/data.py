"""What the regional monitoring report shows, read once from a round and formatted in the active language.

`round_report_data(round)` reads a fixed number of queries whatever the size of the plan and of the
region (the round, the plan's nodes, the indicators with their targets, the values through one
`aggregation.Book`, the deadlines, the assignments with their submissions, the services with their
occupancy, the gap analysis): a plan of 200 indicators with ten years of municipal values reads
in well under a second. The DOCX and the PDF are laid out from the same `RegionalReport`.

The report has the parts of the monitoring reports the regional monitoring units wrote for the
strategies 2016–2020 (document 002, point 2): the method and the rule for the progress status,
progress per goal and indicator, the reports of the municipalities, the services and their
occupancy, charts, the narrative answers per question, and a heading for the unit's conclusions.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError
from socplan.plans import selectors as plan_selectors
from socplan.plans.exports.common import (
    Block,
    blocks,
    clean,
    fmt_date,
    fmt_number,
    fmt_period,
    node_heading_text,
)
from socplan.plans.models import LEVEL_ORDER, Node, Plan, PlanVersion
from socplan.social_services.gap import gap_analysis, region_summary
from socplan.social_services.models import Occupancy, Service
from socplan.territory.models import Municipality, Region

from .. import forms_engine
from ..aggregation import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, Book, Progress, progress
from ..models import Assignment, Deadline, Indicator, Round, Submission, Target, Value

STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA)
# Fills of the status cells and colours of the charts: green, amber, red, grey.
STATUS_FILLS = {ON_TRACK: "C8E6C9", AT_RISK: "FFE9A8", OFF_TRACK: "F5C2C0", NO_DATA: "E6E6E6"}
STATUS_COLOURS = {ON_TRACK: "#2E7D32", AT_RISK: "#E0A800", OFF_TRACK: "#C62828", NO_DATA: "#9E9E9E"}
# Reports whose answers count: submitted or accepted (a draft, or one returned for changes, may
# still change; the narrative of the report quotes only what the respondent stands behind).
COUNTED = (Submission.Status.SUBMITTED, Submission.Status.ACCEPTED)
# The timeliness of a report against the round's submission deadline.
ON_TIME, LATE, OVERDUE, PENDING = "on_time", "late", "overdue", "pending"


# --- Labels and small formatting helpers ------------------------------------------------------------


def status_labels() -> dict[str, str]:
    return {ON_TRACK: _("on track"), AT_RISK: _("at risk"), OFF_TRACK: _("off track"), NO_DATA: _("no data")}


def timeliness_labels() -> dict[str, str]:
    return {
        ON_TIME: _("on time"),
        LATE: _("late"),
        OVERDUE: _("overdue, not submitted"),
        PENDING: _("not yet due"),
    }


def labels() -> dict[str, str]:
    """The headings and column names of the reports, in the active language (per document)."""
    return {
        "report": _("Monitoring report"),
        "introduction": _("Introduction and method"),
        "rule": _("How the progress status is set"),
        "deadlines": _("Deadlines of the round"),
        "progress": _("Progress by goal and indicator"),
        "summary": _("Summary"),
        "other_indicators": _("Indicators not tied to an element of the plan"),
        "no_indicators": _("No indicators are recorded for the plan monitored."),
        "col_indicator": _("Indicator"),
        "col_unit": _("Unit"),
        "col_baseline": _("Baseline"),
        "col_target": _("Target"),
        "col_expected": _("Expected by the end of the period"),
        "col_actual": _("Actual"),
        "col_percent": "%",
        "col_status": _("Status"),
        "municipalities": _("Reports of the municipalities and other respondents"),
        "col_respondent": _("Respondent"),
        "col_template": _("Form"),
        "col_report_status": _("Status of the report"),
        "col_submitted_at": _("Submitted on"),
        "col_timeliness": _("Against the deadline"),
        "col_council_decision": _("Council decision"),
        "services": _("Social services and their occupancy"),
        "occupancy_by_municipality": _("Capacity and occupancy by municipality"),
        "col_municipality": _("Municipality"),
        "col_services": _("Services"),
        "col_capacity": _("Places"),
        "col_users": _("Users"),
        "col_rate": _("Occupancy"),
        "service_list": _("Services of the region"),
        "col_service": _("Service"),
        "col_type": _("Type"),
        "col_service_status": _("Status"),
        "needs": _("Needs under the planning standards and capacity"),
        "col_need": _("Need"),
        "col_planned": _("Planned"),
        "col_gap": _("Gap"),
        "col_short": _("Municipalities short"),
        "charts": _("Charts"),
        "narrative": _("Answers of the respondents"),
        "narrative_note": _(
            "The answers are quoted as the respondents wrote them, from the reports submitted or accepted."
        ),
        "no_answers": _("No answers."),
        "conclusions": _("Conclusions and recommendations"),
        "conclusions_hint": _(
            "To be written by the monitoring unit: the main findings of the period, the goals at risk and "
            "the recommendations for updating the strategy."
        ),
        "total": _("Total"),
        "no_number": _("No."),
        "nothing": "—",
    }


def region_name(region: Region, *, in_text: bool = False) -> str:
    """The region as the regional administrations write it: Софийска област, Област Велико Търново.

    The region around the capital is officially "Софийска област" (EKATTE and the NSI tables call it
    "София", like the capital city itself); organizations_load_public names its administration the
    same way.
    """
    if region.code == "SFO" and (get_language() or "bg").startswith("bg"):
        return "Софийска област"
    if in_text:
        return _("the region of %(name)s") % {"name": region.name}
    return _("Region of %(name)s") % {"name": region.name}


def number(value: Decimal | int | None, *, decimals: int | None = None) -> str:
    """A number the Bulgarian way (1 234,5): whole numbers without decimals, others with up to two."""
    if value is None:
        return "—"
    value = Decimal(value)
    if decimals is None:
        exponent = value.normalize().as_tuple().exponent
        decimals = 0 if not isinstance(exponent, int) or exponent >= 0 else min(2, -exponent)
    return fmt_number(value, decimals)


def percent(value: Decimal | float | None, *, decimals: int = 1) -> str:
    if value is None:
        return "—"
    return f"{fmt_number(Decimal(str(value)), decimals)}\xa0%"


def status_rule(on_track_from: int, at_risk_from: int) -> str:
    """The rule of aggregation.progress in words, with the round's thresholds."""
    return _(
        "Progress is the share of the planned change achieved: (actual value − baseline) ÷ (value expected "
        "by the end of the period − baseline) × 100. The expected value lies on the straight line from the "
        "baseline (or the previous target) to the next target; without a baseline date the next target is "
        "expected in full, and a missing baseline counts as zero. An indicator is “on track” from "
        "%(on_track)s %% of the planned change, “at risk” from %(at_risk)s %% up to %(on_track)s %%, and "
        "“off track” below %(at_risk)s %%. For an indicator where a lower value is better, the same share "
        "of the way down is used. Without a value for the period or without a target, the status is "
        "“no data”."
    ) % {"on_track": on_track_from, "at_risk": at_risk_from}


# --- The content -------------------------------------------------------------------------------------


@dataclass
class IndicatorRow:
    indicator: Indicator
    name: str  # code and name: "1.2.a Брой потребители на ЦОП"
    unit: str
    baseline: str
    baseline_date: str
    target: str  # the next target and its label: "120 (2020)"
    expected: str
    actual: str
    note: str  # the period the value is of when not the round's, and how many municipalities reported
    percent: str
    status: str
    status_label: str
    progress: Progress

    @property
    def fill(self) -> str:
        return STATUS_FILLS[self.status]


@dataclass
class GoalSection:
    """A plan element as a heading, with the table of its own indicators (empty for an element shown
    only because indicators hang below it)."""

    node: Node | None
    heading: int  # 2..4: Heading 1 is the report's part
    title: str
    rows: list[IndicatorRow] = field(default_factory=list)


@dataclass
class SubmissionRow:
    respondent: str
    template: str
    status: str
    status_label: str
    submitted_at: str
    timeliness: str  # ON_TIME, LATE, OVERDUE, PENDING or "" (no deadline)
    timeliness_label: str
    council_decision: str


@dataclass
class MunicipalityTable:
    name: str
    rows: list[SubmissionRow]


@dataclass
class ServiceRow:
    municipality: str
    name: str
    service_type: str
    provider: str
    capacity: int
    users: int | None
    period: str  # the period of the occupancy figure: 06.2017, Q2.2017, 2017
    rate: str
    status_label: str


@dataclass
class OccupancyRow:
    municipality: str
    services: int
    capacity: int
    users: int
    capacity_reported: int  # places of the services that reported users (the base of the rate)
    rate: str

    @property
    def rate_value(self) -> float | None:
        return self.users / self.capacity_reported if self.capacity_reported else None


@dataclass
class NeedRow:
    service_type: str
    unit: str
    need: str
    capacity: int
    planned: int
    gap: str
    municipalities_short: int


@dataclass
class NarrativeAnswer:
    respondent: str
    blocks: list[Block]


@dataclass
class NarrativeGroup:
    municipality: str
    answers: list[NarrativeAnswer]


@dataclass
class NarrativeQuestion:
    template: str
    section: str
    label: str
    groups: list[NarrativeGroup]

    @property
    def title(self) -> str:
        return f"{self.section} — {self.label}" if self.section else self.label


@dataclass
class RegionalReport:
    """Everything the regional report shows, read once and formatted in the active language."""

    round: Round
    region: Region
    plan: Plan | None
    version: PlanVersion | None
    labels: dict[str, str]
    owner: str  # the organiser: the regional administration
    kind_label: str
    title: str  # the whole title sentence of the title page
    region_label: str
    period: str  # 01.01.2016 – 30.06.2017
    round_name: str
    generated_on: str
    method: list[str]
    rule: str
    deadlines: list[str]
    goals: list[GoalSection]
    status_counts: dict[str, int]
    status_summary: str
    submission_counts: dict[str, int]  # by Submission.Status
    submission_summary: str
    timeliness_counts: dict[str, int]
    municipalities: list[MunicipalityTable]
    occupancy: list[OccupancyRow]
    occupancy_total: OccupancyRow
    services: list[ServiceRow]
    needs: list[NeedRow]
    needs_note: str
    narrative: list[NarrativeQuestion]

    @property
    def indicator_rows(self) -> list[IndicatorRow]:
        return [row for goal in self.goals for row in goal.rows]


def round_report_data(round: Round, *, today: datetime.date | None = None) -> RegionalReport:
    """Read a round of a region and everything its report shows (a fixed number of queries)."""
    round = Round.objects.select_related("region", "plan__current_version", "organizer", "body").get(
        pk=round.pk
    )
    if round.region is None:
        raise ApplicationError(_("A regional report needs a round of a region; this round is national."))
    today = today or timezone.localdate()
    region, plan = round.region, round.plan
    names = labels()
    period = fmt_period(round.period_start, round.period_end)
    region_label = region_name(region)

    version = _version(plan) if plan is not None else None
    goals, status_counts = _goals(round, version, names) if plan is not None else ([], Counter())
    deadlines = list(Deadline.objects.filter(round=round).order_by("due_on", "kind"))
    due_on = next((d.due_on for d in deadlines if d.kind == Deadline.Kind.SUBMISSION), None)
    assignments = list(
        Assignment.objects.filter(round=round)
        .select_related("respondent__municipality", "template", "submission")
        .order_by("respondent__name", "template__name", "pk")
    )
    municipalities, submission_counts, timeliness_counts = _submissions(assignments, due_on, today)
    municipality_list = list(Municipality.objects.filter(region=region).order_by("name_bg"))
    occupancy, occupancy_total, services = _services(region, municipality_list, round)
    needs, needs_note = _needs(region, municipality_list, round.period_end)
    respondents = {a.respondent_id for a in assignments}
    submitted = sum(1 for a in assignments if _submission(a) and _submission(a).first_submitted_at)
    accepted = submission_counts.get(Submission.Status.ACCEPTED, 0)

    return RegionalReport(
        round=round,
        region=region,
        plan=plan,
        version=version,
        labels=names,
        owner=round.organizer.name,
        kind_label=names["report"],
        title=_report_title(round, region),
        region_label=region_label,
        period=period,
        round_name=clean(round.name),
        generated_on=fmt_date(today),
        method=_method(round, region, period, len(assignments), len(respondents), submitted, accepted),
        rule=status_rule(round.on_track_from, round.at_risk_from),
        deadlines=[f"{clean(d.title)} — {fmt_date(d.due_on)}" for d in deadlines],
        goals=goals,
        status_counts={status: status_counts.get(status, 0) for status in STATUSES},
        status_summary=_counts_line(status_labels(), status_counts),
        submission_counts=dict(submission_counts),
        submission_summary=_submission_summary(len(assignments), submitted, accepted, timeliness_counts),
        timeliness_counts=dict(timeliness_counts),
        municipalities=municipalities,
        occupancy=occupancy,
        occupancy_total=occupancy_total,
        services=services,
        needs=needs,
        needs_note=needs_note,
        narrative=_narrative(assignments),
    )


def _version(plan: Plan) -> PlanVersion | None:
    """The version in force; before the first adoption, the latest adopted one, else the latest."""
    if plan.current_version_id:
        return plan.current_version
    versions = PlanVersion.objects.filter(plan=plan).order_by("-number")
    return (
        versions.filter(status__in=(PlanVersion.Status.ADOPTED, PlanVersion.Status.SUPERSEDED)).first()
        or versions.first()
    )


def _report_title(round: Round, region: Region) -> str:
    values = {
        "region": region_name(region, in_text=True),
        "period": fmt_period(round.period_start, round.period_end),
    }
    plan = round.plan
    if plan is None:
        return _("Monitoring report of %(region)s for the period %(period)s") % values
    if plan.kind == Plan.Kind.REGIONAL_STRATEGY:
        return _(
            "Monitoring report on the implementation of the Regional Strategy for the Development of Social "
            "Services in %(region)s %(years)s for the period %(period)s"
        ) % {**values, "years": plan.period_label}
    return _("Monitoring report on the implementation of “%(plan)s” for the period %(period)s") % {
        **values,
        "plan": clean(plan.title),
    }


def _method(
    round: Round, region: Region, period: str, expected: int, respondents: int, submitted: int, accepted: int
) -> list[str]:
    values = {
        "round": clean(round.name),
        "organizer": round.organizer.name,
        "region": region_name(region, in_text=True),
        "period": period,
    }
    paragraphs = []
    if round.plan is not None:
        paragraphs.append(
            _(
                "The report presents the implementation of “%(plan)s” in %(region)s for the period %(period)s. "
                "It is based on the monitoring round “%(round)s”, organised by %(organizer)s."
            )
            % {**values, "plan": clean(round.plan.title)}
        )
    else:
        paragraphs.append(
            _(
                "The report presents the monitoring round “%(round)s” in %(region)s for the period "
                "%(period)s, organised by %(organizer)s."
            )
            % values
        )
    if round.body_id:
        paragraphs.append(_("The report was prepared by %(body)s.") % {"body": round.body.name})
    paragraphs.append(
        _(
            "%(expected)s reports were requested from %(respondents)s respondents (municipalities, social "
            "assistance directorates and providers); %(submitted)s were submitted and %(accepted)s accepted "
            "after review."
        )
        % {"expected": expected, "respondents": respondents, "submitted": submitted, "accepted": accepted}
    )
    paragraphs.append(
        _(
            "The values of the indicators are those recorded for the municipalities of the region, added up "
            "by each indicator's rule (sum, average, average weighted by population, or the latest value of "
            "each municipality); a value recorded for the region itself takes precedence. The value used is "
            "the one for the reporting period or, failing that, the latest one before its end; the table says "
            "when a value is of another period or when not all municipalities reported."
        )
    )
    if round.instructions.strip():
        paragraphs.extend(block.text or "; ".join(block.items) for block in blocks(round.instructions))
    return paragraphs


def _counts_line(names: dict[str, str], counts: Counter | dict) -> str:
    return "; ".join(f"{capfirst(label)}: {counts.get(key, 0)}" for key, label in names.items())


# --- Progress by goal and indicator --------------------------------------------------------------------


def best_period(periods: list[tuple], start: datetime.date, end: datetime.date) -> tuple | None:
    """The period of values that matches the round's best: ending on the round's last day (the one
    starting closest to the round's first day), else the latest ending before it."""
    same_end = [p for p in periods if p[1] == end]
    if same_end:
        return min(same_end, key=lambda p: (abs((p[0] - start).days), p[0]))
    before = [p for p in periods if p[1] < end]
    if not before:
        return None
    latest = max(p[1] for p in before)
    return min((p for p in before if p[1] == latest), key=lambda p: (abs((p[0] - start).days), p[0]))


def indicator_progress(
    book: Book, indicator: Indicator, targets: list[Target], round: Round, region_code: str
) -> tuple[Progress, tuple | None, object]:
    """Where an indicator of the region stands at the end of the round's period.

    Returns the progress, the period of the value used and the region's aggregate (for the count of
    municipalities that reported)."""
    series = book.values.get(indicator.pk, {})
    periods = [p for p in book.periods(indicator) if any(v is not None for v in series[p].values())]
    chosen = best_period(periods, round.period_start, round.period_end)
    aggregate = book.region_value(indicator, region_code, chosen) if chosen else None
    actual = aggregate.value if aggregate is not None else None
    result = progress(
        indicator,
        targets,
        actual,
        round.period_end,
        on_track_from=round.on_track_from,
        at_risk_from=round.at_risk_from,
    )
    return result, chosen, aggregate


def _goals(round: Round, version: PlanVersion | None, names: dict) -> tuple[list[GoalSection], Counter]:
    indicators = list(Indicator.objects.filter(plan=round.plan).order_by("position", "id"))
    if not indicators:
        return [], Counter()
    targets: dict[int, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(indicator__in=indicators).order_by("due_on"):
        targets[target.indicator_id].append(target)
    region = round.region
    book = Book([i for i in indicators if i.is_numeric], region=region)
    texts = _text_values(indicators, region, round.period_end)
    labels_ = status_labels()
    counts: Counter = Counter()

    rows_by_key: dict = defaultdict(list)
    for indicator in indicators:
        row = _indicator_row(book, indicator, targets[indicator.pk], round, region, texts, labels_)
        counts[row.status] += 1
        rows_by_key[indicator.node_key].append(row)

    nodes = plan_selectors.node_rows(version=version, prefetch=False) if version is not None else []
    by_pk = {node.pk: node for node in nodes}
    shown: set[int] = set()
    for node in nodes:
        if node.key in rows_by_key:
            pk = node.pk
            while pk is not None and pk not in shown:
                shown.add(pk)
                pk = by_pk[pk].parent_id if pk in by_pk else None
    used = [level for level in LEVEL_ORDER if any(node.level == level and node.pk in shown for node in nodes)]
    heading = {level: min(index + 2, 4) for index, level in enumerate(used)}
    sections = [
        GoalSection(node, heading[node.level], node_heading_text(node), rows_by_key.get(node.key, []))
        for node in nodes
        if node.pk in shown
    ]
    placed = {node.key for node in nodes if node.pk in shown}
    loose = [row for key, rows in rows_by_key.items() if key not in placed for row in rows]
    if loose:
        loose.sort(key=lambda row: (row.indicator.position, row.indicator.pk))
        sections.append(GoalSection(None, 2, names["other_indicators"], loose))
    return sections, counts


def _text_values(indicators: list[Indicator], region: Region, end: datetime.date) -> dict[int, str]:
    """The latest text recorded for the region itself for each qualitative indicator (one query, only
    when there are any): a qualitative indicator has no number to add up or to rate."""
    ids = [i.pk for i in indicators if not i.is_numeric]
    if not ids:
        return {}
    found: dict[int, str] = {}
    for indicator_id, text in (
        Value.objects.filter(indicator_id__in=ids, unit_code=region.code, period_end__lte=end)
        .exclude(text="")
        .order_by("period_end", "pk")
        .values_list("indicator_id", "text")
    ):
        found[indicator_id] = clean(text)
    return found


def _indicator_row(book, indicator, targets, round, region, texts, names) -> IndicatorRow:
    name = clean(str(indicator))
    baseline = number(indicator.baseline_value)
    baseline_date = fmt_date(indicator.baseline_date) if indicator.baseline_value is not None else ""
    if not indicator.is_numeric:
        result = Progress(None, None, None, "", None, NO_DATA)
        return IndicatorRow(
            indicator,
            name,
            clean(indicator.unit),
            baseline,
            baseline_date,
            "—",
            "—",
            texts.get(indicator.pk, "—"),
            _("qualitative indicator, not rated"),
            "—",
            NO_DATA,
            names[NO_DATA],
            result,
        )
    result, period, aggregate = indicator_progress(book, indicator, targets, round, region.code)
    target = "—"
    if result.target is not None:
        target = number(result.target) + (f" ({clean(result.target_label)})" if result.target_label else "")
    notes = []
    if period is not None and (period[0], period[1]) != (round.period_start, round.period_end):
        notes.append(_("value for %(period)s") % {"period": fmt_period(period[0], period[1])})
    if (
        aggregate is not None
        and not aggregate.direct
        and aggregate.expected
        and aggregate.reported < aggregate.expected
    ):
        notes.append(
            _("%(reported)s of %(expected)s municipalities reported")
            % {"reported": aggregate.reported, "expected": aggregate.expected}
        )
    return IndicatorRow(
        indicator=indicator,
        name=name,
        unit=clean(indicator.unit),
        baseline=baseline,
        baseline_date=baseline_date,
        target=target,
        expected=number(result.expected),
        actual=number(result.actual),
        note="; ".join(notes),
        percent=percent(result.percent),
        status=result.status,
        status_label=names[result.status],
        progress=result,
    )


# --- Reports of the respondents ------------------------------------------------------------------------


def _submission(assignment: Assignment) -> Submission | None:
    try:
        return assignment.submission
    except Submission.DoesNotExist:
        return None


def timeliness(
    first: datetime.datetime | None, due_on: datetime.date | None, today: datetime.date
) -> tuple[str, int]:
    """On time, late (and by how many days), overdue or not yet due, against the submission deadline.

    `first` is the report's first submission: a report returned for changes and sent again after the
    deadline was still delivered on time (the return is the reviewer's step, not the respondent's
    delay)."""
    if due_on is None:
        return "", 0
    if first is not None:
        day = timezone.localdate(first)
        return (LATE, (day - due_on).days) if day > due_on else (ON_TIME, 0)
    return (OVERDUE, (today - due_on).days) if today > due_on else (PENDING, 0)


def _timeliness_label(kind: str, days: int) -> str:
    if kind == LATE:
        return ngettext("late by %(days)s day", "late by %(days)s days", days) % {"days": days}
    if kind == OVERDUE:
        return ngettext(
            "overdue by %(days)s day, not submitted", "overdue by %(days)s days, not submitted", days
        ) % {"days": days}
    return timeliness_labels().get(kind, "—")


def _council_decision(assignment: Assignment, submission: Submission | None) -> str:
    if submission is not None and submission.council_decision.strip():
        text = clean(submission.council_decision)
        if submission.council_decision_date:
            return _("No. %(number)s/%(date)s") % {
                "number": text,
                "date": fmt_date(submission.council_decision_date),
            }
        return text
    if assignment.needs_council_decision:
        return _("required, not attached")
    return "—"


def _submissions(
    assignments: list[Assignment], due_on, today
) -> tuple[list[MunicipalityTable], Counter, Counter]:
    statuses = dict(Submission.Status.choices)
    groups: dict[str, list[SubmissionRow]] = defaultdict(list)
    order: dict[str, tuple] = {}
    status_counts: Counter = Counter()
    timeliness_counts: Counter = Counter()
    for assignment in assignments:
        submission = _submission(assignment)
        status = submission.status if submission is not None else Submission.Status.NOT_STARTED
        status_counts[status] += 1
        submitted_at = submission.first_submitted_at if submission is not None else None
        kind, days = timeliness(submitted_at, due_on, today)
        if kind:
            timeliness_counts[kind] += 1
        row = SubmissionRow(
            respondent=clean(assignment.respondent.name),
            template=clean(assignment.template.name),
            status=status,
            status_label=capfirst(str(statuses.get(status, status))),
            submitted_at=fmt_date(timezone.localdate(submitted_at)) if submitted_at else "—",
            timeliness=kind,
            timeliness_label=_timeliness_label(kind, days) if kind else "—",
            council_decision=_council_decision(assignment, submission),
        )
        municipality = assignment.respondent.municipality
        name = (
            _("Municipality of %(name)s") % {"name": municipality.name}
            if municipality
            else _("Regional and other respondents")
        )
        groups[name].append(row)
        order[name] = (1, "") if municipality is None else (0, municipality.name)
    tables = [
        MunicipalityTable(name, rows)
        for name, rows in sorted(groups.items(), key=lambda item: order[item[0]])
    ]
    return tables, status_counts, timeliness_counts


def _submission_summary(expected: int, submitted: int, accepted: int, timeliness_counts: Counter) -> str:
    text = _("Reports requested: %(expected)s; submitted: %(submitted)s; accepted: %(accepted)s.") % {
        "expected": expected,
        "submitted": submitted,
        "accepted": accepted,
    }
    if timeliness_counts:
        text += " " + _counts_line(timeliness_labels(), timeliness_counts) + "."
    return text


# --- Services and occupancy ---------------------------------------------------------------------------


def occupancy_as_of(date: datetime.date) -> dict:
    """Each service's latest occupancy figure starting on or before `date`.

    selectors.latest_occupancy gives the latest figure of all; a report on a past period must not show
    figures from after it, so the same subquery is bounded by the period's end here."""
    latest = Occupancy.objects.filter(service=OuterRef("pk"), starts_on__lte=date).order_by(
        "-starts_on", "-id"
    )
    return {
        "last_users": Subquery(latest.values("users")[:1]),
        "last_period_start": Subquery(latest.values("starts_on")[:1]),
        "last_period": Subquery(latest.values("period")[:1]),
    }


def services_in_period(start: datetime.date, end: datetime.date) -> Q:
    """Services that operated at some time in the period: opened by its end (or without a date), not
    closed before it started, and not only planned."""
    return (
        (Q(opened_on__isnull=True) | Q(opened_on__lte=end))
        & (Q(closed_on__isnull=True) | Q(closed_on__gte=start))
        & ~Q(status__in=Service.PLANNED_STATUSES)
        & ~Q(status=Service.Status.CLOSED, closed_on__isnull=True)
    )


def _period_label(period: str | None, starts_on: datetime.date | None) -> str:
    if not period or starts_on is None:
        return ""
    return Occupancy(period=period, starts_on=starts_on).period_label


def _services(region: Region, municipalities: list[Municipality], round: Round):
    statuses = dict(Service.Status.choices)
    services = list(
        Service.objects.filter(region=region)
        .filter(services_in_period(round.period_start, round.period_end))
        .select_related("municipality", "service_type", "provider")
        .annotate(**occupancy_as_of(round.period_end))
        .order_by("municipality__name_bg", "name", "pk")
    )
    per_municipality: dict[int, list[Service]] = defaultdict(list)
    rows = []
    for service in services:
        per_municipality[service.municipality_id].append(service)
        users = service.last_users
        rows.append(
            ServiceRow(
                municipality=service.municipality.name,
                name=clean(service.name),
                service_type=clean(service.service_type.name),
                provider=clean(service.provider.name),
                capacity=service.capacity,
                users=users,
                period=_period_label(service.last_period, service.last_period_start),
                rate=percent(Decimal(users) * 100 / service.capacity, decimals=0)
                if users is not None and service.capacity
                else "—",
                status_label=capfirst(str(statuses.get(service.status, service.status))),
            )
        )
    occupancy = [_occupancy_row(m.name, per_municipality.get(m.pk, [])) for m in municipalities]
    total = _occupancy_row(_("Total"), services)
    return occupancy, total, rows


def _occupancy_row(name: str, services: list[Service]) -> OccupancyRow:
    reporting = [s for s in services if s.last_users is not None]
    users = sum(s.last_users for s in reporting)
    base = sum(s.capacity for s in reporting)
    return OccupancyRow(
        municipality=name,
        services=len(services),
        capacity=sum(s.capacity for s in services),
        users=users,
        capacity_reported=base,
        rate=percent(Decimal(users) * 100 / base, decimals=0) if base else "—",
    )


def _needs(
    region: Region, municipalities: list[Municipality], as_of: datetime.date
) -> tuple[list[NeedRow], str]:
    """The gap analysis of the region's municipalities at the period's end, added up per type
    (social_services.gap: the same figures as the gap page)."""
    municipality_ids = [m.pk for m in municipalities]
    analysis = gap_analysis(municipalities=Municipality.objects.filter(pk__in=municipality_ids), as_of=as_of)
    rows = []
    units = {"places": _("places"), "services": _("services")}
    for item in sorted(region_summary(analysis), key=lambda r: (r.service_type.order, r.service_type.name)):
        if item.region_id != region.pk:
            continue
        gap = item.gap
        rows.append(
            NeedRow(
                service_type=clean(item.service_type.name),
                unit=units.get(item.unit, item.unit),
                need=number(item.need, decimals=1 if item.unit == "places" else 0)
                if item.need is not None
                else "—",
                capacity=item.capacity,
                planned=item.planned,
                gap=number(gap, decimals=1 if item.unit == "places" else 0) if gap is not None else "—",
                municipalities_short=item.municipalities_short,
            )
        )
    note = ""
    if rows and analysis.estimated:
        note = _("Some population figures are estimated from the region's age structure.")
    return rows, note


# --- Narrative answers ---------------------------------------------------------------------------------


def _narrative(assignments: list[Assignment]) -> list[NarrativeQuestion]:
    """Every longtext question of every form of the round, with the answers per municipality."""
    templates = {}
    for assignment in assignments:
        templates.setdefault(assignment.template_id, assignment.template)
    questions = []
    for template in sorted(templates.values(), key=lambda t: (t.name, t.pk)):
        answered = [
            a
            for a in assignments
            if a.template_id == template.pk
            and _submission(a) is not None
            and _submission(a).status in COUNTED
        ]
        for section, item in forms_engine.items(template.schema or {}):
            if item.get("type") != "longtext":
                continue
            groups: dict[str, list[NarrativeAnswer]] = defaultdict(list)
            order: dict[str, tuple] = {}
            for assignment in answered:
                value = (assignment.submission.answers or {}).get(item["key"])
                if value in (None, "", []):
                    continue
                text = forms_engine.display(item, value)
                municipality = assignment.respondent.municipality
                name = municipality.name if municipality else _("Regional and other respondents")
                order[name] = (1, "") if municipality is None else (0, name)
                groups[name].append(NarrativeAnswer(clean(assignment.respondent.name), blocks(text)))
            questions.append(
                NarrativeQuestion(
                    template=clean(template.name),
                    section=clean(str(section.get("title", ""))),
                    label=clean(str(item.get("label", ""))),
                    groups=[
                        NarrativeGroup(name, answers)
                        for name, answers in sorted(groups.items(), key=lambda i: order[i[0]])
                    ],
                )
            )
    return questions
