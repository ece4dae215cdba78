import datetime
import os
import shutil
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.db import connections
from django.test import Client
from django.urls import reverse

from socplan.monitoring.tests.test_meetings import _decision_with_deadlines, _plan_meeting, sfo  # noqa: F401
from socplan.monitoring.tests.test_evaluations import strategy  # noqa: F401
from socplan.conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "http://socplan.test"


@pytest.fixture(scope="module")
def chromium(django_db_setup, django_db_blocker):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _page(chromium, settings, user, width=1280):
    settings.ALLOWED_HOSTS = ["socplan.test", "testserver"]
    client = Client(HTTP_HOST="socplan.test")
    client.force_login(user)
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="bg-BG")
    connection = connections["default"]

    def serve(route, request):
        connections["default"] = connection
        url = urlsplit(request.url)
        if url.hostname != "socplan.test":
            return route.abort()
        if url.path.startswith(settings.STATIC_URL):
            path = finders.find(url.path[len(settings.STATIC_URL):])
            if not path:
                return route.fulfill(status=404, body="")
            ct = "text/css" if path.endswith(".css") else "application/javascript" if path.endswith(".js") else None
            with open(path, "rb") as h:
                return route.fulfill(status=200, body=h.read(), content_type=ct)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items() if k.lower().startswith("hx-")}
        path = url.path + (f"?{url.query}" if url.query else "")
        response = client.generic(request.method, path, data=request.post_data_buffer or b"",
                                  content_type=request.headers.get("content-type", ""), **headers)
        route.fulfill(status=response.status_code, body=response.content,
                      headers={k: v for k, v in response.items() if k.lower() in ("content-type", "location", "hx-retarget", "hx-reswap")})

    page = context.new_page()
    page.route("**/*", serve)
    return page


def test_shots(chromium, settings, sfo, strategy, regional):
    c = client_for(sfo["regional"])
    meeting = _plan_meeting(c, sfo["body"])
    c.post(reverse("monitoring:meeting_agenda_add", kwargs={"pk": meeting.pk}), {"agenda-title": "Представяне на Проект „Повишаване на капацитета на служителите в сферата на закрилата на детето“", "agenda-presenters": "г-жа Мила Пашова и г-жа Адриана Сълева", "agenda-minutes": "Г-жа Мила Пашова сподели, че проектът е нов проект на АСП."})
    c.post(reverse("monitoring:meeting_agenda_add", kwargs={"pk": meeting.pk}), {"agenda-title": "Предстоящи задачи във връзка с изготвянето на Мониторингов доклад", "agenda-presenters": "г-жа Мила Пашова", "agenda-minutes": ""})
    meeting.agenda.filter(position=1).delete()
    _decision_with_deadlines(c, meeting, sfo)
    page = _page(chromium, settings, sfo["regional"])
    page.goto(f"{BASE}/monitoring/meetings/{meeting.pk}/")
    page.screenshot(path="/tmp/shot_meeting.png", full_page=True)
    # htmx: add an agenda item in place
    page.locator("#agenda details summary").click()
    page.fill("#id_agenda-title", "Други")
    page.locator("#agenda form.form button[type=submit]").click()
    page.wait_for_selector("#agenda .message-success")
    assert "Други" in page.locator("#agenda").inner_text()
    # htmx: close a follow-up from the meeting page
    page.locator("#decisions tr[id^=follow-up-] button[value=done]").first.click()
    page.wait_for_selector("#decisions .message-success")
    page.screenshot(path="/tmp/shot_meeting_after.png", full_page=True)
    # htmx: edit an agenda item in place
    page.locator("#agenda li a", has_text="Редактиране").first.click()
    page.wait_for_selector("#agenda li form.form")
    title = page.locator("#agenda li form.form textarea").first
    title.fill("Предстоящи задачи (редактирано)")
    page.locator("#agenda li form.form button[type=submit]").click()
    page.wait_for_selector("#agenda .message-success")
    assert "(редактирано)" in page.locator("#agenda").inner_text()
    # an empty title is refused in place
    page.locator("#agenda li a", has_text="Редактиране").first.click()
    page.wait_for_selector("#agenda li form.form")
    page.locator("#agenda li form.form textarea").first.fill("")
    page.locator("#agenda li form.form button[type=submit]").click()
    page.wait_for_selector("#agenda li form.form .error")
    page.screenshot(path="/tmp/shot_agenda_error.png", full_page=False)
    page.goto(f"{BASE}/monitoring/meetings/{meeting.pk}/")
    # htmx: edit a decision in place
    page.locator("#decisions a", has_text="Редактиране").first.click()
    page.wait_for_selector("#decisions form.form textarea")
    page.locator("#decisions form.form textarea").first.fill("Звеното определя нови срокове.")
    page.locator("#decisions article form.form button[type=submit]").first.click()
    page.wait_for_selector("#decisions .message-success")
    assert "нови срокове" in page.locator("#decisions").inner_text()
    # htmx: add a deadline for two organisations
    page.locator("#decisions article details.add-form summary").first.click()
    form = page.locator("#decisions article details.add-form form").first
    form.locator("textarea").fill("Справки от ДСП")
    form.locator("select[multiple]").select_option(label="Община Самоков")
    form.locator("input[name$=due_on]").fill("15.09.2017")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#decisions .message-success")
    assert "Справки от ДСП" in page.locator("#decisions").inner_text()
    # attendance with htmx
    page.locator("#attendance input[type=checkbox]").first.check()
    page.locator("#attendance button", has_text="Save the attendance").click() if page.locator("#attendance button", has_text="Save the attendance").count() else page.locator("#attendance form.form button[type=submit]").click()
    page.wait_for_selector("#attendance .message-success")
    assert page.locator("#attendance input[type=checkbox]").first.is_checked()
    page.goto(f"{BASE}/monitoring/meetings/")
    page.screenshot(path="/tmp/shot_list.png", full_page=True)
    page.goto(f"{BASE}/monitoring/meetings/new/?body={sfo['body'].pk}")
    page.screenshot(path="/tmp/shot_form.png", full_page=True)
    p2 = _page(chromium, settings, sfo["samokov_expert"])
    p2.goto(f"{BASE}/monitoring/follow-ups/")
    p2.screenshot(path="/tmp/shot_followups.png", full_page=True)
    p2.locator("button[value=done]").first.click()
    p2.wait_for_timeout(500)
    p2.screenshot(path="/tmp/shot_followups_after.png", full_page=True)
    # evaluation
    rc = client_for(regional)
    rc.post(reverse("monitoring:evaluation_create", kwargs={"plan_pk": strategy.pk}), {"kind": "interim", "title": "Междинна оценка 2016–2017", "period_start": "2016-01-01", "period_end": "2017-06-30", "evaluator": "ЗМО", "summary": "Изпълнява се."})
    from socplan.monitoring.models import Evaluation
    from socplan.plans.models import Node
    ev = Evaluation.objects.get(plan=strategy)
    goal = Node.objects.get(version=ev.version, number="1")
    rc.post(reverse("monitoring:evaluation_finding_add", kwargs={"pk": ev.pk}), {"finding-node_key": str(goal.key), "finding-rating": "partly", "finding-findings": "Закрити са две институции.", "finding-recommendations": "Да се разкрият още два ЦНСТ."})
    p3 = _page(chromium, settings, regional)
    p3.goto(f"{BASE}/monitoring/evaluations/{ev.pk}/")
    p3.locator("#findings details.add-form summary").click()
    p3.screenshot(path="/tmp/shot_evaluation.png", full_page=True)
    p3.goto(f"{BASE}/monitoring/plans/{strategy.pk}/evaluations/")
    p3.screenshot(path="/tmp/shot_evaluations.png", full_page=True)
    p4 = _page(chromium, settings, sfo["regional"], width=390)
    p4.goto(f"{BASE}/monitoring/meetings/{meeting.pk}/")
    p4.screenshot(path="/tmp/shot_meeting_phone.png", full_page=True)
    print("PHONE scrollWidth", p4.evaluate("document.documentElement.scrollWidth"), p4.evaluate("Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392 && !(e.parentElement && e.parentElement.closest('.table-scroll'))).slice(0,8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"))
    p4.goto(f"{BASE}/monitoring/follow-ups/")
    print("PHONE followups scrollWidth", p4.evaluate("document.documentElement.scrollWidth"), p4.evaluate("Array.from(document.querySelectorAll('*')).map(e => [Math.round(e.getBoundingClientRect().right), e.tagName + '.' + e.className]).sort((a,b)=>b[0]-a[0]).slice(0,6)"))
    p4.evaluate("document.querySelectorAll('.table-scroll .visually-hidden').forEach(e => e.remove())")
    print("PHONE followups without captions", p4.evaluate("document.documentElement.scrollWidth"))
    p4.goto(f"{BASE}/monitoring/meetings/")
    print("PHONE list scrollWidth", p4.evaluate("document.documentElement.scrollWidth"), p4.evaluate("Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392 && !(e.parentElement && e.parentElement.closest('.table-scroll'))).slice(0,8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"))
    p4.goto(f"{BASE}/plans/")
    print("PHONE plans scrollWidth", p4.evaluate("document.documentElement.scrollWidth"))
    p4.goto(f"{BASE}/monitoring/")
    print("PHONE overview scrollWidth", p4.evaluate("document.documentElement.scrollWidth"), p4.evaluate("Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 392 && !(e.parentElement && e.parentElement.closest('.table-scroll'))).slice(0,8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"))
