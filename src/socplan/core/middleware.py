from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .scoping import scope_for

_EXEMPT_PREFIXES = ("/static/", "/i18n/", "/jsi18n/", "/healthz")


class RequireSecondFactorMiddleware:
    """Send an administrator without a verified second factor to set one up or enter a code.

    On only where SOCPLAN_OTP_REQUIRED_FOR_ADMINS is set (always in the production settings).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SOCPLAN_OTP_REQUIRED_FOR_ADMINS and self._needs_second_factor(request):
            target = reverse("core:two-factor")
            allowed = (target, reverse("core:logout"), reverse("core:login"))
            if not request.path.startswith(_EXEMPT_PREFIXES) and request.path not in allowed:
                return redirect(f"{target}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if not (user.is_superuser or scope_for(user).is_administrator):
            return False
        return not user.is_verified()


class LanguageMiddleware:
    """Bulgarian unless the user chose English (language cookie); the browser's language is ignored,
    because officials' machines often run an English browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
