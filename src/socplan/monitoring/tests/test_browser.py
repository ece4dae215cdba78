"""Filling a report with a repeating table in headless Chromium: adding and removing rows, an
error named at its cell, the draft kept, then submitting (see socplan/tests/browser.py)."""

import datetime

import pytest

from socplan.monitoring import services
from socplan.monitoring.models import Deadline, FormTemplate, Submission
from socplan.tests.browser import BASE, chromium, open_page  # noqa: F401 - chromium is a fixture

pytestmark = pytest.mark.django_db

SCHEMA = {
    "sections": [
        {
            "title": "Рискови групи",
            "items": [
                {"key": "total", "type": "integer", "label": "Общо обхванати лица", "required": True},
                {
                    "key": "groups",
                    "type": "table",
                    "label": "Обхват по рискови групи",
                    "min_rows": 1,
                    "columns": [
                        {"key": "group", "type": "text", "label": "Рискова група", "required": True},
                        {"key": "people", "type": "integer", "label": "Лица в риск", "min": 0},
                        {"key": "served", "type": "integer", "label": "Обхванати от услуги", "min": 0},
                    ],
                    "row_rules": [{"type": "lte", "left": "served", "right": "people"}],
                },
            ],
        }
    ],
    "rules": [{"type": "sum_equals", "table": "groups", "column": "served", "question": "total"}],
}


@pytest.fixture
def submission(regional, vtr_admin_org, vtr_municipality_org):
    template = FormTemplate.objects.create(code="browser-form", name="Обхват на рисковите групи", schema=SCHEMA)
    round = services.round_create(
        user=regional, name="Кръг 2025", organizer=vtr_admin_org, period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31), deadlines=[(Deadline.Kind.SUBMISSION, "Доклади", datetime.date(2099, 3, 31))],
    )
    services.assignments_add(user=regional, round=round, template=template, respondents=[vtr_municipality_org])
    services.round_open(user=regional, round=round)
    return Submission.objects.get(assignment__round=round)


@pytest.fixture
def desktop(chromium, settings, municipal):
    page, context = open_page(chromium, settings, user=municipal, viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def test_filling_a_repeating_table(desktop, submission):
    page = desktop
    page.goto(f"{BASE}/monitoring/submissions/{submission.pk}/")
    table = page.locator(".report-table[data-table=groups]")
    add = table.locator("button.add-row")
    # Three rows added with the keyboard-reachable button, the middle one removed again.
    for _ in range(3):
        add.click()
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    rows.nth(0).locator("input[name$='-group']").fill("Деца с увреждания")
    rows.nth(0).locator("input[name$='-people']").fill("40")
    rows.nth(0).locator("input[name$='-served']").fill("45")  # more than the people at risk
    rows.nth(1).locator("input[name$='-group']").fill("Ред за изтриване")
    rows.nth(2).locator("input[name$='-group']").fill("Възрастни хора")
    rows.nth(2).locator("input[name$='-people']").fill("1 200")
    rows.nth(2).locator("input[name$='-served']").fill("300")
    rows.nth(1).locator("button.remove-row").click()
    assert rows.count() == 2
    page.fill("#q-total", "345")
    with page.expect_navigation():
        page.click("button[name=action][value=submit]")
    # Not submitted: the error names the cell, the summary links to it, nothing typed is lost.
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "Обхванати от услуги" in summary.inner_text()
    submission.refresh_from_db()
    assert submission.status == Submission.Status.DRAFT
    assert [r["group"] for r in submission.answers["groups"]] == ["Деца с увреждания", "Възрастни хора"]
    assert submission.answers["groups"][1]["people"] == "1200"
    cell = page.locator("td.field-error input[name$='-served']")
    assert cell.count() == 1 and cell.input_value() == "45"
    # Corrected, the sum rule then holds and the report goes in.
    cell.fill("40")
    page.fill("#q-total", "340")
    with page.expect_navigation():
        page.click("button[name=action][value=submit]")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED
    assert submission.answers["total"] == "340"
    # Submitted: the page shows the answers, no longer the inputs.
    assert page.locator("button.add-row").count() == 0
    assert "Възрастни хора" in page.locator(".report-table").inner_text()


@pytest.fixture
def unit_page(chromium, settings, regional):
    page, context = open_page(chromium, settings, user=regional, viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def test_building_a_template_without_code(unit_page):
    page = unit_page
    page.goto(f"{BASE}/monitoring/templates/new/")
    page.fill("#id_name", "Карта за услугите за деца")
    builder = page.locator("#builder")
    section = builder.locator("fieldset.builder-section").first
    section.locator("input[type=text]").first.fill("Услуги")
    section.locator(".builder-add button").first.click()  # add a question
    item = section.locator(".builder-item").first
    item.locator("input[type=text]").first.fill("Общо потребители")
    item.locator("select").first.select_option("integer")
    # A repeating table with two number columns and the rule "users ≤ capacity".
    section.locator(".builder-add button").nth(1).click()
    table = section.locator(".builder-table").first
    table.locator("input[type=text]").first.fill("Услуги в общината")
    table.locator(".builder-column input[type=text]").first.fill("Услуга")
    table.locator("button.button-small").first.click()  # add a column
    table.locator("button.button-small").first.click()
    columns = table.locator(".builder-column")
    assert columns.count() == 3
    columns.nth(1).locator("input[type=text]").first.fill("Капацитет")
    columns.nth(2).locator("input[type=text]").first.fill("Потребители")
    # The row rule: "Потребители" (c3) must not exceed "Капацитет" (c2); both made number columns.
    columns.nth(1).locator("select").first.select_option("integer")
    columns.nth(2).locator("select").first.select_option("integer")
    table.locator(":scope > button.link-button").last.click()
    rule = table.locator(".builder-rule").first
    rule.locator("select").nth(0).select_option("c3")
    rule.locator("select").nth(2).select_option("c2")
    with page.expect_navigation():
        page.locator("form.builder-form button[type=submit]").last.click()
    template = FormTemplate.objects.get(name="Карта за услугите за деца")
    items = template.schema["sections"][0]["items"]
    assert items[0]["label"] == "Общо потребители" and items[0]["type"] == "integer"
    assert [c["label"] for c in items[1]["columns"]] == ["Услуга", "Капацитет", "Потребители"]
    assert items[1]["row_rules"] == [{"type": "lte", "left": "c3", "right": "c2"}]
    assert template.owner.kind == "regional_administration"
    # The saved template's page (the redirect is followed for the browser).
    assert "Карта за услугите за деца" in page.locator("h1").inner_text()
