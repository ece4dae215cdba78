"""Caching of rendered page content and computed reads, invalidated by any change of the data.

Every key carries the data version (core.models.DataVersion), the language and — for content that
depends on who looks — the fingerprint of the user's scope, so an entry is never shown after the
data changed or to a user who may see something else. Rendered HTML never stores a CSRF token: a
placeholder is cached and replaced with the requesting user's token.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from asgiref.local import Local
from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import DataVersion
from .scoping import scope_for

CSRF_PLACEHOLDER = "socplan-csrf-placeholder-0f9d"
TIMEOUT = getattr(settings, "SOCPLAN_CACHE_SECONDS", 3600)


VERSION_KEY = "socplan:data-version"


def _shared_cache() -> bool:
    """Whether every process sees the same cache (Redis, Memcached…), not one of its own."""
    return not settings.CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))


def _stored_version() -> int:
    return DataVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0


_request_local = Local()


class DataVersionMiddleware:
    """Read the data version at most once per request (first in the middleware list)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _request_local.version = None
        try:
            return self.get_response(request)
        finally:
            del _request_local.version  # outside a request every call reads afresh


def data_version() -> int:
    """The current data version, read once per request.

    With a shared cache it is read from there (no database query per request); with a cache of
    each process's own, from the database, which all processes share.
    """
    memo = getattr(_request_local, "version", None)
    if memo is not None:
        return memo
    if _shared_cache():
        value = cache.get(VERSION_KEY)
        if value is None:
            value = _stored_version()
            cache.add(VERSION_KEY, value, None)
    else:
        value = _stored_version()
    if hasattr(_request_local, "version"):  # inside a request
        _request_local.version = value
    return value


def _bump() -> None:
    # The database keeps the counter across cache restarts; the shared cache serves the reads.
    if not DataVersion.objects.filter(pk=1).update(value=F("value") + 1):
        DataVersion.objects.get_or_create(pk=1, defaults={"value": 1})
    if _shared_cache():
        cache.set(VERSION_KEY, _stored_version(), None)


def bump_data_version() -> None:
    """Invalidate every cached page and computation, once the current transaction commits."""
    transaction.on_commit(_bump)


def scope_fingerprint(user) -> str:
    return hashlib.sha1(repr(scope_for(user)).encode()).hexdigest()[:16]


def _key(request, parts: tuple, *, scoped: bool) -> str:
    version = data_version()
    raw = repr((version, get_language(), scope_fingerprint(request.user) if scoped else "", parts))
    return "socplan:" + hashlib.sha1(raw.encode()).hexdigest()


def cached_value(request, parts: tuple, build: Callable[[], object], *, scoped: bool = True):
    """A computed value (e.g. API data), cached until the data changes."""
    key = _key(request, parts, scoped=scoped)
    value = caches["pages"].get(key)
    if value is None:
        value = build()
        caches["pages"].set(key, value, TIMEOUT)
    return value


def cached_render(request, template: str, build_context: Callable[[], dict], *, parts: tuple = (), scoped: bool = True) -> SafeString:
    """Render `template` with the context `build_context()` returns, or take it from the cache."""
    key = _key(request, (template, *parts), scoped=scoped)
    html = caches["pages"].get(key)
    if html is None:
        html = render_to_string(template, {**build_context(), "csrf_token": CSRF_PLACEHOLDER}, request=request)
        caches["pages"].set(key, html, TIMEOUT)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)  # noqa: S308 - rendered by our own autoescaping templates


def csrf_placeholder(request) -> dict:
    """Context processor: while a page is rendered for the cache, forms get a placeholder token."""
    if getattr(request, "_socplan_rendering_for_cache", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def _has_pending_messages(request) -> bool:
    # Flash messages belong to one response only (cookie or session storage of django.contrib.messages).
    return "messages" in request.COOKIES or "_messages" in request.session


def cached_page(view):
    """Serve a GET page from the cache for this user until the data changes.

    The key holds the data version, the language, the user and the full path, so what a user
    sees is exactly what the view would render now. Pages with flash messages, htmx fragments and
    anything but a 200 are never cached.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or getattr(request, "htmx", False) or _has_pending_messages(request):
            return view(request, *args, **kwargs)
        user = request.user.pk if request.user.is_authenticated else None
        key = _key(request, ("page", user, request.get_full_path()), scoped=False)
        html = caches["pages"].get(key)
        if html is None:
            request._socplan_rendering_for_cache = True
            try:
                response = view(request, *args, **kwargs)
            finally:
                request._socplan_rendering_for_cache = False
            if response.status_code != 200 or response.streaming or getattr(response, "is_rendered", True) is False:
                return response
            html = response.content.decode()
            if not _has_pending_messages(request):
                caches["pages"].set(key, html, TIMEOUT)
        if CSRF_PLACEHOLDER in html:
            html = html.replace(CSRF_PLACEHOLDER, get_token(request))
        response = HttpResponse(html)
        # Ours to cache, not a proxy's or the browser's: the page is the user's own.
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapper
