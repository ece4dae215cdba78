"""The meeting pages as the Sofia region's monitoring unit uses them (the minutes of 09.08.2017):
plan the meeting, tick the attendance, write the agenda, record Decision №1 with its two
deadlines for the municipalities, and follow the deadlines up."""

import datetime

import pytest
from django.urls import reverse

from socplan.conftest import _assign, client_for
from socplan.monitoring.models import AgendaItem, Attendance, Decision, FollowUp, Meeting
from socplan.organizations.models import Membership, Organization, RoleAssignment
from socplan.organizations.tests.factories import (
    AppointmentFactory,
    BodyFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Role = RoleAssignment.Role


def _org(kind, **territory):
    return Organization.objects.get(kind=kind, **territory)


@pytest.fixture
def sfo():
    """The Sofia region's monitoring unit, its members, and the people who use the pages."""
    administration = _org(Organization.Kind.REGIONAL_ADMINISTRATION, region__code="SFO")
    samokov = _org(Organization.Kind.MUNICIPALITY, municipality__code="SFO39")
    botevgrad = _org(Organization.Kind.MUNICIPALITY, municipality__code="SFO07")
    body = BodyFactory(organization=administration, name="Звено за мониторинг и оценка — Софийска област")
    order = AppointmentFactory(body=body, number="ОА-155", date=datetime.date(2017, 6, 20))
    MembershipFactory(
        body=body, appointment=order, person_name="Галя Георгиева", position="Заместник областен управител",
        role=Membership.Role.CHAIR,
    )
    MembershipFactory(body=body, appointment=order, person_name="Женя Иванова", position="младши експерт, отдел РРЕП")
    MembershipFactory(
        body=body, appointment=order, person_name="Представител на Самоков", organization=samokov,
        composition=Membership.Composition.EXTENDED,
    )
    # Appointed after the meeting: not on its list.
    MembershipFactory(body=body, person_name="Нов член", start_date=datetime.date(2018, 1, 1))
    return {
        "body": body,
        "samokov": samokov,
        "botevgrad": botevgrad,
        "regional": _assign(UserFactory(username="sfo-regional"), Role.REGIONAL_EXPERT, administration),
        "samokov_expert": _assign(UserFactory(username="samokov"), Role.MUNICIPAL_EXPERT, samokov),
        "botevgrad_expert": _assign(UserFactory(username="botevgrad"), Role.MUNICIPAL_EXPERT, botevgrad),
    }


def _meeting_data(body, **extra):
    return {
        "body": body.pk,
        "title": "",
        "composition": "extended",
        "number": "",
        "date": "2017-08-09",
        "starts_at": "13:00",
        "place": "Областна администрация на Софийска област, гр. София, бул. „Витоша“ №6, ет. 5, Заседателна зала",
        "status": "held",
        "invitation_number": "08.00-25",
        "invitation_date": "2017-07-31",
        "approved_by": "Илиан Тодоров",
        "approved_by_position": "Областен управител на Софийска област",
        "chair": "",
        "chair_position": "",
        "prepared_by": "Женя Иванова",
        "prepared_by_position": "младши експерт, отдел РРЕП, ОА на СО",
        "opening": "Г-жа Галя Георгиева откри заседанието.",
        "closing": "С това дневният ред беше изчерпан.",
        **extra,
    }


def _plan_meeting(client, body) -> Meeting:
    response = client.post(reverse("monitoring:meeting_create"), _meeting_data(body))
    meeting = Meeting.objects.get(body=body)
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk})
    return meeting


def _decision_with_deadlines(client, meeting, sfo) -> Decision:
    client.post(
        reverse("monitoring:decision_create", kwargs={"pk": meeting.pk}),
        {"decision-number": "", "decision-agenda_item": meeting.agenda.get().pk, "decision-text": "Звеното определя срокове."},
    )
    decision = meeting.decisions.get()
    url = reverse("monitoring:follow_up_create", kwargs={"pk": decision.pk})
    prefix = f"fu{decision.pk}"
    for task, due in (("Проект на доклад за изпълнение на общинската стратегия", "2017-10-10"),
                      ("Решение на общинския съвет за приемане на доклада", "2017-10-30")):
        response = client.post(
            url,
            {f"{prefix}-task": task, f"{prefix}-due_on": due, f"{prefix}-responsible": [sfo["samokov"].pk, sfo["botevgrad"].pk]},
        )
        assert response.status_code == 302
    return decision


def test_a_regional_expert_records_a_meeting_of_the_monitoring_unit(sfo):
    client = client_for(sfo["regional"])
    body = sfo["body"]
    assert body.pk in [b.pk for b in client.get(reverse("monitoring:meeting_create")).context["form"].fields["body"].queryset]

    meeting = _plan_meeting(client, body)
    # The chair comes from the body; the attendance list from its members on the date.
    assert meeting.chair == "Галя Георгиева" and meeting.chair_position == "Заместник областен управител"
    assert sorted(meeting.attendance.values_list("person_name", flat=True)) == [
        "Галя Георгиева", "Женя Иванова", "Представител на Самоков",
    ]
    page = client.get(reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Галя Георгиева" in html and "09.08.2017" in html

    response = client.post(
        reverse("monitoring:meeting_agenda_add", kwargs={"pk": meeting.pk}),
        {
            "agenda-title": "Предстоящи задачи във връзка с изготвянето на Мониторингов доклад",
            "agenda-presenters": "г-жа Мила Пашова",
            "agenda-minutes": "Г-жа Пашова поясни, че периодът е от 01.01.2016 г. до 30.06.2017 г.",
        },
    )
    assert response.status_code == 302
    item = AgendaItem.objects.get(meeting=meeting)
    assert item.position == 1 and item.presenters == "г-жа Мила Пашова"

    # Two members came, and a guest.
    rows = {row.person_name: row for row in meeting.attendance.all()}
    response = client.post(
        reverse("monitoring:meeting_attendance", kwargs={"pk": meeting.pk}),
        {
            f"att-present_{rows['Галя Георгиева'].pk}": "on",
            f"att-present_{rows['Женя Иванова'].pk}": "on",
            "att-guest_name_1": "Мила Пашова",
            "att-guest_position_1": "Областен координатор, АСП",
        },
    )
    assert response.status_code == 302
    assert set(meeting.attendance.filter(present=True).values_list("person_name", flat=True)) == {
        "Галя Георгиева", "Женя Иванова", "Мила Пашова",
    }
    assert Attendance.objects.get(meeting=meeting, person_name="Мила Пашова").is_guest

    decision = _decision_with_deadlines(client, meeting, sfo)
    assert decision.number == 1 and decision.agenda_item == item
    assert set(FollowUp.objects.filter(decision=decision).values_list("responsible__name", "due_on")) == {
        (sfo["samokov"].name, datetime.date(2017, 10, 10)),
        (sfo["botevgrad"].name, datetime.date(2017, 10, 10)),
        (sfo["samokov"].name, datetime.date(2017, 10, 30)),
        (sfo["botevgrad"].name, datetime.date(2017, 10, 30)),
    }
    html = client.get(reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk})).content.decode()
    assert "Decision №1" in html or "Решение №1" in html
    assert html.count('id="follow-up-') == 4


def test_the_sections_come_back_in_place_with_htmx(sfo):
    client = client_for(sfo["regional"])
    meeting = _plan_meeting(client, sfo["body"])
    response = client.post(
        reverse("monitoring:meeting_agenda_add", kwargs={"pk": meeting.pk}),
        {"agenda-title": "Други", "agenda-presenters": "", "agenda-minutes": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#agenda"
    assert response.content.decode().lstrip().startswith('<section id="agenda"') and "Други" in response.content.decode()
    # A decision without text is refused, in place.
    response = client.post(
        reverse("monitoring:decision_create", kwargs={"pk": meeting.pk}), {"decision-text": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'id="decisions"' in response.content.decode()
    assert not meeting.decisions.exists()


def test_the_deadline_of_a_follow_up_can_come_from_a_round_deadline_and_must_name_someone(sfo):
    from socplan.monitoring.models import Deadline, Round

    client = client_for(sfo["regional"])
    meeting = _plan_meeting(client, sfo["body"])
    decision = Decision.objects.create(meeting=meeting, number=1, text="Срокове.")
    round_ = Round.objects.create(
        name="Мониторинг 2016–2017", region=sfo["body"].organization.region, organizer=sfo["body"].organization,
        period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2017, 6, 30),
    )
    deadline = Deadline.objects.create(round=round_, title="Проекти на доклади", due_on=datetime.date(2017, 10, 10))
    url = reverse("monitoring:follow_up_create", kwargs={"pk": decision.pk})
    prefix = f"fu{decision.pk}"
    response = client.post(url, {f"{prefix}-task": "Доклад", f"{prefix}-deadline": deadline.pk})
    assert response.status_code == 200 and not decision.follow_ups.exists()
    client.post(url, {f"{prefix}-task": "Доклад", f"{prefix}-deadline": deadline.pk, f"{prefix}-all_municipalities": "on"})
    follow_ups = decision.follow_ups.all()
    assert follow_ups.count() == 22  # the municipalities of Sofia region
    assert {f.due_on for f in follow_ups} == {datetime.date(2017, 10, 10)} and {f.deadline_id for f in follow_ups} == {deadline.pk}


def test_the_responsible_municipality_sees_and_closes_its_follow_up_and_no_other(sfo):
    regional = client_for(sfo["regional"])
    meeting = _plan_meeting(regional, sfo["body"])
    regional.post(
        reverse("monitoring:meeting_agenda_add", kwargs={"pk": meeting.pk}),
        {"agenda-title": "Мониторингов доклад", "agenda-presenters": "", "agenda-minutes": ""},
    )
    decision = _decision_with_deadlines(regional, meeting, sfo)
    samokov_first = decision.follow_ups.get(responsible=sfo["samokov"], due_on=datetime.date(2017, 10, 10))
    botevgrad_first = decision.follow_ups.get(responsible=sfo["botevgrad"], due_on=datetime.date(2017, 10, 10))

    samokov = client_for(sfo["samokov_expert"])
    page = samokov.get(reverse("monitoring:follow_up_list"))
    assert page.status_code == 200
    mine = page.context["mine"]
    assert {f.responsible_id for f in mine} == {sfo["samokov"].pk} and len(mine) == 2
    assert all(f.is_overdue for f in mine)  # the deadlines of 2017 have passed
    html = page.content.decode()
    assert "Проект на доклад за изпълнение на общинската стратегия" in html and sfo["botevgrad"].name not in html
    # The municipality reads the decision on the follow-up's page, but not the meeting itself.
    detail = samokov.get(reverse("monitoring:follow_up_detail", kwargs={"pk": samokov_first.pk}))
    assert detail.status_code == 200 and "Звеното определя срокове." in detail.content.decode()
    assert samokov.get(reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk})).status_code == 404
    # Botevgrad's follow-up is not Samokov's to see or to close.
    assert samokov.get(reverse("monitoring:follow_up_detail", kwargs={"pk": botevgrad_first.pk})).status_code == 404
    assert samokov.post(reverse("monitoring:follow_up_close", kwargs={"pk": botevgrad_first.pk})).status_code == 404

    response = samokov.post(
        reverse("monitoring:follow_up_close", kwargs={"pk": samokov_first.pk}),
        {"outcome": "done", "note": "Изпратен с писмо №94-00-12/09.10.2017", "next": reverse("monitoring:follow_up_list")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:follow_up_list")
    samokov_first.refresh_from_db()
    assert samokov_first.status == FollowUp.Status.DONE and samokov_first.closed_by == sfo["samokov_expert"]
    assert samokov_first.note == "Изпратен с писмо №94-00-12/09.10.2017"
    assert len(samokov.get(reverse("monitoring:follow_up_list")).context["mine"]) == 1
    # Closed once: a second closing is refused with a message, not an error page.
    again = samokov.post(reverse("monitoring:follow_up_close", kwargs={"pk": samokov_first.pk}), {"outcome": "cancelled"})
    assert again.status_code == 302
    samokov_first.refresh_from_db()
    assert samokov_first.status == FollowUp.Status.DONE

    # The regional expert follows the others up on the same list, and closes one with htmx.
    page = regional.get(reverse("monitoring:follow_up_list"))
    assert botevgrad_first.pk in [f.pk for f in page.context["page"].object_list]
    response = regional.post(
        reverse("monitoring:follow_up_close", kwargs={"pk": botevgrad_first.pk}),
        {"outcome": "cancelled", "note": "Отменен", "view": "list"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and f'id="follow-up-row-{botevgrad_first.pk}"' in response.content.decode()
    botevgrad_first.refresh_from_db()
    assert botevgrad_first.status == FollowUp.Status.CANCELLED


def test_a_municipal_expert_or_another_region_cannot_open_or_change_the_meeting(sfo, outsider):
    regional = client_for(sfo["regional"])
    meeting = _plan_meeting(regional, sfo["body"])
    for user in (sfo["samokov_expert"], outsider):
        client = client_for(user)
        assert client.get(reverse("monitoring:meeting_detail", kwargs={"pk": meeting.pk})).status_code == 404
        assert client.post(
            reverse("monitoring:meeting_agenda_add", kwargs={"pk": meeting.pk}), {"agenda-title": "x"}
        ).status_code == 404
        assert meeting.pk not in [m.pk for m in client.get(reverse("monitoring:meeting_list")).context["page"].object_list]
    # Only the host administration plans the unit's meetings.
    assert client_for(sfo["samokov_expert"]).get(reverse("monitoring:meeting_create")).status_code == 403


def test_the_edit_form_refuses_an_invitation_after_the_meeting_and_a_stale_revision(sfo):
    client = client_for(sfo["regional"])
    meeting = _plan_meeting(client, sfo["body"])
    url = reverse("monitoring:meeting_update", kwargs={"pk": meeting.pk})
    data = _meeting_data(sfo["body"], invitation_date="2017-08-10", revision=meeting.revision)
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].errors["invitation_date"]
    data = _meeting_data(sfo["body"], number="3", revision=0)
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    response = client.post(url, _meeting_data(sfo["body"], number="3", revision=meeting.revision))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.number == "3"


def test_the_minutes_download_as_docx(sfo):
    try:
        from socplan.monitoring.reports.minutes import minutes_docx  # noqa: F401
    except ImportError:
        pytest.skip("the minutes writer (reports/minutes.py) is not there yet")
    client = client_for(sfo["regional"])
    meeting = _plan_meeting(client, sfo["body"])
    response = client.get(reverse("monitoring:meeting_minutes", kwargs={"pk": meeting.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "attachment" in response["Content-Disposition"] and response.content[:2] == b"PK"
    assert client_for(sfo["botevgrad_expert"]).get(reverse("monitoring:meeting_minutes", kwargs={"pk": meeting.pk})).status_code == 404
