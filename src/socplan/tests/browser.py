"""Headless Chromium for browser tests, serving pages from the Django test client.

The browser talks to the test client through Playwright's request routing, so the pages are served
from the test's own database transaction (no live server, which would need a transactional
database and would empty the territory loaded once per session). Skipped where Chromium is not
installed, unless SOCPLAN_REQUIRE_BROWSER is set (CI sets it). Used by the apps' test_browser.py:

    from socplan.tests.browser import BASE, chromium, open_page  # noqa: F401 (fixture)
"""

import os
import shutil
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.db import connections
from django.test import Client

BASE = "http://socplan.test"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium(django_db_setup, django_db_blocker):
    from django.db import connection

    if connection.vendor != "sqlite":
        # The pages are the same on every database; on PostgreSQL the callbacks' extra context
        # keeps a session open past the suite. CI runs these once, on SQLite.
        pytest.skip("the browser tests run on SQLite")
    # The test database is made before Playwright starts its event loop in this thread; while it
    # runs, Django's calls from the routing callback are ordinary synchronous ones in the test's
    # thread and transaction, which Django would otherwise refuse as "async".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _chromium()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _chromium():
    if not CHROMIUM:
        if os.environ.get("SOCPLAN_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required for the browser tests here but is not installed.")
        pytest.skip("Chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


def open_page(chromium, settings, *, user=None, **context_options):
    """A page whose requests to BASE are answered by a test client (signed in as `user`).

    Returns (page, context); close the context when done.
    """
    settings.ALLOWED_HOSTS = ["socplan.test"]
    client = Client(HTTP_HOST="socplan.test")
    if user is not None:
        client.force_login(user)
    context = chromium.new_context(**context_options)

    def serve(route, request):
        url = urlsplit(request.url)
        if url.hostname != "socplan.test":
            return route.abort()
        if url.path.startswith(settings.STATIC_URL):
            path = finders.find(url.path[len(settings.STATIC_URL):])
            if not path:
                return route.fulfill(status=404, body="")
            content_type = "text/css" if path.endswith(".css") else "application/javascript" if path.endswith(".js") else None
            with open(path, "rb") as handle:
                return route.fulfill(status=200, body=handle.read(), content_type=content_type)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items() if k.lower().startswith("hx-")}
        path = url.path + (f"?{url.query}" if url.query else "")
        response = client.generic(request.method, path, data=request.post_data_buffer or b"",
                                  content_type=request.headers.get("content-type", ""), **headers)
        # Chromium does not route the request a fulfilled redirect leads to (it would go to the
        # network): follow redirects here and answer with the page they lead to.
        for _hop in range(5):
            if response.status_code not in (301, 302, 303, 307, 308) or not response.get("Location", "").startswith("/"):
                break
            response = client.get(response["Location"], **headers)
        route.fulfill(status=response.status_code, body=response.content,
                      headers={k: v for k, v in response.items() if k.lower() in ("content-type", "location")})

    # Playwright calls the handler from its own greenlet, which Django's context-local connections
    # treat as another thread: hand it the test's connection (and so its open transaction).
    connection = connections["default"]

    def serve_in_test_transaction(route, request):
        connections["default"] = connection
        return serve(route, request)

    page = context.new_page()
    page.route("**/*", serve_in_test_transaction)
    return page, context
