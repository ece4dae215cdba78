"""Role-matrix cases of meetings, decisions, follow-ups and evaluations (see
socplan/tests/test_role_matrix.py).

Objects (`objects(users)`, to merge into the matrix's objects): the monitoring unit of Велико
Търново (hosted by the regional administration) with a member; its meeting with two agenda items,
Decision №1 and two follow-ups — one for the municipality of Велико Търново (VTR04), one for
another municipality of the region; a body of the Pleven administration; the adopted regional
strategy of Велико Търново with a draft interim evaluation (one finding) and a completed final one.

Who: the regional administration's expert (and the administrator) run the unit's meetings; the
national expert reads them but changes nothing (403); the municipality, the directorate, the
provider and the outsider do not see the meeting (404). A follow-up is seen and closed by the
responsible municipality too, but reopened only by those who run the meeting. Evaluations are
read by those who see the plan's territory and changed by those who may edit the plan.
"""

from socplan.tests.matrix import case, expect

MEETING = {"kwargs": lambda o: {"pk": o["mt_meeting"].pk}}
ITEM = {"kwargs": lambda o: {"pk": o["mt_meeting"].pk, "item_pk": o["mt_item"].pk}}
DECISION = {"kwargs": lambda o: {"pk": o["mt_decision"].pk}}
FOLLOW_UP = {"kwargs": lambda o: {"pk": o["mt_follow_up"].pk}}
FOLLOW_UP_OTHER = {"kwargs": lambda o: {"pk": o["mt_follow_up_other"].pk}}
PLAN = {"kwargs": lambda o: {"plan_pk": o["mt_plan"].pk}}
EVALUATION = {"kwargs": lambda o: {"pk": o["mt_evaluation"].pk}}
COMPLETED = {"kwargs": lambda o: {"pk": o["mt_evaluation_done"].pk}}

# The meeting of the Велико Търново unit: read by its region and the national expert, run by the region.
READ = dict(admin=200, national=200, regional=200)
EDIT = dict(admin=200, national=403, regional=200)
POSTED = dict(admin=302, national=403, regional=302)

CASES = [
    case("meeting-list", "monitoring:meeting_list", expect(200, anonymous=302)),
    # New meetings of the bodies the user's own organisation hosts (Pleven's body for the outsider).
    case("meeting-create", "monitoring:meeting_create", expect(403, anonymous=302, admin=200, regional=200, outsider=200)),
    case("meeting-detail", "monitoring:meeting_detail", expect(404, anonymous=302, **READ), **MEETING),
    case("meeting-update", "monitoring:meeting_update", expect(404, anonymous=302, **EDIT), **MEETING),
    case("meeting-minutes", "monitoring:meeting_minutes", expect(404, anonymous=302, **READ), **MEETING),
    case(
        "meeting-agenda-add",
        "monitoring:meeting_agenda_add",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data={"agenda-title": "Други", "agenda-presenters": "", "agenda-minutes": ""},
        **MEETING,
    ),
    case("meeting-agenda-edit", "monitoring:meeting_agenda_edit", expect(404, anonymous=302, **EDIT), **ITEM),
    # The administrator removes the item first; the regional expert then finds it gone.
    case(
        "meeting-agenda-delete",
        "monitoring:meeting_agenda_delete",
        expect(404, anonymous=302, admin=302, national=403),
        method="post",
        kwargs=lambda o: {"pk": o["mt_meeting"].pk, "item_pk": o["mt_item_spare"].pk},
    ),
    case(
        "meeting-attendance",
        "monitoring:meeting_attendance",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data=lambda role, o: {f"att-present_{o['mt_attendance'].pk}": "on"},
        **MEETING,
    ),
    case(
        "meeting-attendance-refresh",
        "monitoring:meeting_attendance_refresh",
        expect(404, anonymous=302, **POSTED),
        method="post",
        **MEETING,
    ),
    case(
        "decision-create",
        "monitoring:decision_create",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data={"decision-text": "Звеното приема доклада."},
        **MEETING,
    ),
    case("decision-update", "monitoring:decision_update", expect(404, anonymous=302, **EDIT), **DECISION),
    # The administrator (first in order) deletes the decision; after that it is gone for everyone.
    case("decision-delete", "monitoring:decision_delete", expect(404, anonymous=302, admin=302), method="post", **DECISION),
    case(
        "follow-up-create",
        "monitoring:follow_up_create",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data=lambda role, o: {
            f"fu{o['mt_decision'].pk}-task": "Доклад", f"fu{o['mt_decision'].pk}-due_on": "2030-10-10",
            f"fu{o['mt_decision'].pk}-responsible": [o["mt_follow_up"].responsible_id],
        },
        **DECISION,
    ),
    case("follow-up-list", "monitoring:follow_up_list", expect(200, anonymous=302)),
    # The responsible municipality sees its own follow-up, not the other municipality's.
    case("follow-up-detail", "monitoring:follow_up_detail", expect(404, anonymous=302, municipal=200, **READ), **FOLLOW_UP),
    case("follow-up-detail-other", "monitoring:follow_up_detail", expect(404, anonymous=302, **READ), **FOLLOW_UP_OTHER),
    # The administrator closes it first; the others are then told it is closed (a message, 302).
    case(
        "follow-up-close",
        "monitoring:follow_up_close",
        expect(404, anonymous=302, municipal=302, **POSTED),
        method="post",
        data={"outcome": "done", "note": "Изпълнено"},
        **FOLLOW_UP,
    ),
    case(
        "follow-up-close-other",
        "monitoring:follow_up_close",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data={"outcome": "cancelled"},
        **FOLLOW_UP_OTHER,
    ),
    case(
        "follow-up-reopen",
        "monitoring:follow_up_reopen",
        expect(404, anonymous=302, municipal=403, **POSTED),
        method="post",
        **FOLLOW_UP,
    ),
    # Evaluations: the adopted strategy is public, so every signed-in user opens its list.
    case("evaluation-list", "monitoring:evaluation_list", expect(200, anonymous=302), **PLAN),
    case("evaluation-create", "monitoring:evaluation_create", expect(403, anonymous=302, admin=200, regional=200), **PLAN),
    case("evaluation-detail", "monitoring:evaluation_detail", expect(404, anonymous=302, **READ), **EVALUATION),
    case("evaluation-update", "monitoring:evaluation_update", expect(404, anonymous=302, **EDIT), **EVALUATION),
    case(
        "evaluation-finding-add",
        "monitoring:evaluation_finding_add",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data={"finding-heading": "2 Качество", "finding-rating": "partly", "finding-findings": "Частично."},
        **EVALUATION,
    ),
    case(
        "evaluation-finding-edit",
        "monitoring:evaluation_finding_edit",
        expect(404, anonymous=302, **EDIT),
        kwargs=lambda o: {"pk": o["mt_evaluation"].pk, "finding_pk": o["mt_finding"].pk},
    ),
    case("evaluation-complete", "monitoring:evaluation_complete", expect(404, anonymous=302, **POSTED), method="post", **EVALUATION),
    # The administrator starts the update; the regional expert is then told it was started (302).
    case(
        "evaluation-start-update",
        "monitoring:evaluation_start_update",
        expect(404, anonymous=302, **POSTED),
        method="post",
        **COMPLETED,
    ),
    case(
        "evaluation-link-update",
        "monitoring:evaluation_link_update",
        expect(404, anonymous=302, **POSTED),
        method="post",
        data={"version": ""},
        **COMPLETED,
    ),
]


def objects(users) -> dict:
    """The objects the cases above use (built by the role-matrix fixture)."""
    import datetime

    from socplan.monitoring import services
    from socplan.monitoring.models import Evaluation, Finding
    from socplan.organizations.models import Membership, Organization
    from socplan.organizations.tests.factories import BodyFactory, MembershipFactory
    from socplan.plans import services as plan_services
    from socplan.plans.models import Level, Node
    from socplan.plans.tests.factories import PlanFactory

    admin = users["admin"]
    vtr = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    pvn = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="PVN")
    municipality = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR04")
    other = Organization.objects.filter(kind=Organization.Kind.MUNICIPALITY, region__code="VTR").exclude(pk=municipality.pk).first()

    body = BodyFactory(organization=vtr, name="ЗМО Велико Търново (заседания)")
    MembershipFactory(body=body, person_name="Председател", role=Membership.Role.CHAIR)
    BodyFactory(organization=pvn, name="ЗМО Плевен (заседания)")
    meeting = services.meeting_save(user=admin, body=body, date=datetime.date(2024, 3, 5), title="Заседание на ЗМО")
    item = services.agenda_item_save(user=admin, meeting=meeting, title="Мониторингов доклад")
    spare = services.agenda_item_save(user=admin, meeting=meeting, title="Други")
    decision = services.decision_save(user=admin, meeting=meeting, text="Срок за докладите.", agenda_item=item)
    follow_up, = services.follow_ups_add(
        user=admin, decision=decision, task="Проект на доклад", due_on=datetime.date(2024, 10, 10), responsible=[municipality]
    )
    follow_up_other, = services.follow_ups_add(
        user=admin, decision=decision, task="Проект на доклад", due_on=datetime.date(2024, 10, 10), responsible=[other]
    )

    plan = PlanFactory(regional=True, title="Областна стратегия (оценки)")
    version = plan.versions.get()
    Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="Деинституционализация", number="1")
    plan_services.version_adopt(user=admin, version=version, body=vtr, decision_number="5", adopted_on=datetime.date(2016, 3, 1))
    evaluation = Evaluation.objects.create(
        plan=plan, version=version, kind=Evaluation.Kind.INTERIM, title="Междинна оценка",
        period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2017, 12, 31),
    )
    finding = Finding.objects.create(evaluation=evaluation, heading="1 Деинституционализация", findings="Напредък.")
    done = Evaluation.objects.create(
        plan=plan, version=version, kind=Evaluation.Kind.FINAL, title="Окончателна оценка", status=Evaluation.Status.COMPLETED,
        period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2020, 12, 31), completed_on=datetime.date(2021, 3, 1),
    )
    Finding.objects.create(evaluation=done, heading="1 Деинституционализация", findings="Постигната.", recommendations="Нови услуги.")
    return {
        "mt_meeting": meeting,
        "mt_item": item,
        "mt_item_spare": spare,
        "mt_attendance": meeting.attendance.first(),
        "mt_decision": decision,
        "mt_follow_up": follow_up,
        "mt_follow_up_other": follow_up_other,
        "mt_plan": plan,
        "mt_evaluation": evaluation,
        "mt_finding": finding,
        "mt_evaluation_done": done,
    }
