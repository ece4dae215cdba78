"""A whole monitoring round through the pages: create, assign, fill, submit, return, resubmit,
accept, council decision, report; and the refusals on the way."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from socplan.core.exceptions import ApplicationError
from socplan.monitoring import services
from socplan.monitoring.models import (
    Deadline,
    FollowUp,
    FormTemplate,
    Indicator,
    Reminder,
    Report,
    ReviewEvent,
    Round,
    Submission,
    Target,
    Value,
)
from socplan.organizations.models import Body, Organization
from socplan.plans.tests.factories import NodeFactory, PlanFactory
from socplan.social_services.tests.factories import OccupancyFactory, ServiceFactory

SCHEMA = {
    "sections": [
        {
            "key": "general",
            "title": "Общи данни",
            "items": [
                {"key": "team", "type": "text", "label": "Екип за координация и мониторинг", "required": True},
                {"key": "narrative", "type": "longtext", "label": "Постигнато по приоритетите"},
                {"key": "users_total", "type": "integer", "label": "Общо потребители", "min": 0},
            ],
        },
        {
            "key": "services",
            "title": "Социални услуги",
            "items": [
                {
                    "key": "services",
                    "type": "table",
                    "label": "Услуги в общината",
                    "prefill": "services",
                    "columns": [
                        {"key": "name", "type": "text", "label": "Услуга", "readonly": True},
                        {"key": "capacity", "type": "integer", "label": "Капацитет", "readonly": True},
                        {"key": "users", "type": "integer", "label": "Потребители", "min": 0},
                    ],
                    "row_rules": [{"type": "lte", "left": "users", "right": "capacity"}],
                },
                {
                    "key": "indicators",
                    "type": "table",
                    "label": "Индикатори",
                    "prefill": "indicators",
                    "columns": [
                        {"key": "code", "type": "text", "label": "Код", "readonly": True},
                        {"key": "indicator", "type": "text", "label": "Индикатор", "readonly": True},
                        {"key": "value", "type": "number", "label": "Постигната стойност"},
                    ],
                },
            ],
        },
    ],
    "rules": [{"type": "sum_equals", "table": "services", "column": "users", "question": "users_total"}],
}


@pytest.fixture
def setup(regional, municipal, vtr_admin_org, vtr_municipality_org):
    plan = PlanFactory(regional=True)
    version = plan.versions.get()
    goal = NodeFactory(version=version, level="general_goal", title="Деинституционализация")
    indicator = Indicator.objects.create(
        plan=plan, node_key=goal.key, code="1.1", name="Деца в услуги в общността", unit="брой",
        baseline_value=Decimal("10"), baseline_date=datetime.date(2016, 1, 1), aggregation=Indicator.Aggregation.SUM,
    )
    Target.objects.create(indicator=indicator, label="2018", due_on=datetime.date(2018, 12, 31), value=Decimal("40"))
    service = ServiceFactory(name="Дневен център за деца с увреждания", capacity=20)
    OccupancyFactory(service=service, starts_on=datetime.date(2017, 6, 1), users=18)
    template = FormTemplate.objects.create(code="test-report", name="Доклад за изпълнение", schema=SCHEMA)
    municipal.email = "municipal@example.bg"
    municipal.save()
    return {"plan": plan, "indicator": indicator, "service": service, "template": template}


def _create_round(client, plan, organizer):
    response = client.post(
        reverse("monitoring:round_create"),
        {
            "name": "Мониторинг 2016–2017", "organizer": organizer.pk, "plan": plan.pk,
            "period_start": "2016-01-01", "period_end": "2017-06-30", "remind_days_before": 5,
            "on_track_from": 90, "at_risk_from": 60, "submission_title": "Проекти на доклади",
            "submission_due": "2099-10-10", "decision_title": "Решения на общинските съвети", "decision_due": "2099-10-30",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Round.objects.get(name="Мониторинг 2016–2017")


def test_a_whole_round(setup, regional, municipal, administrator, as_user, vtr_admin_org, vtr_municipality_org, django_capture_on_commit_callbacks):
    unit, muni = as_user(regional), as_user(municipal)
    round = _create_round(unit, setup["plan"], vtr_admin_org)
    assert round.region_id == vtr_admin_org.region_id and round.deadlines.count() == 2

    # Assign the template to the municipality (asking twice changes nothing).
    for _ in range(2):
        response = unit.post(
            reverse("monitoring:round_assign", args=[round.pk]),
            {"template": setup["template"].pk, "respondents": [vtr_municipality_org.pk], "needs_council_decision": "on"},
        )
        assert response.status_code == 302
    submission = Submission.objects.get(assignment__round=round)
    # Prefilled from socplan's data: the service with its capacity and last users, the plan's indicator.
    rows = submission.answers["services"]
    assert rows == [{"_ref": f"service:{setup['service'].pk}", "name": setup["service"].name, "capacity": "20", "users": "18"}]
    assert submission.answers["indicators"][0]["code"] == "1.1"

    # Not open yet: the municipality cannot save.
    assert muni.post(reverse("monitoring:submission", args=[submission.pk]), {"q-team": "x", "revision": 0}).status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        assert unit.post(reverse("monitoring:round_action", args=[round.pk, "open"])).status_code == 302
    assert mail.outbox and "municipal@example.bg" in mail.outbox[-1].to

    # The municipality sees it on its home page.
    home = muni.get(reverse("core:home")).content.decode()
    assert "Доклад за изпълнение" in home

    page = muni.get(reverse("monitoring:submission", args=[submission.pk]))
    assert page.status_code == 200 and "Дневен център за деца с увреждания" in page.content.decode()

    ref = f"service:{setup['service'].pk}"
    ind_ref = f"indicator:{setup['indicator'].pk}"
    base = {
        "q-team": "Заповед №123/2016", "q-narrative": "Открит е нов център.", "q-users_total": "25",
        "t-services-0-_ref": ref, "t-services-0-name": setup["service"].name, "t-services-0-capacity": "20",
        "t-services-0-users": "25", "t-indicators-0-_ref": ind_ref, "t-indicators-0-code": "1.1",
        "t-indicators-0-indicator": "Деца", "t-indicators-0-value": "31,5",
    }
    # Submitting with users above capacity: not submitted, kept as a draft, the cell is named.
    response = muni.post(reverse("monitoring:submission", args=[submission.pk]), {**base, "action": "submit", "revision": 0})
    assert response.status_code == 200
    text = response.content.decode()
    assert "t-services-0-users" in text and "Потребители" in text
    submission.refresh_from_db()
    assert submission.status == Submission.Status.DRAFT and submission.answers["services"][0]["users"] == "25"

    # Fixed: 20 users; the sum rule then needs users_total = 20.
    fixed = {**base, "t-services-0-users": "20", "q-users_total": "20"}
    response = muni.post(reverse("monitoring:submission", args=[submission.pk]), {**fixed, "action": "submit", "revision": submission.revision})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED and submission.answers["indicators"][0]["value"] == "31.5"

    # The unit returns it with a comment; the municipality sees what was returned.
    response = unit.post(
        reverse("monitoring:submission_review", args=[submission.pk]),
        {"action": "return", "comment": "Допълнете информацията за екипа.", "revision": submission.revision},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.RETURNED
    assert "Допълнете информацията за екипа." in muni.get(reverse("core:home")).content.decode()

    response = muni.post(
        reverse("monitoring:submission", args=[submission.pk]),
        {**fixed, "q-team": "Заповед №123/2016, допълнена", "action": "submit", "revision": submission.revision},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED

    # Two reviewers at once: the first wins, the second is told.
    stale = submission.revision
    services.submission_accept(user=regional, submission=submission, expected_revision=stale)
    with pytest.raises(ApplicationError):
        services.submission_return(user=administrator, submission=submission, comment="Не", expected_revision=stale)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED
    assert [e.action for e in submission.events.all()] == [
        ReviewEvent.Action.SUBMITTED, ReviewEvent.Action.RETURNED, ReviewEvent.Action.SUBMITTED, ReviewEvent.Action.ACCEPTED,
    ]
    # Accepting wrote the indicator's value for the municipality and the period.
    value = Value.objects.get(indicator=setup["indicator"])
    assert value.value == Decimal("31.5") and value.unit_code == "VTR04" and value.period_end == datetime.date(2017, 6, 30)

    # The council decision closes the follow-up tied to the round's decision deadline.
    from socplan.monitoring.models import Decision, Meeting

    body = Body.objects.create(kind=Body.Kind.MONITORING_UNIT, name="ЗМО Велико Търново", organization=vtr_admin_org)
    meeting = Meeting.objects.create(body=body, date=datetime.date(2017, 8, 9))
    decision = Decision.objects.create(meeting=meeting, number=1, text="Срокове")
    follow_up = FollowUp.objects.create(
        decision=decision, task="Решение на общинския съвет", responsible=vtr_municipality_org, due_on=datetime.date(2099, 10, 30),
        deadline=round.deadlines.get(kind=Deadline.Kind.COUNCIL_DECISION),
    )
    pdf = SimpleUploadedFile("reshenie.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = muni.post(
        reverse("monitoring:submission_decision", args=[submission.pk]), {"number": "512", "date": "2017-10-26", "file": pdf}
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    follow_up.refresh_from_db()
    assert submission.council_decision == "512" and follow_up.status == FollowUp.Status.DONE

    # The completeness view and its export.
    page = unit.get(reverse("monitoring:round_detail", args=[round.pk])).content.decode()
    assert "№512/26.10.2017" in page
    assert unit.get(reverse("monitoring:round_completeness_xlsx", args=[round.pk])).status_code == 200

    # The report is queued for the background worker.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = unit.post(reverse("monitoring:round_report", args=[round.pk]), {"fmt": "docx"})
    assert response.status_code == 302 and any("report_request" in c.__qualname__ for c in callbacks)
    report = Report.objects.get(round=round)
    assert report.status == Report.Status.QUEUED
    # The worker makes it; the unit downloads an editable DOCX with the municipality's figures.
    from io import BytesIO

    from docx import Document

    from socplan.monitoring.reports.build import report_build

    report_build(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    download = unit.get(reverse("monitoring:report_download", args=[report.pk]))
    text = "\n".join(p.text for p in Document(BytesIO(b"".join(download.streaming_content))).paragraphs)
    assert "Велико Търново" in text

    # Closed: nothing can be changed or submitted any more.
    assert unit.post(reverse("monitoring:round_action", args=[round.pk, "close"])).status_code == 302
    with pytest.raises(ApplicationError), translation.override("en"):
        services.submission_save(user=municipal, submission=submission, raw={}, expected_revision=None)


def test_a_municipality_sees_only_its_own_reports(setup, regional, municipal, outsider, as_user, vtr_admin_org, vtr_municipality_org):
    round = services.round_create(
        user=regional, name="Кръг", organizer=vtr_admin_org, period_start=datetime.date(2016, 1, 1),
        period_end=datetime.date(2016, 12, 31), deadlines=[(Deadline.Kind.SUBMISSION, "Доклади", datetime.date(2099, 1, 1))],
    )
    other = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR06")
    services.assignments_add(user=regional, round=round, template=setup["template"], respondents=[vtr_municipality_org, other])
    mine = Submission.objects.get(assignment__respondent=vtr_municipality_org)
    theirs = Submission.objects.get(assignment__respondent=other)
    muni = as_user(municipal)
    assert muni.get(reverse("monitoring:submission", args=[mine.pk])).status_code == 200
    assert muni.get(reverse("monitoring:submission", args=[theirs.pk])).status_code == 404
    # A reviewer of another region sees neither, nor the round.
    foreign = as_user(outsider)
    assert foreign.get(reverse("monitoring:submission", args=[mine.pk])).status_code == 404
    assert foreign.get(reverse("monitoring:round_detail", args=[round.pk])).status_code == 404
    # The municipality reads its report but cannot review it, nor manage the round.
    assert muni.get(reverse("monitoring:round_detail", args=[round.pk])).status_code == 404


def test_refusals(setup, regional, municipal, vtr_admin_org, vtr_municipality_org, pvn_admin_org):
    with translation.override("en"):
        with pytest.raises(Exception) as error:
            services.round_create(
                user=regional, name="X", organizer=pvn_admin_org, period_start=datetime.date(2016, 1, 1),
                period_end=datetime.date(2016, 12, 31),
            )
        assert error.type.__name__ == "PermissionDenied"
        round = services.round_create(
            user=regional, name="Y", organizer=vtr_admin_org, period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2016, 12, 31),
        )
        # A deadline before the period's end; opening without assignments or a deadline.
        with pytest.raises(Exception, match="before the end of the reporting period"):
            services.deadline_set(user=regional, round=round, kind=Deadline.Kind.SUBMISSION, title="", due_on=datetime.date(2016, 6, 1))
        with pytest.raises(ApplicationError, match="Assign the templates"):
            services.round_open(user=regional, round=round)
        # A respondent outside the region.
        foreign = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="PVN08")
        with pytest.raises(Exception, match="cannot be asked"):
            services.assignments_add(user=regional, round=round, template=setup["template"], respondents=[foreign])


def test_file_checks_and_reminders(setup, regional, municipal, vtr_admin_org, vtr_municipality_org, django_capture_on_commit_callbacks):
    round = services.round_create(
        user=regional, name="Z", organizer=vtr_admin_org, period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2016, 12, 31),
        deadlines=[(Deadline.Kind.SUBMISSION, "Доклади", datetime.date(2030, 3, 31))],
    )
    services.assignments_add(user=regional, round=round, template=setup["template"], respondents=[vtr_municipality_org])
    services.round_open(user=regional, round=round)
    submission = Submission.objects.get(assignment__round=round)
    with translation.override("en"):
        fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
        with pytest.raises(Exception, match="not really a PDF"):
            services.submission_attach(user=municipal, submission=submission, file=fake)
        with pytest.raises(Exception, match="empty"):
            services.submission_attach(user=municipal, submission=submission, file=SimpleUploadedFile("a.pdf", b""))
        with pytest.raises(Exception, match="cannot be attached"):
            services.submission_attach(user=municipal, submission=submission, file=SimpleUploadedFile("a.exe", b"MZ"))
    # Reminders: once before the deadline, once after; never twice.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=datetime.date(2030, 3, 28)) == 1
        assert services.reminders_send(today=datetime.date(2030, 3, 29)) == 0
        assert services.reminders_send(today=datetime.date(2030, 4, 2)) == 1
        assert services.reminders_send(today=datetime.date(2030, 4, 3)) == 0
    assert Reminder.objects.filter(assignment__round=round).count() == 2
    assert len(mail.outbox) == 2 and "31.03.2030" in mail.outbox[0].subject
    # Submitted reports are not reminded of.
    services.submission_submit(
        user=municipal, submission=submission,
        raw={"team": "Екип", "users_total": "18", "services": submission.answers["services"], "indicators": submission.answers["indicators"]},
    )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED


def test_what_the_respondent_may_not_change(setup, regional, municipal, vtr_admin_org, vtr_municipality_org):
    """Read-only cells and the origin of prefilled rows come from socplan, not from the browser."""
    round = services.round_create(
        user=regional, name="R", organizer=vtr_admin_org, plan=setup["plan"], period_start=datetime.date(2016, 1, 1),
        period_end=datetime.date(2016, 12, 31), deadlines=[(Deadline.Kind.SUBMISSION, "Доклади", datetime.date(2099, 1, 1))],
    )
    services.assignments_add(user=regional, round=round, template=setup["template"], respondents=[vtr_municipality_org])
    services.round_open(user=regional, round=round)
    submission = Submission.objects.get(assignment__round=round)
    other = Indicator.objects.create(plan=PlanFactory(regional=True), code="9", name="Чужд индикатор")
    ref = f"service:{setup['service'].pk}"
    raw = {
        "team": "Екип", "users_total": "5",
        "services": [{"_ref": ref, "name": "Преименувана", "capacity": "999", "users": "5"}],
        "indicators": [{"_ref": f"indicator:{other.pk}", "code": "9", "value": "77"},
                       {"_ref": f"indicator:{setup['indicator'].pk}", "code": "X", "value": "12"}],
    }
    checked = services.submission_submit(user=municipal, submission=submission, raw=raw)
    assert checked.ok, checked.errors
    submission.refresh_from_db()
    row = submission.answers["services"][0]
    assert row["capacity"] == "20" and row["name"] == setup["service"].name
    # The forged reference was dropped; the real one keeps its read-only code.
    assert "_ref" not in submission.answers["indicators"][0] and submission.answers["indicators"][1]["code"] == "1.1"
    services.submission_accept(user=regional, submission=submission)
    assert not Value.objects.filter(indicator=other).exists()
    assert Value.objects.get(indicator=setup["indicator"]).value == Decimal("12")


def test_a_filled_xlsx_instead_of_typing(setup, regional, municipal, as_user, vtr_admin_org, vtr_municipality_org):
    from io import BytesIO

    from openpyxl import load_workbook

    round = services.round_create(
        user=regional, name="XLSX", organizer=vtr_admin_org, plan=setup["plan"], period_start=datetime.date(2016, 1, 1),
        period_end=datetime.date(2016, 12, 31), deadlines=[(Deadline.Kind.SUBMISSION, "Доклади", datetime.date(2099, 1, 1))],
    )
    services.assignments_add(user=regional, round=round, template=setup["template"], respondents=[vtr_municipality_org])
    services.round_open(user=regional, round=round)
    submission = Submission.objects.get(assignment__round=round)
    muni = as_user(municipal)
    response = muni.get(reverse("monitoring:submission_xlsx", args=[submission.pk]))
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    questions = book["Въпроси"]
    for row in questions.iter_rows(min_row=1):
        if row[0].value == "team":
            row[3].value = "Екип по заповед №5"
    services_sheet = next(ws for ws in book.worksheets if ws.title not in ("Въпроси", "_socplan") and ws.max_row > 1 and ws.cell(row=2, column=1).value)
    out = BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("doklad.xlsx", out.getvalue())
    response = muni.post(reverse("monitoring:submission_upload", args=[submission.pk]), {"file": upload, "revision": submission.revision})
    assert response.status_code in (200, 302)
    submission.refresh_from_db()
    assert submission.answers["team"] == "Екип по заповед №5"
    assert submission.answers["services"][0]["_ref"] == f"service:{setup['service'].pk}"
    assert services_sheet is not None
    # A workbook with a renamed sheet is refused, naming the sheet; the answers stay as they were.
    book[services_sheet.title].title = "Друго"
    out = BytesIO()
    book.save(out)
    with translation.override("en"):
        response = muni.post(
            reverse("monitoring:submission_upload", args=[submission.pk]),
            {"file": SimpleUploadedFile("doklad.xlsx", out.getvalue()), "revision": submission.revision}, follow=True,
        )
    assert services_sheet.title in response.content.decode()
    submission.refresh_from_db()
    assert submission.answers["team"] == "Екип по заповед №5"
