"""Institutions, collegial bodies and their members, and the roles users hold in them."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

from socplan.core.models import BaseModel
from socplan.core.scoping import ScopePaths
from socplan.core.validators import validate_eik
from socplan.territory.models import Municipality, Region


class Organization(BaseModel):
    """An institution named in the source documents, tied to its territory."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Agency for Social Assistance (central office)")
        DAZD = "dazd", _("State Agency for Child Protection (ДАЗД)")
        AKSU = "aksu", _("Agency for the Quality of Social Services (АКСУ)")
        REGIONAL_ADMINISTRATION = "regional_administration", _("regional administration")
        REGIONAL_DEVELOPMENT_COUNCIL = "regional_development_council", _("regional development council")
        RDSP = "rdsp", _("regional social assistance directorate (РДСП)")
        RUO = "ruo", _("regional education office (РУО)")
        RZI = "rzi", _("regional health inspectorate (РЗИ)")
        MUNICIPALITY = "municipality", _("municipality")
        MUNICIPAL_COUNCIL = "municipal_council", _("municipal council")
        PUBLIC_COUNCIL = "public_council", _("public council for social assistance")
        DSP = "dsp", _("social assistance directorate (ДСП)")
        OZD = "ozd", _("child protection department (ОЗД)")
        DBT = "dbt", _("labour office directorate (ДБТ)")
        PROVIDER = "provider", _("licensed provider of social services")
        NGO = "ngo", _("non-governmental organisation")
        BUSINESS = "business", _("business")

    class Level(models.TextChoices):
        NATIONAL = "national", _("national")
        REGIONAL = "regional", _("regional")
        MUNICIPAL = "municipal", _("municipal")
        ANY = "any", _("any")

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="organizations"
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    eik = models.CharField(_("ЕИК/БУЛСТАТ"), max_length=13, blank=True, validators=[validate_eik])
    address = models.CharField(_("address"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="region", municipality="municipality", organization="pk")

    # Which territory an organisation of each kind must be tied to.
    LEVELS = {
        Kind.AGENCY: Level.NATIONAL,
        Kind.DAZD: Level.NATIONAL,
        Kind.AKSU: Level.NATIONAL,
        Kind.REGIONAL_ADMINISTRATION: Level.REGIONAL,
        Kind.REGIONAL_DEVELOPMENT_COUNCIL: Level.REGIONAL,
        Kind.RDSP: Level.REGIONAL,
        Kind.RUO: Level.REGIONAL,
        Kind.RZI: Level.REGIONAL,
        Kind.MUNICIPALITY: Level.MUNICIPAL,
        Kind.MUNICIPAL_COUNCIL: Level.MUNICIPAL,
        Kind.PUBLIC_COUNCIL: Level.MUNICIPAL,
        Kind.DSP: Level.MUNICIPAL,
        Kind.OZD: Level.MUNICIPAL,
        Kind.DBT: Level.MUNICIPAL,
        Kind.PROVIDER: Level.ANY,
        Kind.NGO: Level.ANY,
        Kind.BUSINESS: Level.ANY,
    }
    # Kinds that a regional or municipal expert may register in their territory.
    PARTNER_KINDS = (Kind.PROVIDER, Kind.NGO, Kind.BUSINESS)
    # One per territorial unit.
    SINGLETON_KINDS = (
        Kind.REGIONAL_ADMINISTRATION,
        Kind.REGIONAL_DEVELOPMENT_COUNCIL,
        Kind.RDSP,
        Kind.MUNICIPALITY,
        Kind.MUNICIPAL_COUNCIL,
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "kind", name="organizations_org_unique_name"),
            models.UniqueConstraint(
                fields=["eik"], condition=~models.Q(eik=""), name="organizations_org_unique_eik"
            ),
            models.UniqueConstraint(
                fields=["kind", "region"],
                condition=models.Q(kind__in=["regional_administration", "regional_development_council", "rdsp"]),
                name="organizations_org_one_per_region",
            ),
            models.UniqueConstraint(
                fields=["kind", "municipality"],
                condition=models.Q(kind__in=["municipality", "municipal_council"]),
                name="organizations_org_one_per_municipality",
            ),
        ]
        indexes = [models.Index(fields=["region", "kind"], name="organizations_org_region_kind")]

    def __str__(self):
        return self.name

    @property
    def level(self) -> str:
        return self.LEVELS[self.kind]

    def clean(self):
        errors = {}
        level = self.LEVELS.get(self.kind)
        if self.municipality_id and self.region_id is None:
            self.region_id = self.municipality.region_id
        if level == self.Level.NATIONAL and (self.region_id or self.municipality_id):
            errors["region"] = _("A national institution is not tied to a region or municipality.")
        if level == self.Level.REGIONAL:
            if not self.region_id:
                errors["region"] = _("Choose the region of this institution.")
            if self.municipality_id:
                errors["municipality"] = _("A regional institution is not tied to one municipality.")
        if level == self.Level.MUNICIPAL and not self.municipality_id:
            errors["municipality"] = _("Choose the municipality of this institution.")
        if self.municipality_id and self.region_id and self.municipality.region_id != self.region_id:
            errors["municipality"] = _("The municipality %(m)s is not in the region %(r)s.") % {
                "m": self.municipality,
                "r": self.region,
            }
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = _("An organisation cannot be part of itself.")
        if errors:
            raise ValidationError(errors)


class Body(BaseModel):
    """A collegial body: the monitoring and evaluation unit (ЗМО), a working group, a team…"""

    class Kind(models.TextChoices):
        MONITORING_UNIT = "monitoring_unit", _("monitoring and evaluation unit (ЗМО)")
        COORDINATION_TEAM = "coordination_team", _("coordination and monitoring team")
        WORKING_GROUP = "working_group", _("working group")
        MULTIDISCIPLINARY_TEAM = "multidisciplinary_team", _("multidisciplinary team")
        COUNCIL = "council", _("council")
        OTHER = "other", _("other body")

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=255)
    organization = models.ForeignKey(
        Organization, verbose_name=_("host organisation"), on_delete=models.PROTECT, related_name="bodies"
    )
    has_extended_composition = models.BooleanField(
        _("has an extended composition"),
        default=False,
        help_text=_("A core team and an extended one with partners, as the monitoring units have."),
    )
    description = models.TextField(_("remit"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="organization__region", municipality="organization__municipality", organization="organization"
    )

    class Meta:
        verbose_name = _("collegial body")
        verbose_name_plural = _("collegial bodies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "organization", name="organizations_body_unique_name"),
        ]

    def __str__(self):
        return self.name


class Appointment(BaseModel):
    """The order (заповед) that sets up a body or appoints its members, e.g. №ОА-155/20.06.2017."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="appointments")
    number = models.CharField(_("order number"), max_length=40)
    date = models.DateField(_("order date"))
    issued_by = models.CharField(_("issued by"), max_length=255, help_text=_("e.g. the regional governor"))
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="body__organization__region",
        municipality="body__organization__municipality",
        organization="body__organization",
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["body", "number", "date"], name="organizations_appointment_unique"),
        ]

    def __str__(self):
        return f"{_('Order')} №{self.number}/{self.date:%d.%m.%Y}"

    def clean(self):
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("The order date cannot be in the future.")})


class Membership(BaseModel):
    """A person's seat in a body: in its core or extended composition, appointed by an order."""

    class Composition(models.TextChoices):
        CORE = "core", _("core")
        EXTENDED = "extended", _("extended")

    class Role(models.TextChoices):
        CHAIR = "chair", _("chair")
        DEPUTY_CHAIR = "deputy_chair", _("deputy chair")
        SECRETARY = "secretary", _("secretary")
        MEMBER = "member", _("member")

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="memberships")
    person_name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=255, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("represents"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
    )
    composition = models.CharField(_("composition"), max_length=10, choices=Composition.choices, default=Composition.CORE)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(
        region="body__organization__region",
        municipality="body__organization__municipality",
        organization="body__organization",
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["composition", "role", "person_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["body"],
                condition=models.Q(role="chair", end_date__isnull=True),
                name="organizations_membership_one_chair",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="organizations_membership_dates",
            ),
        ]

    def __str__(self):
        return f"{self.person_name} ({self.get_role_display()})"

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()

    def clean(self):
        errors = {}
        if self.composition == self.Composition.EXTENDED and self.body_id and not self.body.has_extended_composition:
            errors["composition"] = _("This body has no extended composition.")
        if self.appointment_id and self.body_id and self.appointment.body_id != self.body_id:
            errors["appointment"] = _("The order belongs to another body.")
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date is before the start date.")
        if self.appointment_id and self.start_date and self.start_date < self.appointment.date:
            errors["start_date"] = _("The membership cannot start before the order that appoints it.")
        if errors:
            raise ValidationError(errors)


class RoleAssignment(BaseModel):
    """A user's role in an organisation, which decides what they may see and change."""

    class Role(models.TextChoices):
        NATIONAL = "national", _("national expert (АСП)")
        REGIONAL_EXPERT = "regional_expert", _("regional expert")
        MUNICIPAL_EXPERT = "municipal_expert", _("municipal expert")
        DIRECTORATE_EXPERT = "directorate_expert", _("directorate expert")
        PROVIDER = "provider", _("provider")
        ADMINISTRATOR = "administrator", _("administrator")
        # Reads the log of who read personal data, and nothing else.
        AUDITOR = "auditor", _("auditor of personal data access")

    # The organisation kinds each role can be held in.
    ROLE_KINDS = {
        Role.NATIONAL: {Organization.Kind.AGENCY, Organization.Kind.DAZD, Organization.Kind.AKSU},
        Role.REGIONAL_EXPERT: {Organization.Kind.REGIONAL_ADMINISTRATION, Organization.Kind.REGIONAL_DEVELOPMENT_COUNCIL},
        Role.MUNICIPAL_EXPERT: {Organization.Kind.MUNICIPALITY},
        Role.DIRECTORATE_EXPERT: {Organization.Kind.RDSP, Organization.Kind.DSP, Organization.Kind.OZD},
        Role.PROVIDER: {Organization.Kind.PROVIDER, Organization.Kind.NGO, Organization.Kind.MUNICIPALITY},
        Role.ADMINISTRATOR: {Organization.Kind.AGENCY},
        Role.AUDITOR: {Organization.Kind.AGENCY, Organization.Kind.RDSP},
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the organisation's region."),
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the organisation's municipality."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(region="organization__region", municipality="organization__municipality", organization="organization")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organization"], name="organizations_role_unique"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}, {self.organization}"

    def clean(self):
        if not self.organization_id or not self.role:
            return
        org = self.organization
        errors = {}
        allowed = self.ROLE_KINDS.get(self.role, set())
        if org.kind not in allowed:
            errors["organization"] = _("The role “%(role)s” cannot be held in a %(kind)s.") % {
                "role": self.get_role_display(),
                "kind": org.get_kind_display(),
            }
        # Defaults come from the organisation; an explicit territory must lie inside the organisation's.
        if self.municipality_id and self.region_id is None:
            self.region_id = self.municipality.region_id
        if self.region_id is None:
            self.region_id = org.region_id
        if self.municipality_id is None:
            self.municipality_id = org.municipality_id
        if org.region_id and self.region_id != org.region_id:
            errors["region"] = _("The region is outside the territory of %(org)s.") % {"org": org}
        if org.municipality_id and self.municipality_id != org.municipality_id:
            errors["municipality"] = _("The municipality is outside the territory of %(org)s.") % {"org": org}
        if self.municipality_id and self.region_id and self.municipality.region_id != self.region_id:
            errors["municipality"] = _("The municipality is not in the chosen region.")
        if self.role == self.Role.REGIONAL_EXPERT and not self.region_id:
            errors["region"] = _("A regional expert needs a region.")
        if self.role == self.Role.MUNICIPAL_EXPERT and not self.municipality_id:
            errors["municipality"] = _("A municipal expert needs a municipality.")
        if errors:
            raise ValidationError(errors)


# Who changed a user's name, e-mail, flags or password, and when.
register(User, app="socplan.organizations", table_name="organizations_historicaluser")
