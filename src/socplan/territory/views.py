from django.core.paginator import Paginator
from django.shortcuts import render

from socplan.core.panels import panels_for

from . import selectors
from .geo import view_box


def _with_change(units: list) -> list:
    """Set each unit's population change in % between the first and the latest population date."""
    for unit in units:
        first, now = unit.population_first, unit.population
        unit.change = round(100 * (now - first) / first, 1) if first and now is not None else None
    return units


def region_list(request):
    regions = _with_change(list(selectors.region_list(user=request.user)))
    shapes = list(selectors.region_shapes(user=request.user))
    total = sum(r.population or 0 for r in regions)
    return render(
        request,
        "territory/region_list.html",
        {
            "regions": regions,
            "total_population": total,
            "shapes": shapes,
            "view_box": view_box([s.bbox for s in shapes]),
            "summary": selectors.region_population_summary(region=None),
            "population_dates": selectors.population_dates(),
        },
    )


def region_detail(request, code: str):
    region = selectors.region_get(user=request.user, code=code)
    municipalities = _with_change(list(selectors.municipality_list(user=request.user, region=region)))
    shapes = list(selectors.municipality_shapes(user=request.user, region=region))
    return render(
        request,
        "territory/region_detail.html",
        {
            "region": region,
            "municipalities": municipalities,
            "total_population": sum(m.population or 0 for m in municipalities),
            "shapes": shapes,
            "view_box": view_box([s.bbox for s in shapes]),
            "summary": selectors.region_population_summary(region=region),
            "population_dates": selectors.population_dates(),
            "panels": panels_for("region", request, region=region),
        },
    )


def municipality_detail(request, code: str):
    municipality = selectors.municipality_get(user=request.user, code=code)
    shapes = list(selectors.municipality_shapes(user=request.user, region=municipality.region))
    context = {
        "municipality": municipality,
        "population": selectors.municipality_population(municipality=municipality),
        "shapes": shapes,
        "view_box": view_box([s.bbox for s in shapes]),
        "panels": panels_for("municipality", request, municipality=municipality),
    }
    context.update(_settlement_page(request, municipality))
    if request.htmx and request.htmx.target == "settlements":
        return render(request, "territory/partials/_settlements.html", context)
    return render(request, "territory/municipality_detail.html", context)


def _settlement_page(request, municipality) -> dict:
    query = request.GET.get("q", "")[:100]
    settlements = selectors.settlement_list(user=request.user, municipality=municipality, query=query)
    page = Paginator(settlements, 50).get_page(request.GET.get("page"))
    return {"settlements": page, "query": query}
