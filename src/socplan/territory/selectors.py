"""Reads of the territory data. Territory is public reference data: every user may read it."""

from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from socplan.core.scoping import visible

from .models import Municipality, PopulationFigure, Region, Settlement, search_key

_TOTAL = Q(age_group="all", sex=PopulationFigure.Sex.TOTAL, residence=PopulationFigure.Residence.TOTAL)


def population_dates() -> list[date]:
    """The dates of the municipal population totals, oldest first."""
    return list(
        PopulationFigure.objects.filter(_TOTAL, municipality__isnull=False)
        .order_by("reference_date")
        .values_list("reference_date", flat=True)
        .distinct()
    )


def _municipal_total(day: date | None, municipality_ref: str = "pk"):
    return Subquery(
        PopulationFigure.objects.filter(_TOTAL, municipality=OuterRef(municipality_ref), reference_date=day).values(
            "value"
        )[:1],
        output_field=IntegerField(),
    )


def _regional_total(day: date | None):
    return Coalesce(
        Subquery(
            PopulationFigure.objects.filter(_TOTAL, municipality__region=OuterRef("pk"), reference_date=day)
            .values("municipality__region")
            .annotate(total=Sum("value"))
            .values("total")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def region_list(*, user) -> QuerySet[Region]:
    dates = population_dates()
    latest = dates[-1] if dates else None
    first = dates[0] if dates else None
    return (
        visible(Region.objects.all(), user)
        .defer("svg_path")
        .annotate(
            municipality_count=Count("municipalities", distinct=True),
            population=_regional_total(latest),
            population_first=_regional_total(first),
        )
        .order_by("name_bg")
    )


def region_shapes(*, user) -> QuerySet[Region]:
    return visible(Region.objects.only("code", "name_bg", "name_en", "svg_path", "bbox"), user)


def region_get(*, user, code: str) -> Region:
    return get_object_or_404(visible(Region.objects.defer("svg_path"), user), code=code.upper())


def municipality_list(*, user, region: Region | None = None, query: str = "") -> QuerySet[Municipality]:
    dates = population_dates()
    latest = dates[-1] if dates else None
    first = dates[0] if dates else None
    qs = visible(Municipality.objects.select_related("region").defer("svg_path", "region__svg_path"), user)
    if region is not None:
        qs = qs.filter(region=region)
    if query:
        qs = qs.filter(Q(search_name__contains=search_key(query.strip())) | Q(code__iexact=query.strip()))
    return qs.annotate(
        population=_municipal_total(latest),
        population_first=_municipal_total(first),
        settlement_count=Subquery(
            Settlement.objects.filter(municipality=OuterRef("pk"))
            .values("municipality")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
    ).order_by("name_bg")


def municipality_get(*, user, code: str) -> Municipality:
    return get_object_or_404(
        visible(Municipality.objects.select_related("region"), user).defer("svg_path", "region__svg_path"),
        code=code.upper(),
    )


def municipality_population(*, municipality: Municipality) -> list[PopulationFigure]:
    return list(
        PopulationFigure.objects.filter(_TOTAL, municipality=municipality).order_by("reference_date")
    )


def region_age_structure(*, region: Region | None) -> list[PopulationFigure]:
    """Population by 5-year age group (both sexes, all residences) of a region, or of the country."""
    unit = region.code if region is not None else "BG"
    return list(
        PopulationFigure.objects.filter(
            unit_code=unit, sex=PopulationFigure.Sex.TOTAL, residence=PopulationFigure.Residence.TOTAL
        )
        .exclude(age_group="all")
        .order_by("age_from")
    )


def region_population_summary(*, region: Region | None) -> dict:
    """Totals of the broad age groups 0–17 is not published by region: 0–14, 15–64, 65+ are."""
    groups = region_age_structure(region=region)
    total = sum(g.value for g in groups)
    bands = {"0–14": 0, "15–64": 0, "65+": 0}
    for g in groups:
        key = "0–14" if g.age_from < 15 else ("15–64" if g.age_from < 65 else "65+")
        bands[key] += g.value
    return {
        "total": total,
        "bands": [
            {"label": label, "value": value, "share": round(100 * value / total, 1) if total else 0}
            for label, value in bands.items()
        ],
        "reference_date": groups[0].reference_date if groups else None,
        "source": groups[0].source if groups else "",
    }


def settlement_list(*, user, municipality: Municipality | None = None, query: str = "") -> QuerySet[Settlement]:
    qs = visible(Settlement.objects.select_related("municipality", "mayoralty"), user).defer(
        "municipality__svg_path"
    )
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    if query:
        q = query.strip()
        qs = qs.filter(Q(search_name__contains=search_key(q)) | Q(ekatte=q))
    return qs.order_by("name_bg", "ekatte")


def municipality_shapes(*, user, region: Region) -> QuerySet[Municipality]:
    return visible(Municipality.objects.filter(region=region).only("code", "name_bg", "name_en", "svg_path", "bbox"), user)

