"""Browser tests of the public map and catalogue in headless Chromium, on a phone-sized screen
(see socplan/tests/browser.py for how the browser reaches the test's database)."""

import pytest

from socplan.social_services.models import Service
from socplan.tests.browser import BASE, chromium, open_page  # noqa: F401 - chromium is a fixture

from .factories import ServiceFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(chromium, settings):
    page, context = open_page(chromium, settings, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield page
    context.close()


@pytest.fixture
def services():
    cop = ServiceTypeFactory(code="cop_browser", abbreviation="ЦОП", name="Център за обществена подкрепа")
    open_one = ServiceFactory(name="ЦОП „Дъга“", service_type=cop, capacity=30)
    ServiceFactory(name="Скрита услуга", service_type=cop, is_published=False)
    ServiceFactory(name="Закрита услуга", service_type=cop, status=Service.Status.CLOSED)
    return open_one


def test_the_public_map_fits_a_phone_and_leads_to_the_services(phone, services):
    phone.goto(f"{BASE}/services/public/map/?region=VTR")
    svg = phone.locator("figure.service-map svg")
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box["width"] <= 390 and box["height"] > 100
    # Nothing is wider than the screen (no sideways scrolling on a phone).
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shapes = phone.locator("figure.service-map path")
    assert shapes.count() == 10  # the municipalities of Veliko Tarnovo region
    assert phone.locator("figure.service-map path.s0").count() == 9  # one municipality has a service
    phone.locator("figure.service-map a:has(path:not(.s0))").first.click()
    phone.wait_for_load_state()
    assert "/services/public/" in phone.url
    cards = phone.locator(".cards .card")
    assert cards.count() == 1
    assert "ЦОП „Дъга“" in cards.first.inner_text()
    assert "Скрита" not in phone.content() and "Закрита" not in phone.content()


def test_the_catalogue_suggests_settlements_as_you_type(phone, services):
    phone.goto(f"{BASE}/services/public/")
    phone.locator("#q").press_sequentially("велико т", delay=20)
    suggestion = phone.locator(".suggestions a").first
    suggestion.wait_for()
    assert "Велико Търново" in suggestion.inner_text()
    suggestion.click()
    phone.wait_for_load_state()
    text = phone.locator(".cards").inner_text()
    assert "ЦОП „Дъга“" in text and "30" in text
