"""The register of social services and specialised institutions, their occupancy, the planning
standards and the service description cards.

Law: the Social Services Act (ЗСУ) — general and specialised services (чл. 12), activities
(чл. 15), providers and licences of 5 years (чл. 29–31), financing and the National Map's maximum
users (чл. 41–45), life cycle (чл. 53–58); the Ordinance on Planning (НПСУ) for the standards.
Every change is kept by django-simple-history, so the register can be read "as of" a past date.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from socplan.core.models import BaseModel, Currency
from socplan.core.scoping import ScopePaths
from socplan.organizations.models import Organization
from socplan.territory.models import Municipality, Region, Settlement

# Upper bound on plausible users of one service in one period: a typo guard, not a rule of law.
MAX_USERS_SANITY = 5000
LICENCE_YEARS = 5
LICENCE_WARNING_DAYS = 90
# A service with no users for three months is to be closed (ЗСУ чл. 58).
IDLE_MONTHS_FOR_CLOSURE = 3


class Activity(models.TextChoices):
    """The activities of the Social Services Act (ЗСУ чл. 15); a service combines them."""

    INFORMATION = "information", _("information and consultation")
    ADVOCACY = "advocacy", _("advocacy and mediation")
    COMMUNITY_WORK = "community_work", _("community work")
    THERAPY = "therapy", _("therapy and rehabilitation")
    SKILLS = "skills", _("training for skills")
    WORK_SKILLS = "work_skills", _("support for work skills")
    DAY_CARE = "day_care", _("day care")
    RESIDENTIAL = "residential", _("residential care")
    SHELTER = "shelter", _("shelter")
    ASSISTANT = "assistant", _("assistant support")


class ServiceType(BaseModel):
    """A kind of service: an activity of the law, or a named service of earlier law mapped onto it
    (ЦОП, ДЦДУ, ЦНСТ, ЦСРИ, защитено жилище …). Reference data loaded by `load_service_types`."""

    class Scope(models.TextChoices):
        GENERAL = "general", _("general")
        SPECIALISED = "specialised", _("specialised")

    class Level(models.TextChoices):
        MUNICIPAL = "municipal", _("municipal level")
        REGIONAL = "regional", _("regional level")
        NATIONAL = "national", _("national level")

    class Users(models.TextChoices):
        CHILDREN = "children", _("children")
        ADULTS = "adults", _("adults")
        ALL = "all", _("children and adults")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    activity = models.CharField(_("activity under ЗСУ чл. 15"), max_length=20, choices=Activity.choices)
    scope = models.CharField(_("general or specialised"), max_length=15, choices=Scope.choices)
    level = models.CharField(_("planned at"), max_length=10, choices=Level.choices, default=Level.MUNICIPAL)
    users = models.CharField(_("users"), max_length=10, choices=Users.choices, default=Users.ALL)
    is_residential = models.BooleanField(_("residential"), default=False)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["order", "name"]

    def __str__(self):
        if get_language() == "en" and self.name_en:
            return self.name_en
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name


class Service(BaseModel):
    """A social service at one address, as registered by its municipality or provider.

    Status transitions: planned → approved (by the agency) → opening → operating → transforming →
    closed; planned/approved → closed (dropped). Closed services stay in the register.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        APPROVED = "approved", _("approved by the agency")
        OPENING = "opening", _("opening")
        OPERATING = "operating", _("operating")
        TRANSFORMING = "transforming", _("being transformed")
        CLOSED = "closed", _("closed")

    class Financing(models.TextChoices):
        STATE_DELEGATED = "state_delegated", _("state-delegated activity")
        MUNICIPAL = "municipal", _("municipal budget")
        MIXED = "mixed", _("mixed (state and municipal)")
        PROJECT = "project", _("project / EU programme")
        PROVIDER = "provider", _("provider's own funds")

    ACTIVE_STATUSES = (Status.OPERATING, Status.TRANSFORMING)
    PLANNED_STATUSES = (Status.PLANNED, Status.APPROVED, Status.OPENING)
    STATE_FUNDED = (Financing.STATE_DELEGATED, Financing.MIXED)

    name = models.CharField(_("name"), max_length=300)
    service_type = models.ForeignKey(ServiceType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="services")
    target_groups = models.ManyToManyField(
        "plans.TargetGroup", verbose_name=_("target groups"), blank=True, related_name="services"
    )
    provider = models.ForeignKey(
        Organization, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="services"
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="services")
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="services"
    )
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), on_delete=models.PROTECT, related_name="services"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity (places)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_USERS_SANITY)])
    on_national_map = models.BooleanField(_("on the National Map"), default=False)
    map_max_users = models.PositiveIntegerField(
        _("maximum users on the National Map"), null=True, blank=True, validators=[MaxValueValidator(MAX_USERS_SANITY)]
    )
    financing = models.CharField(_("financing"), max_length=20, choices=Financing.choices)
    programme = models.CharField(_("programme or project"), max_length=200, blank=True)
    state_funded_users = models.PositiveIntegerField(
        _("state-funded places"), null=True, blank=True, validators=[MaxValueValidator(MAX_USERS_SANITY)]
    )
    standard_per_place = models.DecimalField(
        _("yearly standard per place"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    standard_currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    licence_number = models.CharField(_("licence number"), max_length=40, blank=True)
    licence_issued_on = models.DateField(_("licence issued on"), null=True, blank=True)
    licence_expires_on = models.DateField(_("licence expires on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.OPERATING, db_index=True)
    council_decision = models.CharField(_("council decision"), max_length=60, blank=True)
    council_decision_date = models.DateField(_("date of the decision"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    is_published = models.BooleanField(_("in the public catalogue"), default=True, db_index=True)
    # A key for imports: the same row imported twice updates the same service.
    external_id = models.CharField(_("identifier in the source register"), max_length=60, blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    scope_paths = ScopePaths(
        region="region", municipality="municipality", organization="provider", published="is_published"
    )

    class Meta:
        verbose_name = _("social service")
        verbose_name_plural = _("social services")
        ordering = ["municipality__name_bg", "name"]
        indexes = [
            models.Index(fields=["municipality", "service_type", "status"], name="ss_service_gap"),
            models.Index(fields=["region", "status"], name="ss_service_region"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="ss_service_capacity_positive"),
            models.UniqueConstraint(
                fields=["provider", "external_id"], condition=~models.Q(external_id=""), name="ss_service_unique_external_id"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.settlement_id and self.municipality_id and self.settlement.municipality_id != self.municipality_id:
            errors["settlement"] = _("The settlement is not in the municipality.")
        if self.licence_issued_on and self.licence_expires_on and self.licence_expires_on < self.licence_issued_on:
            errors["licence_expires_on"] = _("The licence expires before it was issued.")
        if self.licence_expires_on and self.opened_on and self.licence_expires_on < self.opened_on:
            errors["licence_expires_on"] = _("The licence expired before the service opened.")
        if self.opened_on and self.closed_on and self.closed_on < self.opened_on:
            errors["closed_on"] = _("The service closes before it opens.")
        if self.status == self.Status.CLOSED and not self.closed_on:
            errors["closed_on"] = _("Give the date the service closed.")
        if self.on_national_map and not self.map_max_users:
            errors["map_max_users"] = _("A service on the National Map has its maximum number of users.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def licence_expiring(self) -> bool:
        if not self.licence_expires_on or self.status == self.Status.CLOSED:
            return False
        return self.licence_expires_on <= datetime.date.today() + datetime.timedelta(days=LICENCE_WARNING_DAYS)

    @property
    def licence_expired(self) -> bool:
        return bool(self.licence_expires_on and self.licence_expires_on < datetime.date.today())

    @property
    def over_map_maximum(self) -> bool:
        """State funding above the Map's maximum users (ЗСУ чл. 43)."""
        return bool(
            self.on_national_map
            and self.map_max_users
            and self.state_funded_users
            and self.state_funded_users > self.map_max_users
        )


class Occupancy(BaseModel):
    """Users served by a service in a period (a month, a quarter or a year) and its waiting list."""

    class Period(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        YEAR = "year", _("year")

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="occupancy")
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    starts_on = models.DateField(_("period starts on"))
    users = models.PositiveIntegerField(_("users"), validators=[MaxValueValidator(MAX_USERS_SANITY)])
    waiting = models.PositiveIntegerField(_("waiting list"), default=0, validators=[MaxValueValidator(MAX_USERS_SANITY)])
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="service__region", municipality="service__municipality", organization="service__provider"
    )

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancy")
        ordering = ["service", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["service", "period", "starts_on"], name="ss_occupancy_unique"),
        ]
        indexes = [
            # The latest figure of a service whatever its period (lists, catalogue, alerts).
            models.Index(fields=["service", "-starts_on", "-id"], name="ss_occupancy_latest"),
            # The months or the quarter the idle-service rule looks at.
            models.Index(fields=["period", "starts_on"], name="ss_occupancy_period"),
        ]

    def __str__(self):
        return f"{self.service} {self.period_label}: {self.users}"

    def clean(self):
        if self.starts_on:
            if self.period == self.Period.MONTH and self.starts_on.day != 1:
                raise ValidationError({"starts_on": _("A month starts on its first day.")})
            if self.period == self.Period.QUARTER and (self.starts_on.day != 1 or self.starts_on.month not in (1, 4, 7, 10)):
                raise ValidationError({"starts_on": _("A quarter starts on 1 January, 1 April, 1 July or 1 October.")})
            if self.period == self.Period.YEAR and (self.starts_on.day, self.starts_on.month) != (1, 1):
                raise ValidationError({"starts_on": _("A year starts on 1 January.")})

    @property
    def period_label(self) -> str:
        if self.period == self.Period.MONTH:
            return f"{self.starts_on:%m.%Y}"
        if self.period == self.Period.QUARTER:
            return f"Q{(self.starts_on.month - 1) // 3 + 1}.{self.starts_on.year}"
        return str(self.starts_on.year)

    @property
    def rate(self) -> float | None:
        if not self.service.capacity:
            return None
        return self.users / self.service.capacity


class SpecializedInstitution(BaseModel):
    """A specialised institution (СИ) for children or adults, and its closure or transformation plan.

    Status transitions: operating → closing (a plan with a target date) → closed / transformed.
    """

    class Users(models.TextChoices):
        CHILDREN = "children", _("children")
        ADULTS = "adults", _("adults")

    class Status(models.TextChoices):
        OPERATING = "operating", _("operating")
        CLOSING = "closing", _("closure planned")
        TRANSFORMED = "transformed", _("transformed")
        CLOSED = "closed", pgettext_lazy("institution status", "closed")

    name = models.CharField(_("name"), max_length=300)
    users = models.CharField(_("for"), max_length=10, choices=Users.choices)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="institutions")
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="institutions"
    )
    operator = models.ForeignKey(
        Organization, verbose_name=_("run by"), on_delete=models.PROTECT, related_name="institutions"
    )
    capacity = models.PositiveIntegerField(_("capacity (places)"), validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.OPERATING)
    target_date = models.DateField(_("target date of closure"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    replaced_by = models.ManyToManyField(
        Service, verbose_name=_("community services replacing it"), blank=True, related_name="replaces"
    )
    plan_note = models.TextField(_("closure or transformation plan"), blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="region", municipality="municipality", organization="operator")

    class Meta:
        verbose_name = _("specialised institution")
        verbose_name_plural = _("specialised institutions")
        ordering = ["region__name_bg", "name"]

    def __str__(self):
        return self.name


class InstitutionResidents(BaseModel):
    """Residents of an institution at the end of a period, and how many moved to community care."""

    institution = models.ForeignKey(
        SpecializedInstitution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="residents"
    )
    as_of = models.DateField(_("as of"))
    residents = models.PositiveIntegerField(_("residents"), validators=[MaxValueValidator(MAX_USERS_SANITY)])
    moved_to_community = models.PositiveIntegerField(_("moved to community services"), default=0)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="institution__region", municipality="institution__municipality", organization="institution__operator"
    )

    class Meta:
        verbose_name = _("residents")
        verbose_name_plural = _("residents")
        ordering = ["institution", "-as_of"]
        constraints = [models.UniqueConstraint(fields=["institution", "as_of"], name="ss_residents_unique")]


class PlanningStandard(BaseModel):
    """A planning norm for a service type: how many places a population group needs.

    Kinds: `per_1000` — places per 1 000 people of the group; `per_municipality` — at least N
    services in every municipality of at least `min_population`; `per_region` — N per region.
    The figures of НПСУ chapter II could not all be confirmed [U]: each row cites its source and the
    national administrator edits them; a new version gets a later `valid_from`.
    """

    class Kind(models.TextChoices):
        PER_1000 = "per_1000", _("places per 1 000 of the group")
        PER_MUNICIPALITY = "per_municipality", _("services per municipality")
        PER_REGION = "per_region", _("services per region")

    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT, related_name="standards"
    )
    kind = models.CharField(_("kind of norm"), max_length=20, choices=Kind.choices)
    age_from = models.PositiveSmallIntegerField(_("population group: age from"), default=0)
    age_to = models.PositiveSmallIntegerField(_("age to"), null=True, blank=True, help_text=_("Empty: and over."))
    value = models.DecimalField(_("norm"), max_digits=8, decimal_places=3, validators=[MinValueValidator(Decimal("0"))])
    min_population = models.PositiveIntegerField(_("applies from a municipal population of"), default=0)
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(_("source"), max_length=300)
    is_confirmed = models.BooleanField(
        _("figure confirmed in the source"), default=False,
        help_text=_("Unconfirmed figures are working assumptions to be checked against the ordinance."),
    )
    history = HistoricalRecords()

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("planning standard")
        verbose_name_plural = _("planning standards")
        ordering = ["service_type__order", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "kind", "valid_from"], name="ss_standard_unique"),
        ]

    def __str__(self):
        return f"{self.service_type}: {self.value} ({self.get_kind_display()})"

    @property
    def group_label(self) -> str:
        if self.age_to is None:
            return f"{self.age_from}+"
        return f"{self.age_from}–{self.age_to}"


class ServiceCard(BaseModel):
    """A service description card (карта за описание на социална услуга) for a period.

    Its fields are data (`CARD_FIELDS` in reference.py, one set for persons and one for children), so
    the monitoring app can send the same card as a form.

    Status transitions: draft → submitted; submitted → draft (reopened).
    """

    class Variant(models.TextChoices):
        PERSONS = "persons", _("for persons")
        CHILDREN = "children", _("for children")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("card status", "draft")
        SUBMITTED = "submitted", _("submitted")

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="cards")
    variant = models.CharField(_("card"), max_length=10, choices=Variant.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    data = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    revision = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="service__region", municipality="service__municipality", organization="service__provider"
    )

    class Meta:
        verbose_name = _("service description card")
        verbose_name_plural = _("service description cards")
        ordering = ["service", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["service", "period_start", "period_end"], name="ss_card_unique"),
        ]

    def __str__(self):
        return f"{self.service} {self.period_start:%d.%m.%Y}–{self.period_end:%d.%m.%Y}"


def exchange_upload_path(instance, filename: str) -> str:
    return f"services/imports/{instance.created_by_id or 0}/{filename}"


class ExchangeJob(BaseModel):
    """An import of services or occupancy from a file, run in the background with its progress.

    Status transitions: queued → checking → saving → done; checking/saving → failed (the file
    could not be read or the worker stopped); a "check only" job goes checking → done.
    """

    class Kind(models.TextChoices):
        SERVICES = "services", _("services")
        OCCUPANCY = "occupancy", _("occupancy")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        CHECKING = "checking", _("checking the rows")
        SAVING = "saving", _("saving")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    FINISHED = (Status.DONE, Status.FAILED)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=exchange_upload_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("check only"), default=False)
    language = models.CharField(_("language"), max_length=10, default="bg")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows checked"), default=0)
    # {"created", "updated", "unchanged", "errors": [{"row", "column", "letter", "message"}]}
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        "auth.User", verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    # Jobs are the uploader's own; they are read through their pk and owner, not by territory.
    scope_paths = ScopePaths()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename

    @property
    def percent(self) -> int:
        if self.status in self.FINISHED or self.status == self.Status.SAVING:
            return 100
        return round(100 * self.processed / self.total) if self.total else 0
