"""Monitoring and evaluation: the logical framework, the rounds of reports, meetings and evaluations.

- Indicators hang on a plan's element (by the element's key, so they follow the plan through its
  updates) or on a service. Each has targets per year or stage and values per period and territory;
  a rule says how municipal values add up to the region and the country (`aggregation.py`).
- A FormTemplate is a form described as data (sections, questions, repeating tables, prefill
  sources, validation rules), so a monitoring unit builds the templates it sends without code.
- A Round asks respondents (municipalities, directorates, providers) to fill templates for a
  reporting period by deadlines; each Assignment has one Submission that moves
  draft → submitted → returned → submitted → accepted. Reviews are recorded as ReviewEvents.
- Meetings of a body have an agenda, attendance, minutes and numbered Decisions; each deadline in
  a decision is a FollowUp tracked until it is closed.
- Evaluations (interim, final) record findings per goal and the plan update they lead to.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from socplan.core.models import BaseModel
from socplan.core.scoping import ScopePaths
from socplan.organizations.models import Body, Membership, Organization
from socplan.plans.models import Plan, PlanVersion
from socplan.social_services.models import Service
from socplan.territory.models import Municipality, Region

NUMBER = {"max_digits": 16, "decimal_places": 4}


# --- Indicators ---------------------------------------------------------------------------------


class Indicator(BaseModel):
    """An indicator of the logical framework, on a plan element or on a service."""

    class Kind(models.TextChoices):
        IMPACT = "impact", _("impact")
        OUTCOME = "outcome", _("outcome")
        OUTPUT = "output", _("output")
        PROCESS = "process", _("process")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("sum of the municipalities")
        AVERAGE = "average", _("average of the municipalities")
        WEIGHTED = "weighted", _("average weighted by population")
        LATEST = "latest", _("latest value of each municipality, added up")
        NONE = "none", _("not additive")

    class ValueType(models.TextChoices):
        NUMBER = "number", pgettext_lazy("value type", "number")
        PERCENT = "percent", _("percentage")
        TEXT = "text", _("text (qualitative)")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.CASCADE, related_name="indicators"
    )
    node_key = models.UUIDField(_("plan element"), null=True, blank=True, db_index=True)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), null=True, blank=True, on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(_("code"), max_length=30, blank=True)
    name = models.CharField(_("indicator"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OUTPUT)
    value_type = models.CharField(_("value type"), max_length=10, choices=ValueType.choices, default=ValueType.NUMBER)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    baseline_value = models.DecimalField(_("baseline"), null=True, blank=True, **NUMBER)
    baseline_date = models.DateField(_("baseline as of"), null=True, blank=True)
    source = models.CharField(_("source of information"), max_length=500, blank=True)
    verification = models.CharField(
        _("verification period"), max_length=100, blank=True, help_text=_("e.g. every year, as of 31 December")
    )
    collected_by = models.ForeignKey(
        Organization, verbose_name=_("collected by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collected_by_text = models.CharField(_("collected by (as written)"), max_length=300, blank=True)
    aggregation = models.CharField(
        _("how values add up"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    weight_age_from = models.PositiveSmallIntegerField(
        _("weighting population: age from"), default=0, help_text=_("For the weighted average only.")
    )
    weight_age_to = models.PositiveSmallIntegerField(
        _("age to"), null=True, blank=True, help_text=_("Empty: and over.")
    )
    higher_is_better = models.BooleanField(_("a higher value is better"), default=True)
    position = models.PositiveIntegerField(_("display order"), default=0)
    # Denormalised from the plan or the service, so that access is decided on the indicator itself.
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    # The indicators of a published plan are read by everyone who reads the plan.
    scope_paths = ScopePaths(region="region", municipality="municipality", organization="owner", published="plan__is_public")

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plan__isnull=False) | models.Q(service__isnull=False),
                name="monitoring_indicator_has_subject",
            ),
        ]
        indexes = [models.Index(fields=["plan", "node_key"], name="monitoring_ind_plan_node")]

    def __str__(self):
        return f"{self.code} {self.name}".strip()

    @property
    def is_numeric(self) -> bool:
        return self.value_type != self.ValueType.TEXT

    def clean(self):
        errors = {}
        if not self.plan_id and not self.service_id:
            errors["plan"] = _("An indicator belongs to a plan element or to a service.")
        if self.aggregation == self.Aggregation.WEIGHTED and self.value_type == self.ValueType.TEXT:
            errors["aggregation"] = _("A qualitative indicator cannot be averaged.")
        if self.weight_age_to is not None and self.weight_age_to < self.weight_age_from:
            errors["weight_age_to"] = _("The upper age is below the lower one.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        subject = self.plan if self.plan_id else self.service
        if subject is not None:
            self.region_id = subject.region_id
            self.municipality_id = subject.municipality_id
            self.owner_id = subject.owner_id if self.plan_id else subject.provider_id
        super().save(*args, **kwargs)


class Target(BaseModel):
    """The value an indicator should reach by a date (the end of a year or of a stage)."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets")
    label = models.CharField(_("year or stage"), max_length=100)
    due_on = models.DateField(_("by"))
    value = models.DecimalField(_("target value"), **NUMBER)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="indicator__region", municipality="indicator__municipality", organization="indicator__owner",
        published="indicator__plan__is_public",
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator", "due_on"]
        constraints = [models.UniqueConstraint(fields=["indicator", "due_on"], name="monitoring_target_unique")]

    def __str__(self):
        return f"{self.label}: {self.value.normalize():f}"


class Value(BaseModel):
    """A measured value of an indicator for a period and a territorial unit.

    `unit_code` is the unit the value describes: "BG", a region ("SFO") or a municipality
    ("SFO07"), as in territory.PopulationFigure. Values entered for a municipality add up to its
    region and the country by the indicator's rule; a value entered for the region itself wins.
    """

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    unit_code = models.CharField(_("territorial unit"), max_length=5)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    municipality = models.ForeignKey(Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("value"), null=True, blank=True, **NUMBER)
    text = models.TextField(_("value (text)"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    submission = models.ForeignKey(
        "Submission", verbose_name=_("from the report"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="region", municipality="municipality", organization="indicator__owner")

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "period_end", "unit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_start", "period_end", "unit_code"], name="monitoring_value_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="monitoring_value_period"
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "unit_code", "period_end"], name="monitoring_value_ind_unit"),
            models.Index(fields=["region", "period_end"], name="monitoring_value_region"),
        ]

    def __str__(self):
        shown = f"{self.value.normalize():f}" if self.value is not None else self.text
        return f"{self.indicator.code} {self.unit_code} {self.period_start:%d.%m.%Y}–{self.period_end:%d.%m.%Y}: {shown}"


def evidence_path(instance, filename):
    return f"monitoring/evidence/{instance.value.indicator_id}/{filename}"


class Evidence(BaseModel):
    """A file proving a value (a report, a protocol, a photo)."""

    value = models.ForeignKey(Value, verbose_name=_("value"), on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = ScopePaths(region="value__region", municipality="value__municipality", organization="value__indicator__owner")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["value", "created_at"]

    def __str__(self):
        return self.name


# --- Forms --------------------------------------------------------------------------------------


class FormTemplate(BaseModel):
    """A form described as data (see `forms_engine.py` for the schema); shipped ones have no owner."""

    class Respondent(models.TextChoices):
        MUNICIPALITY = "municipality", _("municipality")
        DIRECTORATE = "directorate", _("social assistance directorate")
        PROVIDER = "provider", _("provider of a service")
        ANY = "any", _("any organisation")

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    respondent = models.CharField(_("filled by"), max_length=15, choices=Respondent.choices, default=Respondent.MUNICIPALITY)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    schema = models.JSONField(_("form"), default=dict)
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: a template shipped with socplan."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    # Templates are public documents; only their owner (or an administrator) changes them.
    scope_paths = ScopePaths(organization="owner", public=True)

    class Meta:
        verbose_name = _("form template")
        verbose_name_plural = _("form templates")
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="monitoring_template_unique")]

    def __str__(self):
        return self.name


# --- Rounds -------------------------------------------------------------------------------------


class Round(BaseModel):
    """A monitoring round: who reports on what, for which period, by when."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("being prepared")
        OPEN = "open", _("open for reports")
        CLOSED = "closed", pgettext_lazy("round", "closed")

    name = models.CharField(_("name"), max_length=300)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: a national round of the agency."),
    )
    organizer = models.ForeignKey(Organization, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+")
    body = models.ForeignKey(
        Body, verbose_name=_("monitoring unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="rounds"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan monitored"), null=True, blank=True, on_delete=models.PROTECT, related_name="rounds"
    )
    decision = models.ForeignKey(
        "Decision", verbose_name=_("set by decision"), null=True, blank=True, on_delete=models.SET_NULL, related_name="rounds"
    )
    period_start = models.DateField(_("reporting period from"))
    period_end = models.DateField(_("reporting period to"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    instructions = models.TextField(_("instructions to respondents"), blank=True)
    remind_days_before = models.PositiveSmallIntegerField(_("remind this many days before a deadline"), default=5)
    on_track_from = models.PositiveSmallIntegerField(
        _("on track from (percent of the target)"), default=90,
    )
    at_risk_from = models.PositiveSmallIntegerField(_("at risk from (percent of the target)"), default=60)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="region", organization="organizer")

    class Meta:
        verbose_name = _("monitoring round")
        verbose_name_plural = _("monitoring rounds")
        ordering = ["-period_end", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="monitoring_round_period"
            ),
            models.CheckConstraint(
                condition=models.Q(at_risk_from__lte=models.F("on_track_from")), name="monitoring_round_thresholds"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period ends before it starts.")
        if self.at_risk_from is not None and self.on_track_from is not None and self.at_risk_from > self.on_track_from:
            errors["at_risk_from"] = _("The “at risk” threshold must not be above the “on track” one.")
        if self.on_track_from is not None and self.on_track_from > 200:
            errors["on_track_from"] = _("Enter a percentage up to 200.")
        if errors:
            raise ValidationError(errors)


class Deadline(BaseModel):
    """One deadline of a round, e.g. "drafts by 10 October", "council decisions by 30 October"."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("report submitted")
        COUNCIL_DECISION = "council_decision", _("council decision attached")

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("what is due"), max_length=20, choices=Kind.choices, default=Kind.SUBMISSION)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="round__region", organization="round__organizer")

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["round", "due_on"]
        constraints = [models.UniqueConstraint(fields=["round", "kind"], name="monitoring_deadline_one_per_kind")]

    def __str__(self):
        return f"{self.title} — {self.due_on:%d.%m.%Y}"


class Assignment(BaseModel):
    """A respondent's task in a round: fill this template (one submission per assignment)."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="assignments")
    template = models.ForeignKey(FormTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="+")
    respondent = models.ForeignKey(
        Organization, verbose_name=_("respondent"), on_delete=models.PROTECT, related_name="monitoring_assignments"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("service reported on"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    needs_council_decision = models.BooleanField(_("a council decision must be attached"), default=False)

    scope_paths = ScopePaths(region="round__region", organization="respondent")

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["round", "respondent__name", "template__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "template", "respondent"],
                condition=models.Q(service__isnull=True),
                name="monitoring_assignment_unique",
            ),
            models.UniqueConstraint(
                fields=["round", "template", "respondent", "service"],
                condition=models.Q(service__isnull=False),
                name="monitoring_assignment_unique_service",
            ),
        ]

    def __str__(self):
        return f"{self.respondent} — {self.template}"


class Submission(BaseModel):
    """What a respondent filled in for an assignment, and where it stands in the review."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("not started")
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for changes")
        ACCEPTED = "accepted", _("accepted")

    assignment = models.OneToOneField(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="submission"
    )
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.NOT_STARTED, db_index=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    council_decision = models.CharField(_("council decision"), max_length=100, blank=True)
    council_decision_date = models.DateField(_("date of the decision"), null=True, blank=True)
    council_decision_at = models.DateTimeField(_("decision attached at"), null=True, blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="assignment__round__region", organization="assignment__respondent")

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["assignment"]

    def __str__(self):
        return str(self.assignment)

    @property
    def is_editable_by_respondent(self) -> bool:
        return self.status in (self.Status.NOT_STARTED, self.Status.DRAFT, self.Status.RETURNED)


def submission_file_path(instance, filename):
    return f"monitoring/submissions/{instance.submission_id}/{filename}"


class SubmissionFile(BaseModel):
    """A file attached to a report: for a file question, the council decision, or a filled XLSX."""

    class Purpose(models.TextChoices):
        ANSWER = "answer", _("answer to a question")
        COUNCIL_DECISION = "council_decision", _("council decision")
        ATTACHMENT = "attachment", _("attachment")
        UPLOAD = "upload", _("uploaded form")

    submission = models.ForeignKey(Submission, verbose_name=_("report"), on_delete=models.CASCADE, related_name="files")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.ATTACHMENT)
    question = models.CharField(_("question"), max_length=60, blank=True)
    file = models.FileField(_("file"), upload_to=submission_file_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = ScopePaths(
        region="submission__assignment__round__region", organization="submission__assignment__respondent"
    )

    class Meta:
        verbose_name = _("attached file")
        verbose_name_plural = _("attached files")
        ordering = ["submission", "created_at"]

    def __str__(self):
        return self.name


class ReviewEvent(models.Model):
    """One step of a report's way: saved, submitted, returned (with the comment), accepted."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned for changes")
        ACCEPTED = "accepted", _("accepted")
        REOPENED = "reopened", _("reopened")
        DECISION = "decision", _("council decision attached")

    submission = models.ForeignKey(Submission, verbose_name=_("report"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=15, choices=Action.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.TextField(_("comment"), blank=True)

    scope_paths = ScopePaths(
        region="submission__assignment__round__region", organization="submission__assignment__respondent"
    )

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["submission", "at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%d.%m.%Y %H:%M}"


class Reminder(models.Model):
    """An e-mail reminder sent about one assignment and deadline (sent once: the row is the proof)."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("before the deadline")
        OVERDUE = "overdue", _("after the deadline")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.TextField(blank=True)

    scope_paths = ScopePaths(region="assignment__round__region", organization="assignment__respondent")

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "deadline", "kind"], name="monitoring_reminder_once"),
        ]


def report_path(instance, filename):
    return f"monitoring/reports/{instance.round_id or 'national'}/{filename}"


class Report(BaseModel):
    """A generated monitoring report (regional, of a round; or the national summary), made in the
    background and kept for download. queued → running → done | failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    round = models.ForeignKey(Round, verbose_name=_("round"), null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField(_("year of the national summary"), null=True, blank=True)
    fmt = models.CharField(_("format"), max_length=10)
    language = models.CharField(_("language"), max_length=10, default="bg")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=report_path, max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_paths = ScopePaths(region="round__region", organization="round__organizer")

    class Meta:
        verbose_name = _("monitoring report")
        verbose_name_plural = _("monitoring reports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.round or self.year} {self.fmt}"


# --- Meetings and decisions ---------------------------------------------------------------------


class Meeting(BaseModel):
    """A meeting of a collegial body (e.g. the ЗМО) and its minutes (протокол)."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("meeting", "planned")
        HELD = "held", pgettext_lazy("meeting", "held")
        CANCELLED = "cancelled", pgettext_lazy("meeting", "cancelled")

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("title"), max_length=500, blank=True)
    composition = models.CharField(
        _("composition"), max_length=10, choices=Membership.Composition.choices, default=Membership.Composition.EXTENDED
    )
    number = models.CharField(_("minutes number"), max_length=30, blank=True)
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    invitation_number = models.CharField(_("invitation: outgoing number"), max_length=40, blank=True)
    invitation_date = models.DateField(_("invitation: date"), null=True, blank=True)
    opening = models.TextField(_("opening of the minutes"), blank=True)
    closing = models.TextField(_("closing of the minutes"), blank=True)
    approved_by = models.CharField(_("approved by (name)"), max_length=150, blank=True)
    approved_by_position = models.CharField(_("approved by (position)"), max_length=300, blank=True)
    chair = models.CharField(_("chair (name)"), max_length=150, blank=True)
    chair_position = models.CharField(_("chair (position)"), max_length=500, blank=True)
    prepared_by = models.CharField(_("minutes prepared by (name)"), max_length=150, blank=True)
    prepared_by_position = models.CharField(_("prepared by (position)"), max_length=300, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="body__organization__region", municipality="body__organization__municipality", organization="body__organization"
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-starts_at"]

    def __str__(self):
        return f"{self.body} — {self.date:%d.%m.%Y}"

    def clean(self):
        if self.invitation_date and self.date and self.invitation_date > self.date:
            raise ValidationError({"invitation_date": _("The invitation cannot be sent after the meeting.")})


_meeting_paths = ScopePaths(
    region="meeting__body__organization__region",
    municipality="meeting__body__organization__municipality",
    organization="meeting__body__organization",
)


class AgendaItem(BaseModel):
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("item"), default=1)
    title = models.TextField(_("agenda item"))
    presenters = models.CharField(_("presented by"), max_length=500, blank=True)
    minutes = models.TextField(_("discussion (minutes)"), blank=True)
    history = HistoricalRecords()

    scope_paths = _meeting_paths

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["meeting", "position"]

    def __str__(self):
        return f"{self.position}. {self.title[:80]}"


class Attendance(BaseModel):
    """Who was invited and who came: members of the body (by membership) and guests."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(
        Membership, verbose_name=_("member"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=300, blank=True)
    is_guest = models.BooleanField(_("guest"), default=False)
    present = models.BooleanField(_("present"), default=False)
    history = HistoricalRecords()

    scope_paths = _meeting_paths

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance list")
        ordering = ["meeting", "is_guest", "person_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "membership"], condition=models.Q(membership__isnull=False), name="monitoring_attendance_once"
            )
        ]

    def __str__(self):
        return self.person_name


class Decision(BaseModel):
    """A numbered decision (РЕШЕНИЕ №1) taken at a meeting."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions")
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text of the decision"))
    history = HistoricalRecords()

    scope_paths = _meeting_paths

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="monitoring_decision_number")]

    def __str__(self):
        return f"{_('Decision')} №{self.number}"


class FollowUp(BaseModel):
    """A deadline set by a decision for one responsible organisation, followed until closed."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up", "open")
        DONE = "done", pgettext_lazy("follow-up", "done")
        CANCELLED = "cancelled", _("cancelled")

    decision = models.ForeignKey(Decision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="follow_ups")
    task = models.CharField(_("what is to be done"), max_length=500)
    responsible = models.ForeignKey(
        Organization, verbose_name=_("responsible"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    due_on = models.DateField(_("deadline"))
    deadline = models.ForeignKey(
        Deadline, verbose_name=_("round deadline"), null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups",
        help_text=_("Closed by itself when the respondent meets this deadline of the round."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note on the closing"), blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="decision__meeting__body__organization__region",
        municipality="responsible__municipality",
        organization="responsible",
    )

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "responsible__name"]
        indexes = [models.Index(fields=["responsible", "status", "due_on"], name="monitoring_followup_todo")]

    def __str__(self):
        return f"{self.task} — {self.responsible} ({self.due_on:%d.%m.%Y})"


# --- Evaluations --------------------------------------------------------------------------------


class Evaluation(BaseModel):
    """An interim or final evaluation of a plan (stages 3 and 5 of a strategy's timeline)."""

    class Kind(models.TextChoices):
        INTERIM = "interim", _("interim evaluation")
        FINAL = "final", _("final evaluation")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        COMPLETED = "completed", _("completed")

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="evaluations")
    version = models.ForeignKey(
        PlanVersion, verbose_name=_("version evaluated"), on_delete=models.PROTECT, related_name="evaluations"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    evaluator = models.CharField(_("evaluated by"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    leads_to = models.ForeignKey(
        PlanVersion,
        verbose_name=_("leads to the update"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="from_evaluations",
    )
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="plan__region", municipality="plan__municipality", organization="plan__owner")

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["plan", "period_end"]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period ends before it starts.")
        if self.version_id and self.plan_id and self.version.plan_id != self.plan_id:
            errors["version"] = _("The version belongs to another plan.")
        if self.leads_to_id and self.plan_id and self.leads_to.plan_id != self.plan_id:
            errors["leads_to"] = _("The update belongs to another plan.")
        if errors:
            raise ValidationError(errors)


class Finding(BaseModel):
    """What an evaluation found about one goal, and what it recommends."""

    class Rating(models.TextChoices):
        ACHIEVED = "achieved", _("achieved")
        PARTLY = "partly", _("partly achieved")
        NOT_ACHIEVED = "not_achieved", _("not achieved")
        NOT_ASSESSED = "not_assessed", _("not assessed")

    evaluation = models.ForeignKey(Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="findings")
    node_key = models.UUIDField(_("goal"), null=True, blank=True)
    heading = models.CharField(_("goal (as written)"), max_length=500)
    rating = models.CharField(_("rating"), max_length=15, choices=Rating.choices, default=Rating.NOT_ASSESSED)
    findings = models.TextField(_("findings"))
    recommendations = models.TextField(_("recommendations"), blank=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="evaluation__plan__region", municipality="evaluation__plan__municipality", organization="evaluation__plan__owner"
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["evaluation", "position", "id"]

    def __str__(self):
        return self.heading


