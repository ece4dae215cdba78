"""What the organizations app adds to the home page and to the region and municipality pages."""

from django.utils.translation import gettext as _

from socplan.core.panels import Panel
from socplan.core.scoping import scope_for

from . import selectors


def home_panels(request) -> list[Panel]:
    user = request.user
    scope = scope_for(user)
    panels = [
        Panel(
            title=_("My roles"),
            template="organizations/partials/_panel_roles.html",
            context={"assignments": list(selectors.role_assignments_of(user=user))},
            order=10,
        ),
        Panel(
            title=_("Recent changes in my area"),
            template="organizations/partials/_panel_changes.html",
            context={"changes": selectors.recent_changes(user=user)},
            order=50,
        ),
    ]
    ending = list(selectors.memberships_ending(user=user))
    no_chair = list(selectors.bodies_without_chair(user=user)[:10])
    if ending or no_chair:
        panels.append(
            Panel(
                title=_("To do: bodies"),
                template="organizations/partials/_panel_bodies_todo.html",
                context={"ending": ending, "no_chair": no_chair},
                order=5,
                kind="todo",
            )
        )
    if scope.is_administrator and not user.is_verified():
        panels.append(
            Panel(
                title=_("To do: protect your account"),
                template="organizations/partials/_panel_two_factor.html",
                order=1,
                kind="todo",
            )
        )
    return panels


def territory_panels(request, *, region=None, municipality=None) -> list[Panel]:
    orgs = selectors.organization_list(user=request.user, region=region, municipality=municipality)
    if region is not None:
        orgs = orgs.filter(municipality__isnull=True)
    organizations = list(orgs[:50])
    if not organizations:
        return []
    return [
        Panel(
            title=_("Institutions"),
            template="organizations/partials/_panel_organizations.html",
            context={"organizations": organizations},
            order=30,
        )
    ]
