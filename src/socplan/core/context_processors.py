from django.conf import settings

from .scoping import scope_for


def site(request):
    user = getattr(request, "user", None)
    return {
        "SOCPLAN_DEMO": settings.SOCPLAN_DEMO,
        "scope": scope_for(user) if user is not None else None,
    }
