"""Demonstration of monitoring: the Sofia region round of 2017 as document 002 tells it.

- The Sofia region's regional strategy 2016–2020 (adopted by the regional development council on
  22.12.2015; illustrative goals and indicators, marked as demonstration data) with targets and
  the municipalities' values for 2016.
- The meeting of the extended monitoring unit on 09.08.2017 (agenda of document 002, attendance
  from the unit's members, invitation №08.00-25/31.07.2017), decision №1 with its two deadlines
  (draft reports by 10.10.2017, council decisions by 30.10.2017) followed up per municipality.
- The round for 01.01.2016 – 30.06.2017 with the templates of document 002 sent to the 22
  municipalities and the directorates; submissions in every state (accepted with the council
  decision, submitted late, returned with a comment, drafts, missing); the regional report made.
- A current round of Veliko Tarnovo region (the mayor's yearly analysis) whose deadline is ahead,
  so the municipal demo user's home page shows what is due.

People's names are fictional and marked "(демо)". Running it again changes nothing.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from socplan.organizations.demo import _user, demo_password
from socplan.organizations.models import Body, Organization, RoleAssignment
from socplan.plans import services as plan_services
from socplan.plans.models import Level, Plan

from . import forms_engine, services
from .library import templates_load
from .models import Deadline, FollowUp, FormTemplate, Indicator, Meeting, Round, Submission, Target, Value

Kind = Organization.Kind
DEMO = " (демо)"
ROUND_NAME = "Мониторинг на изпълнението на Областната стратегия за развитие на социалните услуги в Софийска област 2016–2020 г. за периода 01.01.2016 – 30.06.2017 г."
PERIOD = (datetime.date(2016, 1, 1), datetime.date(2017, 6, 30))

SOFIA_GOALS = [
    ("Деинституционализация и услуги в общността за децата и семействата", [
        ("Превенция на изоставянето и подкрепа на семействата", [
            ("Деца и семейства, подкрепени от центрове за обществена подкрепа", "outcome", "брой", "sum", 420, 650, 900),
            ("Деца, настанени в приемни семейства", "output", "брой", "latest", 95, 120, 150),
        ]),
        ("Закриване на специализираните институции за деца", [
            ("Деца в специализирани институции", "impact", "брой", "latest", 60, 20, 0),
        ]),
    ]),
    ("Независим живот на хората с увреждания и възрастните хора", [
        ("Услуги в домашна среда и асистентска подкрепа", [
            ("Потребители на асистентска подкрепа", "output", "брой", "sum", 310, 420, 520),
            ("Дял на общините с домашен социален патронаж", "outcome", "%", "average", 55, 70, 85),
        ]),
    ]),
    ("Капацитет за планиране, мониторинг и качество на услугите", [
        ("Обучен персонал и супервизия", [
            ("Служители в социалните услуги, преминали обучение", "process", "брой", "sum", 40, 120, 200),
            ("Обхват на услугите спрямо населението (на 10 000 жители)", "outcome", "места", "weighted", 18, 22, 26),
        ]),
    ]),
]

RETURN_COMMENT = (
    "Моля, допълнете раздела за финансирането (изразходвани средства по източници) и приложете "
    "заповедта на кмета за екипа за координация и мониторинг."
)


def seed(*, stdout) -> None:
    templates_load()
    admin = User.objects.get(username="admin")
    plan = _sofia_strategy(admin)
    meeting, decision = _meeting(admin)
    round = _round(admin, plan, decision)
    _vtr_current_round(admin)
    built = _report(admin, round)
    counts = {state: Submission.objects.filter(assignment__round=round, status=state).count() for state in Submission.Status.values}
    stdout.write(
        "Monitoring: the Sofia region round 2016–2017 with %s forms (%s); meeting %s with decision №1 and %s follow-ups; report %s."
        % (
            Submission.objects.filter(assignment__round=round).count(),
            ", ".join(f"{k}: {v}" for k, v in counts.items() if v),
            f"{meeting.date:%d.%m.%Y}", FollowUp.objects.filter(decision=decision).count(), built,
        )
    )


def _org(kind, *, region=None, municipality=None) -> Organization | None:
    qs = Organization.objects.filter(kind=kind)
    if municipality:
        qs = qs.filter(municipality__code=municipality)
    elif region:
        qs = qs.filter(region__code=region, municipality__isnull=True)
    return qs.first()


def _sofia_strategy(admin) -> Plan:
    title = "Областна стратегия за развитие на социалните услуги в Софийска област 2016–2020 г." + DEMO
    plan = Plan.objects.filter(title=title).first()
    if plan is not None:
        return plan
    owner = _org(Kind.REGIONAL_ADMINISTRATION, region="SFO")
    plan = plan_services.plan_create(
        user=admin, kind=Plan.Kind.REGIONAL_STRATEGY, title=title, owner=owner, region=owner.region,
        period_start=2016, period_end=2020,
        vision="Достъпни и качествени социални услуги в общността за всеки нуждаещ се в Софийска област.",
    )
    version = plan.versions.get()
    rng = random.Random(2017)
    municipalities = list(owner.region.municipalities.order_by("code"))
    indicator_no = 0
    for g_index, (goal_title, specifics) in enumerate(SOFIA_GOALS, 1):
        goal = plan_services.node_add(user=admin, version=version, title=goal_title, level=Level.GENERAL_GOAL)
        for s_index, (spec_title, indicators) in enumerate(specifics, 1):
            spec = plan_services.node_add(user=admin, version=version, title=spec_title, parent=goal)
            for i_index, (name, kind, unit, rule, baseline, target_2017, target_2020) in enumerate(indicators, 1):
                indicator_no += 1
                indicator = Indicator.objects.create(
                    plan=plan, node_key=spec.key, code=f"{g_index}.{s_index}.{i_index}", name=name, kind=kind, unit=unit,
                    value_type=Indicator.ValueType.PERCENT if unit == "%" else Indicator.ValueType.NUMBER,
                    aggregation=rule, baseline_value=Decimal(baseline), baseline_date=datetime.date(2015, 12, 31),
                    source="Доклади на общините и ДСП; регистър на социалните услуги", verification="ежегодно, към 31 декември",
                    collected_by=owner, higher_is_better=name != "Деца в специализирани институции", position=indicator_no,
                )
                Target.objects.create(indicator=indicator, label="2017", due_on=datetime.date(2017, 12, 31), value=Decimal(target_2017))
                Target.objects.create(indicator=indicator, label="2020", due_on=datetime.date(2020, 12, 31), value=Decimal(target_2020))
                _values_2016(indicator, municipalities, baseline, target_2017, rng)
    plan_services.version_adopt(
        user=admin, version=version, body=_org(Kind.REGIONAL_DEVELOPMENT_COUNCIL, region="SFO"),
        decision_number="1", protocol_number="4", adopted_on=datetime.date(2015, 12, 22),
        note="Демонстрационни данни: целите и индикаторите са илюстративни.",
    )
    plan.refresh_from_db()
    return plan


def _values_2016(indicator: Indicator, municipalities, baseline: int, target: int, rng: random.Random) -> None:
    """The municipalities' values for 2016, about 40 % of the way from the baseline to the 2017 target."""
    share = len(municipalities)
    for municipality in municipalities:
        if indicator.aggregation in (Indicator.Aggregation.SUM, Indicator.Aggregation.LATEST):
            level = (baseline + (target - baseline) * rng.uniform(0.2, 0.7)) / share
        else:
            level = baseline + (target - baseline) * rng.uniform(0.1, 0.8)
        Value.objects.create(
            indicator=indicator, period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2016, 12, 31),
            unit_code=municipality.code, municipality=municipality, region_id=municipality.region_id,
            value=Decimal(str(round(max(level, 0), 1))), comment="Демонстрационни данни",
        )


def _meeting(admin) -> tuple[Meeting, object]:
    body = Body.objects.get(kind=Body.Kind.MONITORING_UNIT, organization__region__code="SFO")
    meeting = Meeting.objects.filter(body=body, date=datetime.date(2017, 8, 9)).first()
    if meeting is not None:
        return meeting, meeting.decisions.get(number=1)
    meeting = services.meeting_save(
        user=admin, body=body, date=datetime.date(2017, 8, 9), starts_at=datetime.time(13, 0), composition="extended",
        title="Заседание на разширения състав на Звеното за мониторинг и оценка на изпълнението на Областна стратегия за развитие на социалните услуги в Софийска област 2016–2020 г.",
        number="1/2017", place="Областна администрация на Софийска област, гр. София, бул. „Витоша“ №6, ет. 5, Заседателна зала",
        status=Meeting.Status.HELD, invitation_number="08.00-25", invitation_date=datetime.date(2017, 7, 31),
        approved_by="Илиян Тодоров (демо)", approved_by_position="Областен управител на Софийска област",
        chair_position="Заместник областен управител на Софийска област и Председател на Звеното за мониторинг и оценка",
        prepared_by="Женя Илиева (демо)", prepared_by_position="старши експерт, Областна администрация",
    )
    services.attendance_set(
        user=admin, meeting=meeting, present_ids=list(meeting.attendance.values_list("pk", flat=True)),
        guests=[("Мила Пашова (демо)", "Областен координатор по проекта на АСП"), ("Адриана Сълева (демо)", "Областен координатор по проекта на АСП")],
    )
    first = services.agenda_item_save(
        user=admin, meeting=meeting, title="Представяне на Проект „Повишаване на капацитета на служителите в сферата на закрилата на детето, социалните услуги и социалното подпомагане“",
        presenters="Мила Пашова (демо), Адриана Сълева (демо)",
        minutes="Проектът е нов проект на Агенция „Социално подпомагане“, който надгражда предходния проект „Развитие на системата за планиране и предоставяне на социални услуги на регионално равнище“. Изпълнява се по Приоритетна ос №2 на ОПРЧР, на стойност 28 млн. лв. и срок до 31.12.2019 г. Представени бяха дейностите Д.1 – Д.14, включително 10 267 часа групова супервизия, 30 000 часа индивидуална супервизия и 6000 часа консултации (Д.6) и 28 областни мобилни екипа (Д.7).",
    )
    second = services.agenda_item_save(
        user=admin, meeting=meeting, title="Предстоящи задачи във връзка с изготвянето на Мониторингов доклад за изпълнение на Областната стратегия за развитие на социалните услуги в Софийска област 2016–2020 г. за периода 2016–2017 г.",
        presenters="Мила Пашова (демо)",
        minutes="Областната стратегия беше приета от Областния съвет за развитие на 22.12.2015 г. и актуализирана през септември 2016 г. Екипите за координация и мониторинг на общините изготвят доклади за изпълнение на общинските стратегии за периода 01.01.2016 – 30.06.2017 г.; дирекциите „Социално подпомагане“ предоставят справки за децата и лицата с увреждания по общини. Представени бяха образците: рамка на доклада, насоки, информация от ДСП, карта за общинската администрация и карти за описание на социалните услуги за лица и за деца.",
    )
    services.agenda_item_save(user=admin, meeting=meeting, title="Други.", minutes="Не бяха направени коментари.")
    decision = services.decision_save(
        user=admin, meeting=meeting, agenda_item=second,
        text="Звеното за мониторинг и оценка на изпълнението на Областна стратегия за развитие на социалните услуги в Софийска област определя срок за предоставяне на проектите на доклади за изпълнение на Общинските стратегии за развитие на социалните услуги 2016–2017 г. в Областна администрация на Софийска област до 10 октомври 2017 г., а решенията за тяхното приемане от Общинските съвети до 30 октомври 2017 г.",
    )
    del first
    return meeting, decision


def _round(admin, plan: Plan, decision) -> Round:
    round = Round.objects.filter(name=ROUND_NAME).first()
    if round is not None:
        return round
    organizer = _org(Kind.REGIONAL_ADMINISTRATION, region="SFO")
    body = Body.objects.get(kind=Body.Kind.MONITORING_UNIT, organization=organizer)
    round = services.round_create(
        user=admin, name=ROUND_NAME, organizer=organizer, body=body, plan=plan, decision=decision,
        period_start=PERIOD[0], period_end=PERIOD[1],
        instructions="Докладите се изготвят от екипите за координация и мониторинг на общинско ниво по рамката на доклада и насоките; "
        "дирекциите „Социално подпомагане“ предоставят справки за децата и лицата с увреждания по общини.",
        deadlines=[
            (Deadline.Kind.SUBMISSION, "Проекти на доклади", datetime.date(2017, 10, 10)),
            (Deadline.Kind.COUNCIL_DECISION, "Решения на общинските съвети за приемане на докладите", datetime.date(2017, 10, 30)),
        ],
    )
    municipalities = list(Organization.objects.filter(kind=Kind.MUNICIPALITY, region=organizer.region).order_by("name"))
    report = FormTemplate.objects.get(code="municipal_strategy_report", is_active=True)
    card = FormTemplate.objects.get(code="municipal_admin_card", is_active=True)
    dsp_info = FormTemplate.objects.get(code="dsp_information", is_active=True)
    services.assignments_add(user=admin, round=round, template=report, respondents=municipalities, needs_council_decision=True)
    services.assignments_add(user=admin, round=round, template=card, respondents=municipalities[:6])
    directorates = list(Organization.objects.filter(kind=Kind.DSP, region=organizer.region).order_by("name"))
    if directorates:
        services.assignments_add(user=admin, round=round, template=dsp_info, respondents=directorates)
    deadlines = {d.kind: d for d in round.deadlines.all()}
    for follow_up_kind, task, due in (
        (Deadline.Kind.SUBMISSION, "Проект на доклад за изпълнение на Общинската стратегия 2016–2017 г.", datetime.date(2017, 10, 10)),
        (Deadline.Kind.COUNCIL_DECISION, "Решение на Общинския съвет за приемане на доклада", datetime.date(2017, 10, 30)),
    ):
        services.follow_ups_add(user=admin, decision=decision, task=task, due_on=due, responsible=municipalities, deadline=deadlines[follow_up_kind])
    # Open it as of the meeting's days, then play the autumn of 2017.
    Round.objects.filter(pk=round.pk).update(status=Round.Status.OPEN, opened_at=_at(2017, 8, 14))
    round.refresh_from_db()
    _play(admin, round, municipalities)
    return round


def _at(year, month, day, hour=10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour, 0))


def _respondent_user(organization: Organization, username: str, first: str, last: str) -> User:
    role = RoleAssignment.Role.DIRECTORATE_EXPERT if organization.kind == Kind.DSP else RoleAssignment.Role.MUNICIPAL_EXPERT
    return _user(username, first, last, role, organization, demo_password())


def _play(admin, round: Round, municipalities: list[Organization]) -> None:
    """Submissions in every state, with the dates they would have had."""
    rng = random.Random(1010)
    by_code = {m.municipality.code: m for m in municipalities}
    botevgrad = _respondent_user(by_code["SFO07"], "municipal.botevgrad", "Светла", "Божилова")
    samokov = _respondent_user(by_code["SFO39"], "municipal.samokov", "Николай", "Чолаков")
    script = [
        # (municipality, user or None, final status, submitted on, council decision)
        ("SFO07", botevgrad, Submission.Status.ACCEPTED, (2017, 10, 6), ("№612", datetime.date(2017, 10, 26))),
        ("SFO39", samokov, Submission.Status.SUBMITTED, (2017, 10, 17), None),
        ("SFO43", None, Submission.Status.RETURNED, (2017, 10, 9), None),
        ("SFO17", None, Submission.Status.ACCEPTED, (2017, 10, 10), ("№455", datetime.date(2017, 10, 30))),
        ("SFO26", None, Submission.Status.ACCEPTED, (2017, 10, 4), None),
        ("SFO18", None, Submission.Status.SUBMITTED, (2017, 10, 10), None),
        ("SFO20", None, Submission.Status.DRAFT, None, None),
        ("SFO25", None, Submission.Status.DRAFT, None, None),
    ]
    for code, user, status, submitted_on, council in script:
        organization = by_code.get(code)
        if organization is None:
            continue
        user = user or _respondent_user(organization, f"municipal.{code.lower()}", "Експерт", f"{organization.municipality.name_bg}{DEMO}")
        submission = Submission.objects.get(assignment__round=round, assignment__respondent=organization, assignment__template__code="municipal_strategy_report")
        answers = demo_answers(submission, rng)
        services.submission_save(user=user, submission=submission, raw=answers)
        if status == Submission.Status.DRAFT:
            continue
        checked = services.submission_submit(user=user, submission=submission)
        if checked.errors:  # pragma: no cover - the demo answers are made to pass
            raise RuntimeError(f"Demo answers of {organization} do not pass: {[e.message for e in checked.errors]}")
        when = _at(*submitted_on)
        Submission.objects.filter(pk=submission.pk).update(submitted_at=when, first_submitted_at=when)
        submission.events.update(at=when)
        submission.refresh_from_db()
        if status == Submission.Status.RETURNED:
            services.submission_return(user=admin, submission=submission, comment=RETURN_COMMENT)
            submission.events.filter(action="returned").update(at=_at(2017, 10, 13))
        elif status == Submission.Status.ACCEPTED:
            services.submission_accept(user=admin, submission=submission, comment="Докладът е приет.")
            submission.events.filter(action="accepted").update(at=when + datetime.timedelta(days=5))
            if council:
                _attach_decision(user, submission, *council)
    # The directorates' information and the administration cards: one each submitted.
    for submission in Submission.objects.filter(assignment__round=round).exclude(assignment__template__code="municipal_strategy_report")[:3]:
        user = _respondent_user(submission.assignment.respondent, f"resp.{submission.assignment.respondent_id}", "Експерт", DEMO.strip())
        services.submission_save(user=user, submission=submission, raw=demo_answers(submission, rng))
        checked = services.submission_submit(user=user, submission=submission)
        if not checked.errors:
            Submission.objects.filter(pk=submission.pk).update(submitted_at=_at(2017, 10, 9), first_submitted_at=_at(2017, 10, 9))


def _attach_decision(user, submission: Submission, number: str, date: datetime.date) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    scan = SimpleUploadedFile(f"reshenie-{number.strip('№')}.pdf", _decision_pdf(number, date), content_type="application/pdf")
    services.submission_decision(user=user, submission=submission, number=number.strip("№"), date=date, file=scan)
    Submission.objects.filter(pk=submission.pk).update(council_decision_at=_at(date.year, date.month, date.day, 16))


def _decision_pdf(number: str, date: datetime.date) -> bytes:
    from weasyprint import HTML

    return HTML(string=(
        f"<h1 style='font-family: DejaVu Sans'>ОБЩИНСКИ СЪВЕТ (демо)</h1><p style='font-family: DejaVu Sans'>РЕШЕНИЕ {number}/{date:%d.%m.%Y}</p>"
        "<p style='font-family: DejaVu Sans'>Приема доклада за изпълнение на Общинската стратегия за развитие на социалните услуги "
        "за периода 01.01.2016 – 30.06.2017 г. Демонстрационен документ.</p>"
    )).write_pdf()


NARRATIVES = [
    "През отчетния период е разкрит Център за обществена подкрепа с капацитет 30 места, финансиран като делегирана от държавата дейност.",
    "Продължи предоставянето на услугата „Асистентска подкрепа“; обхватът е разширен към селата на общината.",
    "Основно предизвикателство остава привличането на квалифициран персонал в малките населени места.",
    "Партньорството с Дирекция „Социално подпомагане“ и местните НПО осигури насочването на потребителите.",
]


def demo_answers(submission: Submission, rng: random.Random) -> dict:
    """Plausible answers to any template: the prefilled ones kept, the rest filled so that the
    form's rules hold (users within capacity, totals matching their tables)."""
    schema = submission.assignment.template.schema
    answers = dict(submission.answers)
    period_end = submission.assignment.round.period_end
    for _section, item in forms_engine.items(schema):
        key = item["key"]
        if item["type"] == "table":
            rows = [dict(r) for r in answers.get(key) or []]
            if item.get("prefill") == "indicators":
                _indicator_values(rows, submission, rng)
            if not rows and item.get("min_rows"):
                rows = [{} for _ in range(int(item["min_rows"]))]
            for row in rows:
                for column in item["columns"]:
                    if row.get(column["key"]) in (None, "") and not column.get("readonly"):
                        row[column["key"]] = _demo_value(column, rng, period_end)
                for rule in item.get("row_rules", []):
                    left, right = row.get(rule["left"]), row.get(rule["right"])
                    if left not in (None, "") and right not in (None, ""):
                        a, b = Decimal(str(left)), Decimal(str(right))
                        if (rule["type"] == "lte" and a > b) or (rule["type"] == "gte" and a < b):
                            row[rule["left"]] = str(b)
            answers[key] = rows
        elif answers.get(key) in (None, "") and item["type"] != "file":
            answers[key] = _demo_value(item, rng, period_end)
    for rule in schema.get("rules", []):
        total = sum(Decimal(str(r.get(rule["column"]))) for r in answers.get(rule["table"], []) if r.get(rule["column"]) not in (None, ""))
        if rule["type"] == "sum_equals" or Decimal(str(answers.get(rule["question"]) or 0)) < total:
            answers[rule["question"]] = forms_engine.canonical(total)
    return answers


def _indicator_values(rows: list[dict], submission: Submission, rng: random.Random) -> None:
    """A municipality's share of each indicator's path to its target (totals split by municipality)."""
    ids = [int(r["_ref"].split(":")[1]) for r in rows if str(r.get("_ref", "")).startswith("indicator:")]
    indicators = {i.pk: i for i in Indicator.objects.filter(pk__in=ids).prefetch_related("targets")}
    region = submission.assignment.respondent.region
    share = 1 / max(region.municipalities.count(), 1) if region else 1
    for row in rows:
        indicator = indicators.get(int(str(row.get("_ref", "x:0")).split(":")[1] or 0))
        if indicator is None or row.get("value") not in (None, ""):
            continue
        target = next(iter(sorted(indicator.targets.all(), key=lambda t: t.due_on)), None)
        if target is None:
            continue
        base = float(indicator.baseline_value or 0)
        reached = base + (float(target.value) - base) * rng.uniform(0.45, 1.0)
        if indicator.aggregation in (Indicator.Aggregation.SUM, Indicator.Aggregation.LATEST):
            reached *= share
        row["value"] = forms_engine.canonical(Decimal(str(round(max(reached, 0), 1))))
        row["comment"] = rng.choice(["", "По данни на ДСП и доставчиците.", "Забавяне поради липса на персонал."])


def _demo_value(spec: dict, rng: random.Random, period_end: datetime.date):
    kind = spec["type"]
    if kind in ("integer", "number"):
        low = int(Decimal(str(spec["min"]))) if spec.get("min") not in (None, "") else 0
        high = int(Decimal(str(spec["max"]))) if spec.get("max") not in (None, "") else low + 60
        return str(rng.randint(low, max(low, min(high, low + 60))))
    if kind == "yesno":
        return "yes"
    if kind == "choice":
        return spec["choices"][0]
    if kind == "date":
        return period_end.isoformat()
    if kind == "longtext":
        return " ".join(rng.sample(NARRATIVES, 2))
    return "Да, съгласно заповед на кмета" if "екип" in spec.get("label", "").lower() else "Попълнено (демо)"


def _vtr_current_round(admin) -> Round | None:
    name = "Анализ на състоянието и ефективността на социалните услуги за 2026 г. (ЗСУ чл. 113)" + DEMO
    if Round.objects.filter(name=name).exists():
        return None
    template = FormTemplate.objects.filter(code="mayor_annual_analysis", is_active=True).first()
    if template is None:
        return None
    organizer = _org(Kind.REGIONAL_ADMINISTRATION, region="VTR")
    today = timezone.localdate()
    round = services.round_create(
        user=admin, name=name, organizer=organizer, period_start=datetime.date(today.year, 1, 1),
        period_end=datetime.date(today.year, 12, 31),
        deadlines=[(Deadline.Kind.SUBMISSION, "Анализ на кмета", max(datetime.date(today.year + 1, 4, 30), today + datetime.timedelta(days=14)))],
    )
    respondents = list(Organization.objects.filter(kind=Kind.MUNICIPALITY, region=organizer.region).order_by("name"))
    services.assignments_add(user=admin, round=round, template=template, respondents=respondents)
    services.round_open(user=admin, round=round)
    return round


def _report(admin, round: Round) -> str:
    from .models import Report
    from .reports.build import report_build

    done = round.reports.filter(status=Report.Status.DONE).first()
    if done is not None:
        return done.file.name
    report = Report.objects.create(round=round, fmt="docx", language="bg", requested_by=admin)
    report_build(report_id=report.pk)
    report.refresh_from_db()
    return f"{report.get_status_display()} ({report.file.name or report.error})"
