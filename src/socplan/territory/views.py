from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from socplan.core.cache import cached_page, cached_render
from socplan.core.panels import panels_for

from . import selectors
from .geo import view_box


def _with_change(units: list) -> list:
    """Set each unit's population change in % between the first and the latest population date."""
    for unit in units:
        first, now = unit.population_first, unit.population
        unit.change = round(100 * (now - first) / first, 1) if first and now is not None else None
    return units


@cached_page
def region_list(request):
    def build():
        regions = _with_change(list(selectors.region_list(user=request.user)))
        shapes = list(selectors.region_shapes(user=request.user))
        return {
            "regions": regions,
            "total_population": sum(r.population or 0 for r in regions),
            "shapes": shapes,
            "view_box": view_box([s.bbox for s in shapes]),
            "summary": selectors.region_population_summary(region=None),
            "population_dates": selectors.population_dates(),
        }

    # The same for everyone: public statistics.
    content = cached_render(request, "territory/partials/_region_list_content.html", build, scoped=False)
    return render(request, "territory/region_list.html", {"content": content})


@cached_page
def region_detail(request, code: str):
    region = selectors.region_get(user=request.user, code=code)

    def build():
        municipalities = _with_change(list(selectors.municipality_list(user=request.user, region=region)))
        shapes = list(selectors.municipality_shapes(user=request.user, region=region))
        return {
            "region": region,
            "municipalities": municipalities,
            "total_population": sum(m.population or 0 for m in municipalities),
            "shapes": shapes,
            "view_box": view_box([s.bbox for s in shapes]),
            "summary": selectors.region_population_summary(region=region),
            "population_dates": selectors.population_dates(),
            "panels": panels_for("region", request, region=region),
        }

    content = cached_render(request, "territory/partials/_region_detail_content.html", build, parts=(region.pk,))
    return render(request, "territory/region_detail.html", {"region": region, "content": content})


@cached_page
def municipality_detail(request, code: str):
    municipality = selectors.municipality_get(user=request.user, code=code)
    if request.htmx and request.htmx.target == "settlements":
        return render(request, "territory/partials/_settlements.html", _settlement_page(request, municipality))

    def build():
        shapes = list(selectors.municipality_shapes(user=request.user, region=municipality.region))
        return {
            "municipality": municipality,
            "population": selectors.municipality_population(municipality=municipality),
            "shapes": shapes,
            "view_box": view_box([s.bbox for s in shapes]),
            "panels": panels_for("municipality", request, municipality=municipality),
            **_settlement_page(request, municipality),
        }

    content = cached_render(
        request, "territory/partials/_municipality_detail_content.html", build, parts=(municipality.pk, request.GET.urlencode())
    )
    return render(request, "territory/municipality_detail.html", {"municipality": municipality, "content": content})


def _settlement_page(request, municipality) -> dict:
    query = request.GET.get("q", "")[:100]
    settlements = selectors.settlement_list(user=request.user, municipality=municipality, query=query)
    page = Paginator(settlements, 50).get_page(request.GET.get("page"))
    return {"settlements": page, "query": query}


@login_required
def population_upload(request):
    """The national administrator loads NSI's table of population by age for municipalities,
    replacing the estimates the gap analysis makes from the regions' age structure."""
    from django import forms as django_forms
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import HttpResponse

    from socplan.core.scoping import scope_for

    from .population_import import population_table_load, population_template

    if not scope_for(request.user).is_administrator:
        raise PermissionDenied
    if request.GET.get("template"):
        response = HttpResponse(population_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="population_template.csv"'
        return response

    class UploadForm(django_forms.Form):
        file = django_forms.FileField(label=_("NSI table (XLSX or CSV)"))
        dry_run = django_forms.BooleanField(label=_("Only check, do not save"), required=False)

    form = UploadForm(request.POST or None, request.FILES or None)
    result, errors = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 20 * 2**20:
            errors = [_("The file is larger than %(mb)s MB.") % {"mb": 20}]
        else:
            try:
                result = population_table_load(
                    data=upload.read(), filename=upload.name, user=request.user, dry_run=form.cleaned_data["dry_run"]
                )
            except ValidationError as exc:
                errors = exc.messages
    return render(request, "territory/population_upload.html", {"form": form, "result": result, "errors": errors})
