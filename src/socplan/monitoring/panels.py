"""What monitoring adds to the home page and to the region and municipality pages.

The home page of a municipality shows what is due, by when, and what was returned to it; the
regional unit sees what waits for its review, who has not reported, and the decisions to follow.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.panels import Panel

from . import selectors
from .models import Round


def home_panels(request) -> list[Panel]:
    user = request.user
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    panels = []
    to_fill = list(selectors.my_submissions(user=user)[:12])
    if to_fill:
        returned = [s for s in to_fill if s.status == "returned"]
        panels.append(Panel(
            title=_("To do: reports") if not returned else _("To do: reports (%(n)s returned to you)") % {"n": len(returned)},
            template="monitoring/partials/_panel_to_fill.html",
            context={"submissions": sorted(to_fill, key=lambda s: (s.status != "returned", s.assignment.round.period_end)), "today": today},
            order=3, kind="todo",
        ))
    to_review = list(selectors.to_review(user=user)[:12])
    managed = list(selectors.round_managed(user=user).filter(status=Round.Status.OPEN).select_related("region")[:5])
    if to_review or managed:
        boards = [(r, selectors.completeness(round=r, today=today)) for r in managed]
        panels.append(Panel(
            title=_("To do: monitoring rounds"),
            template="monitoring/partials/_panel_rounds.html",
            context={"to_review": to_review, "boards": boards, "today": today},
            order=4, kind="todo",
        ))
    follow_ups = list(selectors.my_follow_ups(user=user)[:12])
    if follow_ups:
        panels.append(Panel(
            title=_("To do: decisions to carry out"),
            template="monitoring/partials/_panel_follow_ups.html",
            context={"follow_ups": follow_ups, "today": today},
            order=5, kind="todo",
        ))
    return panels


def territory_panels(request, *, region=None, municipality=None) -> list[Panel]:
    user = request.user
    if not user.is_authenticated or region is None:
        return []
    rounds = list(
        selectors.round_list(user=user, region=region)
        .filter(pk__in=selectors.round_managed(user=user).values("pk"))
        .exclude(status=Round.Status.DRAFT)[:5]
    )
    if not rounds:
        return []
    return [Panel(title=_("Monitoring rounds"), template="monitoring/partials/_panel_territory_rounds.html", context={"rounds": rounds}, order=25)]
