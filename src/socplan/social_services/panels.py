"""What the social services register adds to the home page and to region and municipality pages."""

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from socplan.core.panels import Panel
from socplan.core.scoping import editable

from . import selectors
from .models import Service


def home_panels(request) -> list[Panel]:
    """Services of the user's territory or organisation that need attention (ЗСУ rules)."""
    mine = editable(Service.objects.all(), request.user)
    if not mine.exists():
        return []
    counts = {}
    for kind, label in (
        ("licence", _("licences expiring or expired")),
        ("idle", _("without users for three months")),
        ("over_map", _("state funding above the National Map")),
        ("over_capacity", _("users above capacity")),
    ):
        found = selectors.alerts(user=request.user, kinds=[kind], base=mine)
        if found:
            counts[kind] = (label, len(found))
    if not counts:
        return []
    return [
        Panel(
            title=_("To do: social services"),
            template="social_services/partials/_panel_alerts.html",
            context={"counts": counts},
            order=7,
            kind="todo",
        )
    ]


def territory_panels(request, *, region=None, municipality=None) -> list[Panel]:
    qs = Service.objects.filter(status__in=Service.ACTIVE_STATUSES, is_published=True)
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    elif region is not None:
        qs = qs.filter(region=region)
    rows = list(
        qs.values("service_type__name", "service_type__abbreviation")
        .annotate(services=Count("id"), places=Sum("capacity"))
        .order_by("-places")[:12]
    )
    if not rows:
        return []
    return [
        Panel(
            title=_("Social services"),
            template="social_services/partials/_panel_territory.html",
            context={"rows": rows, "region": region, "municipality": municipality},
            order=25,
        )
    ]
