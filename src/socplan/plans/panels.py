"""What the plans app adds to the home page and to the region and municipality pages."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.panels import Panel

from . import selectors
from .models import Comment, Consultation, Plan, PlanVersion


def home_panels(request) -> list[Panel]:
    user = request.user
    editable = selectors.plan_editable(user=user)
    panels = []
    drafts = list(
        editable.filter(versions__status=PlanVersion.Status.DRAFT).distinct().select_related("municipality", "region")[:10]
    )
    consultations = list(
        Consultation.objects.filter(version__plan__in=editable, version__status=PlanVersion.Status.CONSULTATION)
        .annotate(pending=Count("comments", filter=Q(comments__status=Comment.Status.PENDING)))
        .select_related("version__plan")
        .order_by("closes_on")[:10]
    )
    if drafts or consultations:
        panels.append(
            Panel(
                title=_("To do: plans"),
                template="plans/partials/_panel_todo.html",
                context={"drafts": drafts, "consultations": consultations, "today": timezone.localdate()},
                order=6,
                kind="todo",
            )
        )
    return panels


def territory_panels(request, *, region=None, municipality=None) -> list[Panel]:
    plans = selectors.plan_list(user=request.user, region=region, municipality=municipality)
    if region is not None:
        plans = plans.filter(Q(municipality__isnull=True) | Q(kind=Plan.Kind.MUNICIPAL_STRATEGY))
    plans = list(plans[:30])
    if not plans:
        return []
    return [
        Panel(
            title=_("Plans and strategies"),
            template="plans/partials/_panel_plans.html",
            context={"plans": plans},
            order=20,
        )
    ]
