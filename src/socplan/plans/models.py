"""Plans: strategies, needs analyses, annual plans and projects as versioned trees.

A Plan is the document's identity (kind, territory, owner, period). Its content lives in
PlanVersions: the first version is drafted, discussed and adopted; an adopted version is never
edited again, a change is made by an update (актуализация), i.e. a new version that starts as a
copy of the one in force and gets its own adoption act. Nodes (priority → general goal → specific
goal → measure → activity) carry a `key` that survives copying, so two versions can be compared
node by node and the alignment of municipal nodes to regional ones follows the regional plan
through its updates.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from socplan.core.models import BaseModel, Currency
from socplan.core.scoping import ScopePaths
from socplan.organizations.models import Organization
from socplan.territory.models import Municipality, Region


class Level(models.TextChoices):
    PRIORITY = "priority", _("priority")
    GENERAL_GOAL = "general_goal", _("general goal")
    SPECIFIC_GOAL = "specific_goal", _("specific goal")
    MEASURE = "measure", _("measure")
    ACTIVITY = "activity", _("activity")


# Top to bottom; a child is always of a lower level than its parent (levels may be skipped).
LEVEL_ORDER = [choice.value for choice in Level]


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level)


class Sector(models.TextChoices):
    """Roma-integration strategies structure their measures by sector, not by risk group."""

    EDUCATION = "education", _("education")
    EMPLOYMENT = "employment", _("employment")
    HEALTH = "health", _("health")
    HOUSING = "housing", _("housing")
    SOCIAL_INCLUSION = "social_inclusion", _("social inclusion and services")
    CULTURE = "culture", _("culture and media")
    RULE_OF_LAW = "rule_of_law", _("rule of law and non-discrimination")


def _version_paths(prefix: str = "version__") -> ScopePaths:
    return ScopePaths(
        region=f"{prefix}plan__region",
        municipality=f"{prefix}plan__municipality",
        organization=f"{prefix}plan__owner",
        published=f"{prefix}plan__is_public",
    )


class TargetGroup(BaseModel):
    """A risk group (рискова група) that plans and services address. An editable list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(_("name in English"), max_length=150, blank=True)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        ordering = ["order", "name"]

    def __str__(self):
        from django.utils.translation import get_language

        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class Plan(BaseModel):
    """A planning document of a region, a municipality or an organisation.

    Status transitions: draft → consultation → adopted → in_force → closed; consultation → draft
    (withdrawn for rework); adopted/in_force → (an update is drafted as a new version, the plan
    stays in force meanwhile). The status of the plan is the status of its latest version, except
    that a plan with an adopted version stays in force while an update is being drafted.
    """

    class Kind(models.TextChoices):
        REGIONAL_STRATEGY = "regional_strategy", _("regional strategy for the development of social services")
        MUNICIPAL_STRATEGY = "municipal_strategy", _("municipal strategy for the development of social services")
        ROMA_STRATEGY = "roma_strategy", _("Roma integration strategy")
        NEEDS_ANALYSIS = "needs_analysis", _("municipal analysis of the needs for social services")
        PLANNING_PROPOSAL = "planning_proposal", _("planning proposal for social services")
        ANNUAL_PLAN = "annual_plan", _("annual plan for social services")
        PROJECT = "project", _("project")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        CONSULTATION = "consultation", _("public consultation")
        ADOPTED = "adopted", _("adopted")
        IN_FORCE = "in_force", _("in force")
        CLOSED = "closed", _("closed")

    # Kinds of the current planning model (Social Services Act) that the law requires to be
    # discussed publicly for at least 30 days (ЗСУ чл. 38, НПСУ).
    CONSULTATION_REQUIRED = (Kind.NEEDS_ANALYSIS, Kind.PLANNING_PROPOSAL, Kind.ANNUAL_PLAN)
    MIN_CONSULTATION_DAYS = 30
    REGIONAL_KINDS = (Kind.REGIONAL_STRATEGY,)
    MUNICIPAL_KINDS = (
        Kind.MUNICIPAL_STRATEGY,
        Kind.NEEDS_ANALYSIS,
        Kind.PLANNING_PROPOSAL,
        Kind.ANNUAL_PLAN,
    )
    # The levels a plan of each kind uses by default (a plan may change them).
    DEFAULT_LEVELS = {
        Kind.REGIONAL_STRATEGY: LEVEL_ORDER,
        Kind.MUNICIPAL_STRATEGY: LEVEL_ORDER,
        Kind.ROMA_STRATEGY: [Level.PRIORITY, Level.GENERAL_GOAL, Level.MEASURE, Level.ACTIVITY],
        Kind.NEEDS_ANALYSIS: [Level.PRIORITY, Level.MEASURE],
        Kind.PLANNING_PROPOSAL: [Level.PRIORITY, Level.MEASURE, Level.ACTIVITY],
        Kind.ANNUAL_PLAN: [Level.MEASURE, Level.ACTIVITY],
        Kind.PROJECT: [Level.GENERAL_GOAL, Level.SPECIFIC_GOAL, Level.ACTIVITY],
    }
    PUBLIC_STATUSES = (Status.CONSULTATION, Status.ADOPTED, Status.IN_FORCE, Status.CLOSED)

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=300)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="plans"
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    owner = models.ForeignKey(
        Organization, verbose_name=_("owning organisation"), on_delete=models.PROTECT, related_name="plans"
    )
    period_start = models.PositiveSmallIntegerField(
        _("from year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    period_end = models.PositiveSmallIntegerField(
        _("to year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    implements = models.ForeignKey(
        "self",
        verbose_name=_("implements the regional strategy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="implemented_by",
        limit_choices_to={"kind": Kind.REGIONAL_STRATEGY},
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The version in force (None until the first adoption).
    current_version = models.ForeignKey(
        "PlanVersion",
        verbose_name=_("version in force"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The levels this plan's tree uses, top to bottom (set from DEFAULT_LEVELS for its kind).
    levels = models.JSONField(_("levels used"), default=list, blank=True)
    # Kept in step by the services: a plan is public once it has been opened for consultation.
    is_public = models.BooleanField(_("published"), default=False, db_index=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="region", municipality="municipality", organization="owner", published="is_public"
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-period_start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="plans_plan_period_order"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.period_label})"

    @property
    def period_label(self) -> str:
        if self.period_start == self.period_end:
            return str(self.period_start)
        return f"{self.period_start}–{self.period_end}"

    def clean(self):
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period ends before it starts.")
        if self.kind in self.MUNICIPAL_KINDS and not self.municipality_id:
            errors["municipality"] = _("A municipal plan needs its municipality.")
        if self.kind in self.REGIONAL_KINDS and not self.region_id:
            errors["region"] = _("A regional plan needs its region.")
        if self.kind in self.REGIONAL_KINDS and self.municipality_id:
            errors["municipality"] = _("A regional plan belongs to a region, not to a municipality.")
        if self.municipality_id and self.region_id and self.municipality.region_id != self.region_id:
            errors["municipality"] = _("The municipality is not in the region.")
        if self.implements_id:
            if self.implements.kind != self.Kind.REGIONAL_STRATEGY:
                errors["implements"] = _("A plan can implement only a regional strategy.")
            elif self.region_id and self.implements.region_id != self.region_id:
                errors["implements"] = _("The regional strategy is of another region.")
        if self.levels and (
            not isinstance(self.levels, list) or any(level not in LEVEL_ORDER for level in self.levels)
        ):
            errors["levels"] = _("Unknown level.")
        if errors:
            raise ValidationError(errors)

    @property
    def used_levels(self) -> list[str]:
        """The plan's levels in their proper order (all of them when none were chosen)."""
        chosen = set(self.levels or LEVEL_ORDER)
        return [level for level in LEVEL_ORDER if level in chosen]

    @property
    def needs_consultation(self) -> bool:
        return self.kind in self.CONSULTATION_REQUIRED

    @property
    def territory_name(self) -> str:
        if self.municipality_id:
            return str(self.municipality)
        if self.region_id:
            return str(self.region)
        return str(self.owner)


class PlanVersion(BaseModel):
    """One version of a plan's content: the original (1) or an update (актуализация, 2, 3…).

    Status transitions: draft → consultation → adopted → superseded; consultation → draft.
    Only a draft is edited; `revision` grows with every saved change, so a save based on an older
    revision is refused instead of silently overwriting someone else's work.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        CONSULTATION = "consultation", _("public consultation")
        ADOPTED = "adopted", _("adopted")
        SUPERSEDED = "superseded", _("superseded")

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    based_on = models.ForeignKey(
        "self", verbose_name=_("update of"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason for the update"), blank=True)
    vision = models.TextField(_("vision"), blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    # The number of the first top-level node (a document may start at "4" when it covers only
    # part of a larger strategy, as document 000's chapter 7 does).
    first_number = models.PositiveSmallIntegerField(_("numbering starts at"), default=1)
    # Written before every number, e.g. "Д." for a project's activities Д.1–Д.14 (document 002).
    number_prefix = models.CharField(_("number prefix"), max_length=10, blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    scope_paths = _version_paths("")

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plans_version_unique_number"),
        ]

    def __str__(self):
        return f"{self.plan.title} — v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def label(self) -> str:
        if self.number == 1:
            return str(_("original version"))
        return str(_("update %(number)s") % {"number": self.number - 1})


class AdoptionAct(BaseModel):
    """The act that adopted a version: e.g. Решение №84/25.03.2016, Протокол №8/25.03.2016 of a council."""

    version = models.OneToOneField(
        PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="adoption"
    )
    body = models.ForeignKey(
        Organization,
        verbose_name=_("adopted by"),
        on_delete=models.PROTECT,
        related_name="adopted_plans",
    )
    decision_number = models.CharField(_("decision number"), max_length=30)
    protocol_number = models.CharField(_("protocol number"), max_length=30, blank=True)
    adopted_on = models.DateField(_("date"))
    signed_by = models.CharField(_("signed by"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("adoption act")
        verbose_name_plural = _("adoption acts")

    def __str__(self):
        text = f"Решение №{self.decision_number}/{self.adopted_on:%d.%m.%Y}"
        if self.protocol_number:
            text += f", Протокол №{self.protocol_number}/{self.adopted_on:%d.%m.%Y}"
        return text

    def clean(self):
        if self.adopted_on and self.adopted_on > timezone.localdate():
            raise ValidationError({"adopted_on": _("The date of adoption cannot be in the future.")})


class Stage(BaseModel):
    """An implementation stage (preparatory stage, stage 1, interim evaluation and re-planning…)."""

    class Kind(models.TextChoices):
        PREPARATORY = "preparatory", _("preparatory stage")
        IMPLEMENTATION = "implementation", _("implementation stage")
        INTERIM_EVALUATION = "interim_evaluation", _("interim evaluation and re-planning")
        FINAL_EVALUATION = "final_evaluation", _("final evaluation")

    version = models.ForeignKey(PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="stages")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    activities = models.TextField(_("activities"), blank=True)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["version", "starts_on", "order"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="plans_stage_dates"),
        ]

    def __str__(self):
        return f"{self.title} ({self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y})"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The stage ends before it starts.")})


class Node(BaseModel):
    """An element of a plan's tree: a priority, goal, measure or activity.

    `position` orders siblings; `number` ("4.2.1.3") is derived from the positions and stored so
    lists and documents need no recursion; services renumber the whole version on every move.
    """

    version = models.ForeignKey(PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    key = models.UUIDField(_("key"), default=uuid.uuid4, editable=False, db_index=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    position = models.PositiveIntegerField(_("place among its siblings"), default=0)
    number = models.CharField(_("number"), max_length=40, blank=True)
    title = models.TextField(_("title"))
    description = models.TextField(_("description"), blank=True)
    expected_results = models.TextField(_("expected results"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices, blank=True)
    target_groups = models.ManyToManyField(TargetGroup, verbose_name=_("target groups"), blank=True, related_name="nodes")
    responsible_text = models.CharField(_("responsible (as written)"), max_length=500, blank=True)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), null=True, blank=True, on_delete=models.SET_NULL, related_name="nodes"
    )
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("to"), null=True, blank=True)
    budget = models.DecimalField(
        _("estimated budget"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    budget_currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.BGN)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    history = HistoricalRecords(excluded_fields=["position", "number"])

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("plan element")
        verbose_name_plural = _("plan elements")
        ordering = ["version", "parent_id", "position"]
        indexes = [models.Index(fields=["version", "parent", "position"], name="plans_node_tree")]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="plans_node_unique_key"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="plans_node_dates",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}".strip()

    @property
    def level_label(self) -> str:
        return self.get_level_display()

    @property
    def depth(self) -> int:
        return self.number.count(".") if self.number else 0


class Responsibility(BaseModel):
    """An organisation that leads or partners in a node's implementation."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        PARTNER = "partner", _("partner")

    node = models.ForeignKey(Node, verbose_name=_("element"), on_delete=models.CASCADE, related_name="responsibilities")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="plan_responsibilities"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.LEAD)
    history = HistoricalRecords()

    scope_paths = _version_paths("node__version__")

    class Meta:
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibilities")
        ordering = ["node", "role", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["node", "organization"], name="plans_responsibility_unique"),
        ]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()})"


class FinancingLine(BaseModel):
    """One source of money for a node; a node may combine several (document 001, 8.2)."""

    class Source(models.TextChoices):
        LOCAL_REVENUE = "local_revenue", _("local revenue (municipal budget)")
        STATE_BUDGET = "state_budget", _("state budget / state-delegated activity")
        PROVIDER_OWN = "provider_own", _("provider's own funds")
        PROJECT = "project", _("project / EU programme")
        DONOR = "donor", _("donor")
        OTHER = "other", _("other")

    node = models.ForeignKey(Node, verbose_name=_("element"), on_delete=models.CASCADE, related_name="financing")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    programme = models.CharField(_("programme or donor"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.BGN)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    history = HistoricalRecords()

    scope_paths = _version_paths("node__version__")

    class Meta:
        verbose_name = _("financing line")
        verbose_name_plural = _("financing lines")
        ordering = ["node", "source", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0), name="plans_financing_amount_positive"
            ),
        ]

    def __str__(self):
        if self.amount is None:
            return self.get_source_display()
        return f"{self.get_source_display()}: {self.amount} {self.currency}"


class Alignment(BaseModel):
    """A municipal node implements a node of the regional strategy (matched by the node's key,
    so the link follows the regional strategy through its updates)."""

    node = models.ForeignKey(Node, verbose_name=_("element"), on_delete=models.CASCADE, related_name="alignments")
    target_plan = models.ForeignKey(
        Plan, verbose_name=_("regional strategy"), on_delete=models.PROTECT, related_name="alignments_in"
    )
    target_key = models.UUIDField(_("regional element"))
    history = HistoricalRecords()

    scope_paths = _version_paths("node__version__")

    class Meta:
        verbose_name = _("alignment")
        verbose_name_plural = _("alignments")
        constraints = [
            models.UniqueConstraint(fields=["node", "target_key"], name="plans_alignment_unique"),
        ]


class StakeholderRole(BaseModel):
    """The roles and responsibilities of a stakeholder in implementing the plan (doc 000, 6.1)."""

    version = models.ForeignKey(
        PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="stakeholders"
    )
    stakeholder = models.CharField(_("stakeholder"), max_length=200)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responsibilities = models.TextField(_("roles and responsibilities"))
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("stakeholder role")
        verbose_name_plural = _("institutional framework")
        ordering = ["version", "order", "id"]

    def __str__(self):
        return self.stakeholder


class PartnershipInstrument(BaseModel):
    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("agreement for joint work")
        PARTNERSHIP = "partnership", _("partnership")
        PUBLIC_FORUM = "public_forum", _("public forum")
        OPEN_WORKING_GROUP = "open_working_group", _("open working group")
        INTER_MUNICIPAL_PROJECT = "inter_municipal_project", _("inter-municipal project")
        PUBLIC_PRIVATE = "public_private", _("public–private partnership")
        PUBLIC_COUNCIL = "public_council", _("civic / public council")
        JOINT_PLANNING = "joint_planning", _("joint planning and budgeting")
        OTHER = "other", _("other")

    version = models.ForeignKey(
        PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="partnerships"
    )
    kind = models.CharField(_("instrument"), max_length=30, choices=Kind.choices)
    description = models.TextField(_("description"))
    partners = models.CharField(_("partners"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("partnership instrument")
        verbose_name_plural = _("partnership instruments")
        ordering = ["version", "order", "id"]

    def __str__(self):
        return self.get_kind_display()


class CommunicationItem(BaseModel):
    """A line of the communication programme (document 001, section 9)."""

    class Kind(models.TextChoices):
        GOAL = "goal", _("goal")
        TASK = "task", _("task")
        MEASURE = "measure", _("measure")
        AUDIENCE = "audience", _("target audience")
        TECHNIQUE = "technique", _("technique")
        PERFORMER = "performer", _("carried out by")

    version = models.ForeignKey(
        PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="communication"
    )
    kind = models.CharField(_("part"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"))
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("communication programme item")
        verbose_name_plural = _("communication programme")
        ordering = ["version", "kind", "order", "id"]

    def __str__(self):
        return self.text[:80]


def plan_document_path(instance, filename: str) -> str:
    return f"plans/{instance.plan_id}/{filename}"


class PlanDocument(BaseModel):
    """A file kept with the plan: the adopted text, the council decision, annexes, the consultation report."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text of the plan")
        DECISION = "decision", _("council decision")
        ANNEX = "annex", _("annex")
        CONSULTATION_REPORT = "consultation_report", _("report on the public consultation")
        SOURCE = "source", _("imported source document")

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="documents")
    version = models.ForeignKey(
        PlanVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.ANNEX)
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to=plan_document_path, max_length=300)
    sha256 = models.CharField(max_length=64, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="plan__region", municipality="plan__municipality", organization="plan__owner")

    class Meta:
        verbose_name = _("plan document")
        verbose_name_plural = _("plan documents")
        ordering = ["plan", "-created_at"]

    def __str__(self):
        return self.title


class Consultation(BaseModel):
    """A public discussion of a version: dates, the collected comments and the summary with answers."""

    version = models.OneToOneField(
        PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="consultation"
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    summary = models.TextField(_("summary of comments and answers"), blank=True)
    history = HistoricalRecords()

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("public consultation")
        verbose_name_plural = _("public consultations")

    def __str__(self):
        return f"{self.version} {self.opens_on:%d.%m.%Y}–{self.closes_on:%d.%m.%Y}"

    @property
    def is_open(self) -> bool:
        today = timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    @property
    def days(self) -> int:
        return (self.closes_on - self.opens_on).days + 1


class Comment(BaseModel):
    """A comment from a citizen or organisation. Names and e-mail are kept for the answer but never
    shown on the public page; only the organisation's name (if any) is."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="comments"
    )
    node = models.ForeignKey(
        Node, verbose_name=_("about the element"), null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author_name = models.CharField(_("name"), max_length=150)
    author_email = models.EmailField(_("e-mail"), blank=True)
    organization_name = models.CharField(_("organisation"), max_length=200, blank=True)
    text = models.TextField(_("comment"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    answer = models.TextField(_("answer"), blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("moderated by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    scope_paths = _version_paths("consultation__version__")

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["consultation", "created_at"]

    def __str__(self):
        return self.text[:80]


class ImportJob(BaseModel):
    """A document brought in to become a plan's tree.

    Status transitions: parsed → applied; parsed → discarded; a file that cannot be read never
    becomes a job (the user gets the reason, nothing is saved).
    """

    class Status(models.TextChoices):
        PARSED = "parsed", _("awaiting confirmation")
        APPLIED = "applied", _("applied")
        DISCARDED = "discarded", _("discarded")

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="imports")
    version = models.ForeignKey(PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PARSED)
    # The parser's output: {"preamble": str, "nodes": [{level, number, title, description, parent, line}], ...}
    result = models.JSONField(_("parsed content"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_paths = ScopePaths(region="plan__region", municipality="plan__municipality", organization="plan__owner")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


def plan_export_path(instance, filename: str) -> str:
    return f"plans/exports/{instance.version_id}/{filename}"


class PlanExport(BaseModel):
    """A generated document kept for reuse (a large plan's PDF takes seconds: it is made once per
    version, revision and language, in the background, and served from storage afterwards).

    Status transitions: queued → running → done; running → failed; failed/stale running → queued
    (when asked for again).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    version = models.ForeignKey(PlanVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="exports")
    fmt = models.CharField(_("format"), max_length=10)
    language = models.CharField(_("language"), max_length=10)
    revision = models.PositiveIntegerField(_("revision"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("file"), upload_to=plan_export_path, max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_paths = _version_paths()

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        constraints = [
            models.UniqueConstraint(fields=["version", "fmt", "language", "revision"], name="plans_export_unique"),
        ]

    def __str__(self):
        return f"{self.version} {self.fmt} ({self.language}, r{self.revision})"
