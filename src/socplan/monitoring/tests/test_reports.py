"""The documents of monitoring: the regional report (data, DOCX, PDF), the national summary, the minutes
of a meeting, and the background job that makes a report.

The fixture is a small Софийска област: the regional strategy with a priority, a goal and two
measures, five indicators (on track, at risk, off track, no data, and one tied to no element), a
round for 01.01.2016 – 30.06.2017 with the deadlines of document 002 (drafts by 10 October, council
decisions by 30 October 2017), and reports of three municipalities and the РДСП in different states.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from socplan.monitoring import reports
from socplan.monitoring.aggregation import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK
from socplan.monitoring.models import (
    AgendaItem,
    Assignment,
    Attendance,
    Deadline,
    Decision,
    FollowUp,
    FormTemplate,
    Indicator,
    Meeting,
    Report,
    Round,
    Submission,
    Target,
    Value,
)
from socplan.monitoring.reports import build as report_build_module
from socplan.organizations.models import Organization
from socplan.organizations.tests.factories import BodyFactory
from socplan.plans.models import Level, Plan, PlanVersion
from socplan.plans.tests.factories import NodeFactory, PlanFactory
from socplan.social_services.tests.factories import OccupancyFactory, ServiceFactory, settlement_of
from socplan.territory.models import Municipality, Region

pytestmark = pytest.mark.django_db

START, END = datetime.date(2016, 1, 1), datetime.date(2017, 6, 30)
TODAY = datetime.date(2017, 11, 15)
PLAN_TITLE = "Областна стратегия за развитие на социалните услуги в Софийска област"


def _t(msgid: str, **values) -> str:
    """A label as the Bulgarian document writes it (the catalogue's translation, when it has one)."""
    with translation.override("bg"):
        text = gettext(msgid)
    return text % values if values else text


def _org(kind, **territory) -> Organization:
    return Organization.objects.get(kind=kind, **territory)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _values(indicator, period, figures: dict[str, str]) -> None:
    region = Region.objects.get(code="SFO")
    for code, value in figures.items():
        municipality = Municipality.objects.get(code=code) if len(code) == 5 else None
        Value.objects.create(
            indicator=indicator,
            period_start=period[0],
            period_end=period[1],
            unit_code=code,
            region=region,
            municipality=municipality,
            value=Decimal(value),
        )


SCHEMA = {
    "sections": [
        {
            "key": "results",
            "title": "Изпълнение на стратегията",
            "items": [
                {"key": "users_total", "type": "integer", "label": "Общ брой потребители"},
                {"key": "achievements", "type": "longtext", "label": "Постигнати резултати"},
                {"key": "problems", "type": "longtext", "label": "Проблеми и предизвикателства"},
            ],
        }
    ]
}


@pytest.fixture
def sofia():
    """The round of Софийска област for 01.01.2016 – 30.06.2017, with its plan, indicators and reports."""
    region = Region.objects.get(code="SFO")
    admin = _org(Organization.Kind.REGIONAL_ADMINISTRATION, region=region)
    body = BodyFactory(
        organization=admin,
        name="Звено за мониторинг и оценка на изпълнението на Областна стратегия за развитие на социалните "
        "услуги в Софийска област",
    )
    plan = PlanFactory(
        regional=True, owner=admin, region=region, title=PLAN_TITLE, status=Plan.Status.IN_FORCE
    )
    version = plan.versions.get()
    version.status = PlanVersion.Status.ADOPTED
    version.save()
    plan.current_version = version
    plan.save()
    priority = NodeFactory(
        version=version, level=Level.PRIORITY, number="1", position=0, title="Деинституционализация"
    )
    goal = NodeFactory(
        version=version,
        parent=priority,
        level=Level.GENERAL_GOAL,
        number="1.1",
        position=0,
        title="Услуги в общността",
    )
    measure_a = NodeFactory(
        version=version,
        parent=goal,
        level=Level.MEASURE,
        number="1.1.1",
        position=0,
        title="Разкриване на ЦОП",
    )
    measure_b = NodeFactory(
        version=version, parent=goal, level=Level.MEASURE, number="1.1.2", position=1, title="Приемна грижа"
    )
    NodeFactory(
        version=version, level=Level.PRIORITY, number="2", position=1, title="Приоритет без индикатори"
    )

    def indicator(code, name, node, target, **extra):
        item = Indicator.objects.create(
            plan=plan, node_key=node.key if node else None, code=code, name=name, unit="брой", **extra
        )
        Target.objects.create(indicator=item, label="2017", due_on=END, value=Decimal(target))
        return item

    whole = (START, END)
    on_track = indicator("1.1.1.a", "Потребители на ЦОП", measure_a, "100")
    _values(on_track, whole, {"SFO06": "40", "SFO07": "50", "SFO09": "5"})  # 95 of 100
    at_risk = indicator("1.1.1.b", "Обучени специалисти", measure_a, "100")
    _values(at_risk, whole, {"SFO07": "70"})  # 70 %, one of three municipalities reported
    off_track = indicator("1.1.2.a", "Приемни семейства", measure_b, "40", baseline_value=Decimal(10))
    _values(off_track, (START, datetime.date(2016, 12, 31)), {"SFO": "16"})  # (16 − 10) ÷ (40 − 10) = 20 %
    no_data = indicator("1.1.2.b", "Деца, изведени от институции", measure_b, "12")
    loose = indicator("0.1", "Общ брой социални услуги", None, "50")
    _values(loose, whole, {"SFO": "55"})

    round_ = Round.objects.create(
        name="Мониторинг на Областната стратегия 2016–2017",
        region=region,
        organizer=admin,
        body=body,
        plan=plan,
        period_start=START,
        period_end=END,
        status=Round.Status.OPEN,
    )
    Deadline.objects.create(
        round=round_,
        kind=Deadline.Kind.SUBMISSION,
        title="Проекти на доклади",
        due_on=datetime.date(2017, 10, 10),
    )
    Deadline.objects.create(
        round=round_,
        kind=Deadline.Kind.COUNCIL_DECISION,
        title="Решения на общинските съвети",
        due_on=datetime.date(2017, 10, 30),
    )
    template = FormTemplate.objects.create(
        code="municipal-report", name="Доклад за изпълнение на общинската стратегия", schema=SCHEMA
    )

    def assign(organization, status, first=None, answers=None, **extra):
        assignment = Assignment.objects.create(
            round=round_, template=template, respondent=organization, needs_council_decision=True
        )
        Submission.objects.create(
            assignment=assignment,
            status=status,
            first_submitted_at=_at(first) if first else None,
            submitted_at=_at(first) if first else None,
            answers=answers or {},
            **extra,
        )
        return assignment

    municipality = Organization.Kind.MUNICIPALITY
    assign(
        _org(municipality, municipality__code="SFO06"),
        Submission.Status.ACCEPTED,
        datetime.date(2017, 10, 5),
        {
            "users_total": "95",
            "achievements": "Открит е нов ЦОП в Божурище.\n• 40 потребители",
            "problems": "",
        },
        council_decision="123",
        council_decision_date=datetime.date(2017, 10, 25),
    )
    assign(
        _org(municipality, municipality__code="SFO07"),
        Submission.Status.SUBMITTED,
        datetime.date(2017, 10, 15),
        {"achievements": "Ботевград разшири приемната грижа.", "problems": "Липса на специалисти."},
    )
    assign(
        _org(municipality, municipality__code="SFO09"),
        Submission.Status.DRAFT,
        answers={"achievements": "Чернова от Годеч."},
    )
    assign(
        _org(Organization.Kind.RDSP, region=region),
        Submission.Status.RETURNED,
        datetime.date(2017, 10, 9),
        {"achievements": "Върнат за корекции."},
    )

    botevgrad = ServiceFactory(
        name="ЦОП „Надежда“ Ботевград",
        settlement=settlement_of("SFO07"),
        provider=_org(municipality, municipality__code="SFO07"),
        capacity=30,
        opened_on=datetime.date(2014, 1, 1),
    )
    OccupancyFactory(service=botevgrad, starts_on=datetime.date(2017, 6, 1), users=24)
    OccupancyFactory(service=botevgrad, starts_on=datetime.date(2018, 1, 1), users=30)  # after the period
    bozhurishte = ServiceFactory(
        name="Дневен център Божурище",
        settlement=settlement_of("SFO06"),
        provider=_org(municipality, municipality__code="SFO06"),
        capacity=20,
        opened_on=datetime.date(2015, 3, 1),
    )
    OccupancyFactory(service=bozhurishte, starts_on=datetime.date(2017, 4, 1), period="quarter", users=15)
    ServiceFactory(  # opened after the period: not in the report
        name="ЦНСТ Годеч",
        settlement=settlement_of("SFO09"),
        provider=_org(municipality, municipality__code="SFO09"),
        capacity=14,
        opened_on=datetime.date(2018, 5, 1),
    )
    return {
        "round": round_,
        "plan": plan,
        "body": body,
        "admin": admin,
        "indicators": {
            "on_track": on_track,
            "at_risk": at_risk,
            "off_track": off_track,
            "no_data": no_data,
            "loose": loose,
        },
    }


def _data(round_, language="bg"):
    with translation.override(language):
        return reports.round_report_data(round_, today=TODAY)


def _docx_text(document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts).replace("\xa0", " ")


def _open_docx(content: bytes):
    from docx import Document

    assert content[:2] == b"PK"
    return Document(io.BytesIO(content))


# --- Data ------------------------------------------------------------------------------------------


def test_indicators_are_rated_by_the_rounds_thresholds_on_the_region_value(sofia):
    data = _data(sofia["round"])
    rows = {row.indicator.code: row for row in data.indicator_rows}
    assert rows["1.1.1.a"].progress.actual == Decimal(95)
    assert rows["1.1.1.a"].status == ON_TRACK
    assert rows["1.1.1.b"].status == AT_RISK
    assert rows["1.1.1.b"].note == _t(
        "%(reported)s of %(expected)s municipalities reported", reported=1, expected=22
    )
    assert rows["1.1.2.a"].status == OFF_TRACK and rows["1.1.2.a"].percent.startswith("20")
    # The only value is of 2016: it is used, and the table says so.
    assert "31.12.2016" in rows["1.1.2.a"].note
    assert rows["1.1.2.b"].status == NO_DATA and rows["1.1.2.b"].actual == "—"
    assert data.status_counts == {ON_TRACK: 2, AT_RISK: 1, OFF_TRACK: 1, NO_DATA: 1}


def test_stricter_thresholds_change_the_status(sofia):
    round_ = sofia["round"]
    round_.on_track_from, round_.at_risk_from = 96, 95
    round_.save()
    data = _data(round_)
    rows = {row.indicator.code: row for row in data.indicator_rows}
    assert rows["1.1.1.a"].status == AT_RISK  # 95 %
    assert rows["1.1.1.b"].status == OFF_TRACK  # 70 %
    assert "96 %" in data.rule and "95 %" in data.rule


def test_goals_follow_the_plan_tree_and_loose_indicators_come_last(sofia):
    data = _data(sofia["round"])
    titles = [goal.title for goal in data.goals]
    assert [t.split(" ", 1)[1] if t[0] != "О" else t.split(" ", 2)[2] for t in titles[:4]] == [
        "1. Деинституционализация",
        "1.1. Услуги в общността",
        "1.1.1. Разкриване на ЦОП",
        "1.1.2. Приемна грижа",
    ]
    assert not any("Приоритет без индикатори" in t for t in titles)  # no indicators below it
    assert [goal.heading for goal in data.goals[:4]] == [2, 3, 4, 4]
    assert data.goals[-1].rows[0].indicator.code == "0.1"


def test_reports_are_on_time_late_or_overdue_against_the_submission_deadline(sofia):
    data = _data(sofia["round"])
    rows = {row.respondent: row for group in data.municipalities for row in group.rows}
    assert rows["Община Божурище"].timeliness == "on_time"
    assert rows["Община Божурище"].council_decision.endswith("123/25.10.2017")
    assert rows["Община Ботевград"].timeliness == "late" and "5" in rows["Община Ботевград"].timeliness_label
    assert rows["Община Ботевград"].council_decision == _t("required, not attached")
    assert rows["Община Годеч"].timeliness == "overdue" and rows["Община Годеч"].submitted_at == "—"
    # Returned for changes after a first submission before the deadline: delivered on time.
    rdsp = next(row for name, row in rows.items() if "Регионална дирекция" in name)
    assert rdsp.timeliness == "on_time"
    assert data.timeliness_counts == {"on_time": 2, "late": 1, "overdue": 1}
    # Municipalities first (by name), the regional respondents last.
    assert [group.name for group in data.municipalities][-1] == _t("Regional and other respondents")


def test_occupancy_is_the_latest_figure_up_to_the_end_of_the_period(sofia):
    data = _data(sofia["round"])
    services = {row.name: row for row in data.services}
    assert set(services) == {"ЦОП „Надежда“ Ботевград", "Дневен център Божурище"}
    assert services["ЦОП „Надежда“ Ботевград"].users == 24  # not the 30 of 2018
    assert services["ЦОП „Надежда“ Ботевград"].period == "06.2017"
    assert services["Дневен център Божурище"].period == "Q2.2017"
    assert data.occupancy_total.capacity == 50 and data.occupancy_total.users == 39
    by_name = {row.municipality: row for row in data.occupancy}
    assert len(data.occupancy) == 22  # every municipality of the region, also those without services
    assert by_name["Ботевград"].rate.startswith("80")


def test_narrative_quotes_only_submitted_and_accepted_reports_per_question(sofia):
    data = _data(sofia["round"])
    assert [q.label for q in data.narrative] == ["Постигнати резултати", "Проблеми и предизвикателства"]
    achievements = data.narrative[0]
    assert [g.municipality for g in achievements.groups] == ["Божурище", "Ботевград"]
    first = achievements.groups[0].answers[0]
    assert first.respondent == "Община Божурище"
    assert first.blocks[0].text == "Открит е нов ЦОП в Божурище." and first.blocks[1].items == [
        "40 потребители"
    ]
    quoted = [a.blocks[0].text for g in achievements.groups for a in g.answers]
    assert "Чернова от Годеч." not in quoted and "Върнат за корекции." not in quoted
    assert [g.municipality for g in data.narrative[1].groups] == ["Ботевград"]


def test_the_report_reads_a_fixed_number_of_queries(sofia, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        _data(sofia["round"])


def test_a_national_round_has_no_regional_report(sofia):
    from socplan.core.exceptions import ApplicationError

    round_ = sofia["round"]
    round_.region = None
    round_.save()
    with pytest.raises(ApplicationError):
        _data(round_)


def test_the_period_matching_the_round_best_is_the_one_ending_with_it_else_the_latest_before():
    from socplan.monitoring.reports.data import best_period

    year_2016 = (START, datetime.date(2016, 12, 31))
    half_2017 = (datetime.date(2017, 1, 1), END)
    whole = (START, END)
    assert best_period([year_2016, half_2017, whole], START, END) == whole
    assert best_period([year_2016, half_2017], START, END) == half_2017
    assert (
        best_period([year_2016, (datetime.date(2017, 1, 1), datetime.date(2017, 12, 31))], START, END)
        == year_2016
    )
    assert best_period([(datetime.date(2018, 1, 1), datetime.date(2018, 12, 31))], START, END) is None


def test_timeliness_counts_the_first_submission_against_the_deadline():
    from socplan.monitoring.reports.data import timeliness

    due = datetime.date(2017, 10, 10)
    assert timeliness(_at(due, 23), due, TODAY) == ("on_time", 0)
    assert timeliness(_at(datetime.date(2017, 10, 13)), due, TODAY) == ("late", 3)
    assert timeliness(None, due, TODAY) == ("overdue", 36)
    assert timeliness(None, due, datetime.date(2017, 10, 1)) == ("pending", 0)
    assert timeliness(None, None, TODAY) == ("", 0)


# --- DOCX and PDF ------------------------------------------------------------------------------------


def test_docx_has_the_title_the_parts_and_the_tables_of_the_report(sofia):
    data = _data(sofia["round"])
    with translation.override("bg"):
        document = _open_docx(reports.regional_report_docx(data))
    text = _docx_text(document)
    title = _t(
        "Monitoring report on the implementation of the Regional Strategy for the Development of Social "
        "Services in %(region)s %(years)s for the period %(period)s",
        region="Софийска област",
        years="2016–2020",
        period="01.01.2016 – 30.06.2017",
    )
    assert title in [p.text for p in document.paragraphs[:6]]
    assert document.core_properties.title == title[:255]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for label in (
        "introduction",
        "rule",
        "progress",
        "municipalities",
        "services",
        "charts",
        "narrative",
        "conclusions",
    ):
        assert data.labels[label] in headings, label
    assert "Мярка 1.1.1. Разкриване на ЦОП" in headings
    assert "Община Ботевград" in headings and "Постигнати резултати" in " ".join(headings)
    # The conclusions are left to the unit: an empty heading and an instruction in italics, last.
    assert headings[-1] == data.labels["conclusions"]
    last = [p for p in document.paragraphs if p.text.strip()][-1]
    assert last.text == data.labels["conclusions_hint"] and all(run.italic for run in last.runs)
    # The indicator table: name, unit, baseline, target, expected, actual, %, status.
    table = next(t for t in document.tables if t.rows[0].cells[0].text == data.labels["col_indicator"])
    assert len(table.columns) == 8
    cells = [c.text.replace("\xa0", " ") for c in table.rows[1].cells]
    assert cells[0] == "1.1.1.a Потребители на ЦОП" and cells[3] == "100 (2017)"
    assert cells[5] == "95\n" + _t(
        "%(reported)s of %(expected)s municipalities reported", reported=3, expected=22
    )
    assert cells[6] == "95,0 %" and cells[7] == _t("on track")
    assert "Проекти на доклади — 10.10.2017" in text
    assert "Ботевград | 1 | 30 | 24 | 80 %" in text
    assert "Открит е нов ЦОП в Божурище." in text
    # Page numbers: the footer has the PAGE and NUMPAGES fields.
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert len(document.inline_shapes) >= 3  # status, indicators, reports, occupancy charts


def test_docx_comes_out_in_english(sofia):
    data = _data(sofia["round"], "en")
    with translation.override("en"):
        document = _open_docx(reports.regional_report_docx(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Progress by goal and indicator" in headings and "Conclusions and recommendations" in headings
    assert any(p.text.startswith("Monitoring report on the implementation") for p in document.paragraphs[:6])


def test_pdf_is_printed_with_page_numbers(sofia):
    import pypdfium2

    data = _data(sofia["round"])
    with translation.override("bg"):
        content = reports.regional_report_pdf(data)
    assert content.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(content)
    try:
        pages = len(pdf)
        text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(pages))
    finally:
        pdf.close()
    assert pages >= 3
    flat = re.sub(r"\s+", " ", re.sub("\u2010\\s*\n", "", text))
    assert "Софийска област" in flat and "Разкриване на ЦОП" in flat and "Ботевград" in flat
    assert _t("page %(page)s of %(pages)s", page=2, pages=pages) in flat


def test_charts_are_png_images(sofia):
    data = _data(sofia["round"])
    with translation.override("bg"):
        charts = reports.report_charts(data)
    assert len(charts) == 4
    assert all(chart.png.startswith(b"\x89PNG") for chart in charts)


# --- Minutes -----------------------------------------------------------------------------------------


@pytest.fixture
def meeting(sofia):
    meeting = Meeting.objects.create(
        body=sofia["body"],
        date=datetime.date(2017, 8, 9),
        starts_at=datetime.time(13, 0),
        place="Областна администрация на Софийска област,\nгр. София, бул. „Витоша“ №6, ет. 5, Заседателна зала",
        status=Meeting.Status.HELD,
        invitation_number="08.00-25",
        invitation_date=datetime.date(2017, 7, 31),
        approved_by="Илиан Тодоров",
        approved_by_position="Областен управител\nна Софийска област",
        chair="Галя Георгиева",
        chair_position="Заместник областен управител на Софийска област",
        prepared_by="Женя Иванова",
        prepared_by_position="младши експерт, отдел РРЕП",
    )
    AgendaItem.objects.create(
        meeting=meeting,
        position=1,
        title="Представяне на проект „Повишаване на капацитета“",
        presenters="Мила Пашова",
    )
    second = AgendaItem.objects.create(
        meeting=meeting,
        position=2,
        title="Предстоящи задачи по Мониторинговия доклад за периода 2016–2017 г.",
        minutes="Г-жа Пашова запозна присъстващите с образците на документи:\n• Рамка на доклад;\n• Насоки.",
    )
    AgendaItem.objects.create(meeting=meeting, position=3, title="Други")
    Attendance.objects.create(
        meeting=meeting, person_name="Галя Георгиева", position="Заместник областен управител", present=True
    )
    Attendance.objects.create(meeting=meeting, person_name="Иван Отсъстващ", position="член", present=False)
    Attendance.objects.create(
        meeting=meeting,
        person_name="Мила Пашова",
        position="Областен координатор",
        is_guest=True,
        present=True,
    )
    decision = Decision.objects.create(
        meeting=meeting,
        agenda_item=second,
        number=1,
        text="Звеното определя срок за предоставяне на проектите на доклади до 10 октомври 2017 г., а решенията на "
        "общинските съвети до 30 октомври 2017 г.",
    )
    for code, due in (("SFO06", datetime.date(2017, 10, 10)), ("SFO07", datetime.date(2017, 10, 30))):
        FollowUp.objects.create(
            decision=decision,
            task="Проект на доклад",
            responsible=_org(Organization.Kind.MUNICIPALITY, municipality__code=code),
            due_on=due,
        )
    return meeting


def test_minutes_follow_the_form_of_document_002(meeting):
    with translation.override("bg"):
        document = _open_docx(reports.minutes_docx(meeting))
    paragraphs = [p.text for p in document.paragraphs]
    text = _docx_text(document)
    assert paragraphs[:3] == [
        _t("REPUBLIC OF BULGARIA").upper(),
        _t("Regional Administration"),
        "Софийска област",
    ]
    assert (
        _t("APPROVED BY:") in paragraphs
        and "ИЛИАН ТОДОРОВ" in paragraphs
        and "на Софийска област" in paragraphs
    )
    assert _t("MINUTES") in paragraphs
    assert "09 август 2017" in text and "сряда" in text and "13.00" in text
    assert "гр. София, бул. „Витоша“ №6, ет. 5, Заседателна зала" in paragraphs
    # The opening is generated: the invitation and the attendance (1 of 2 members, 1 guest).
    assert "08.00-25/31.07.2017" in text
    with translation.override("bg"):
        attended = ngettext(
            "%(present)s of the %(members)s members of the body and %(guests)s guest attended the meeting",
            "%(present)s of the %(members)s members of the body and %(guests)s guests attended the meeting",
            1,
        ) % {"present": 1, "members": 2, "guests": 1}
    assert attended in text
    assert _t("AGENDA:") in paragraphs
    agenda = [p for p in paragraphs if re.match(r"^\d\.\t", p)]
    assert [p.split("\t")[0] for p in agenda] == ["1.", "2.", "3."]
    assert (
        _t(
            "Item %(number)s of the agenda – %(title)s",
            number=2,
            title="Предстоящи задачи по Мониторинговия доклад за периода 2016–2017 г.",
        )
        in paragraphs
    )
    assert _t("DECISION No. %(number)s", number=1) in paragraphs
    decision_at = paragraphs.index(_t("DECISION No. %(number)s", number=1))
    assert decision_at > paragraphs.index(
        _t(
            "Item %(number)s of the agenda – %(title)s",
            number=2,
            title="Предстоящи задачи по Мониторинговия доклад за периода 2016–2017 г.",
        )
    )
    assert "Община Божурище | 10.10.2017" in text and "Община Ботевград | 30.10.2017" in text
    assert "ГАЛЯ ГЕОРГИЕВА" in paragraphs and _t("Minutes prepared by:") in paragraphs
    assert "Женя Иванова, младши експерт, отдел РРЕП" in paragraphs
    # Appendix No. 1: those present, members and guests; not the absent member.
    assert _t("Appendix No. 1") in paragraphs
    assert "1 | Галя Георгиева" in text and "2 | Мила Пашова" in text and "Иван Отсъстващ" not in text


def test_minutes_in_english_and_with_the_written_opening(meeting):
    meeting.opening = "Заседанието беше открито от председателя."
    meeting.number = "5"
    meeting.save()
    with translation.override("en"):
        document = _open_docx(reports.minutes_docx(meeting))
    paragraphs = [p.text for p in document.paragraphs]
    assert "MINUTES No. 5" in paragraphs and "AGENDA:" in paragraphs and "DECISION No. 1" in paragraphs
    assert "Заседанието беше открито от председателя." in paragraphs
    assert any("Wednesday" in p for p in paragraphs)


# --- National summary ----------------------------------------------------------------------------------


def test_national_summary_counts_per_region(sofia, django_assert_max_num_queries):
    with translation.override("bg"), django_assert_max_num_queries(14):
        data = reports.national_summary_data(2017, today=TODAY)
    rows = {row.code: row for row in data.rows}
    assert len(rows) == 28
    sfo = rows["SFO"]
    assert sfo.region == "Софийска област"
    assert sfo.rounds == ["Мониторинг на Областната стратегия 2016–2017"]
    assert (sfo.expected, sfo.submitted, sfo.accepted) == (4, 3, 1)
    assert dict(sfo.timeliness) == {"on_time": 2, "late": 1, "overdue": 1}
    assert dict(sfo.statuses) == {ON_TRACK: 2, AT_RISK: 1, OFF_TRACK: 1, NO_DATA: 1}
    assert sfo.services == 2 and sfo.capacity == 50
    assert rows["VTR"].expected == 0 and data.total.expected == 4
    assert reports.national_summary_data(2016, today=TODAY).total.expected == 0


def test_national_summary_docx_and_xlsx(sofia):
    from openpyxl import load_workbook

    with translation.override("bg"):
        data = reports.national_summary_data(2017, today=TODAY)
        document = _open_docx(reports.national_summary_docx(data))
        workbook = load_workbook(io.BytesIO(reports.national_summary_xlsx(data)))
    text = _docx_text(document)
    assert data.title in text
    assert "Софийска област | 1 | 4 | 3 | 1 | 75 %" in text.replace("\xa0", " ")
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    sfo = next(row for row in values if row[0] == "Софийска област")
    assert sfo[1:5] == [1, 4, 3, 1] and sfo[5] == 0.75


# --- The background job ---------------------------------------------------------------------------------


def test_report_build_makes_the_document_and_stores_it(sofia):
    report = Report.objects.create(round=sofia["round"], fmt="docx", language="bg")
    done = reports.report_build(report_id=report.pk)
    assert done.status == Report.Status.DONE and done.progress == 100 and done.error == ""
    assert done.started_at and done.finished_at
    assert done.file.name.endswith("_01.01.2016-30.06.2017.docx")
    assert "Софийска_област" in done.file.name
    with done.file.open("rb") as handle:
        _open_docx(handle.read())
    # Done once: asking the worker again does nothing.
    assert reports.report_build(report_id=report.pk) is None


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_report_build_of_the_national_summary(sofia, fmt):
    report = Report.objects.create(year=2017, fmt=fmt, language="bg")
    done = reports.report_build(report_id=report.pk)
    assert done.status == Report.Status.DONE and done.file.name.endswith(f"2017.{fmt}")
    if fmt == "pdf":
        with done.file.open("rb") as handle:
            assert handle.read(4) == b"%PDF"


def test_report_build_records_the_reason_of_a_failure(sofia, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("the round's data is broken")

    monkeypatch.setattr("socplan.monitoring.reports.docx.regional_report_docx", broken)
    report = Report.objects.create(round=sofia["round"], fmt="docx", language="bg")
    failed = reports.report_build(report_id=report.pk)
    assert failed.status == Report.Status.FAILED
    assert "the round's data is broken" in failed.error
    assert not failed.file and failed.finished_at


def test_report_build_refuses_a_format_it_cannot_make(sofia):
    report = Report.objects.create(round=sofia["round"], fmt="xlsx", language="en")
    failed = reports.report_build(report_id=report.pk)
    assert failed.status == Report.Status.FAILED and "DOCX or PDF" in failed.error


def test_report_build_takes_only_a_queued_report(sofia):
    report = Report.objects.create(round=sofia["round"], fmt="docx", status=Report.Status.RUNNING)
    assert report_build_module.report_build(report_id=report.pk) is None
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING and not report.file
