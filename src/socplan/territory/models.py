"""The administrative-territorial units of Bulgaria (EKATTE), their population and boundaries.

Official reference data of the National Statistical Institute (НСИ), loaded by `load_territory`
from the files in territory/data (see data/PROVENANCE.md). Readable by everyone.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from socplan.core.scoping import ScopePaths


class NamedUnit(models.Model):
    name_bg = models.CharField(_("name (Bulgarian)"), max_length=150)
    name_en = models.CharField(_("name (Latin)"), max_length=150)
    # Lower-case Cyrillic and Latin names for searching: SQLite's LIKE folds case of ASCII only.
    search_name = models.CharField(max_length=310, editable=False, db_index=True, default="")

    scope_paths = ScopePaths(public=True)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "bg").startswith("en") else self.name_bg

    def save(self, *args, **kwargs):
        self.search_name = search_key(self.name_bg, self.name_en)
        super().save(*args, **kwargs)

    def __str__(self):
        return self.name


def search_key(*names: str) -> str:
    return " ".join(n.lower() for n in names if n)


class MapShape(models.Model):
    """A boundary drawn as an SVG path in the national map projection (see territory.geo)."""

    svg_path = models.TextField(_("boundary (SVG path)"), blank=True, editable=False)
    bbox = models.CharField(_("bounding box"), max_length=60, blank=True, editable=False)

    class Meta:
        abstract = True


class PlanningRegion(NamedUnit, MapShape):
    """A NUTS 1 or NUTS 2 region (район за планиране)."""

    code = models.CharField(_("NUTS code"), max_length=5, unique=True)
    level = models.PositiveSmallIntegerField(_("NUTS level"))
    parent_code = models.CharField(_("parent NUTS code"), max_length=5, blank=True)

    class Meta:
        verbose_name = _("planning region")
        verbose_name_plural = _("planning regions")
        ordering = ["code"]


class Region(NamedUnit, MapShape):
    """An област (NUTS 3), e.g. VTR Велико Търново."""

    code = models.CharField(_("EKATTE code"), max_length=3, unique=True)
    nuts1 = models.CharField("NUTS 1", max_length=3)
    nuts2 = models.CharField("NUTS 2", max_length=4)
    nuts3 = models.CharField("NUTS 3", max_length=5)
    center_ekatte = models.CharField(_("administrative centre (EKATTE)"), max_length=5)
    history = HistoricalRecords(excluded_fields=["svg_path", "search_name"])

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name_bg"]


class Municipality(NamedUnit, MapShape):
    """An община, e.g. VTR04 Велико Търново."""

    code = models.CharField(_("EKATTE code"), max_length=5, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="municipalities")
    nuts3 = models.CharField("NUTS 3", max_length=5)
    center_ekatte = models.CharField(_("administrative centre (EKATTE)"), max_length=5)
    category = models.PositiveSmallIntegerField(_("category"), null=True, blank=True)
    ebk_code = models.CharField(_("budget code (ЕБК)"), max_length=10, blank=True)
    history = HistoricalRecords(excluded_fields=["svg_path", "search_name"])

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name_bg"]


class Mayoralty(NamedUnit):
    """A кметство: a part of a municipality with its own mayor."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="mayoralties"
    )
    center_ekatte = models.CharField(_("centre (EKATTE)"), max_length=5)
    category = models.PositiveSmallIntegerField(_("category"), null=True, blank=True)

    class Meta:
        verbose_name = _("mayoralty")
        verbose_name_plural = _("mayoralties")
        ordering = ["code"]


class Settlement(NamedUnit):
    """A населено място (town, village or monastery) with its EKATTE code."""

    class Kind(models.TextChoices):
        TOWN = "town", _("town")
        VILLAGE = "village", _("village")
        MONASTERY = "monastery", _("monastery")

    ekatte = models.CharField(_("EKATTE code"), max_length=5, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="settlements"
    )
    mayoralty = models.ForeignKey(
        Mayoralty,
        verbose_name=_("mayoralty"),
        on_delete=models.PROTECT,
        related_name="settlements",
        null=True,
        blank=True,
    )
    category = models.PositiveSmallIntegerField(_("category"), null=True, blank=True)
    altitude_band = models.CharField(_("altitude (m)"), max_length=20, blank=True)
    history = HistoricalRecords(excluded_fields=["search_name"])

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["name_bg", "ekatte"]

    @property
    def prefix(self) -> str:
        return {"town": "гр.", "village": "с.", "monastery": "ман."}[self.kind] if self.kind else ""

    @property
    def full_name(self) -> str:
        if (get_language() or "bg").startswith("en"):
            return self.name_en
        return f"{self.prefix} {self.name_bg}"


class PopulationFigure(models.Model):
    """A population count of a region, a municipality or the whole country, for one date and group.

    `unit_code` is "BG" for the country, the region's code ("VTR") or the municipality's ("VTR04").
    `age_group` is "all" for every age, else e.g. "0-4", "100+"; `age_to` empty means "and over".
    """

    class Sex(models.TextChoices):
        TOTAL = "total", _("total")
        MALE = "male", _("men")
        FEMALE = "female", _("women")

    class Residence(models.TextChoices):
        TOTAL = "total", _("total")
        URBAN = "urban", _("towns")
        RURAL = "rural", _("villages")

    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="population_figures")
    municipality = models.ForeignKey(
        Municipality, null=True, blank=True, on_delete=models.CASCADE, related_name="population_figures"
    )
    unit_code = models.CharField(_("territorial unit"), max_length=5)
    reference_date = models.DateField(_("as of"))
    age_group = models.CharField(_("age group"), max_length=10, default="all")
    age_from = models.PositiveSmallIntegerField(_("age from"), null=True, blank=True)
    age_to = models.PositiveSmallIntegerField(_("age to"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, default=Sex.TOTAL)
    residence = models.CharField(_("residence"), max_length=5, choices=Residence.choices, default=Residence.TOTAL)
    value = models.PositiveIntegerField(_("people"))
    is_estimate = models.BooleanField(_("estimate"), default=False)
    source = models.CharField(_("source"), max_length=255)

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")
        constraints = [
            models.UniqueConstraint(
                fields=["unit_code", "reference_date", "age_group", "sex", "residence"],
                name="territory_population_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(region__isnull=True) | models.Q(municipality__isnull=True),
                name="territory_population_one_unit",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "reference_date"], name="territory_pop_muni_date")]
