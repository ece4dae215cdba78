"""Demonstration plans.

- The Veliko Tarnovo regional strategy 2011–2015, imported from document 000 with the importer
  users use, with its institutional framework (6.1) and partnership instruments (6.2).
- The Pleven regional strategy 2016–2020 (illustrative goals, marked as demonstration data).
- The Gulyantsi municipal strategy 2016–2020 implementing it, with the stages, financing model,
  communication programme and adoption act of document 001 (Решение №84/25.03.2016, Протокол №8).
- An annual plan of Veliko Tarnovo municipality under public consultation (the current model).

Running it again changes nothing: each plan is found by its title first.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone

from socplan.organizations.models import Organization

from . import services
from .importing import parse_file
from .models import (
    CommunicationItem,
    Level,
    Node,
    PartnershipInstrument,
    Plan,
    Stage,
    StakeholderRole,
    TargetGroup,
)

DATA = Path(__file__).parent / "data"
Kind = Organization.Kind
DEMO = " (демо)"


def _org(kind, *, region=None, municipality=None) -> Organization:
    qs = Organization.objects.filter(kind=kind)
    if municipality:
        qs = qs.filter(municipality__code=municipality)
    elif region:
        qs = qs.filter(region__code=region, municipality__isnull=True)
    return qs.first()


def seed(*, stdout) -> None:
    admin = User.objects.get(username="admin")
    vtr = _vtr_regional(admin)
    pleven = _pleven_regional(admin)
    gulyantsi = _gulyantsi(admin, pleven)
    _pleven_municipal(admin, pleven)
    annual = _vtr_annual_plan(admin)
    _agency_project(admin)
    stdout.write(
        "Plans: %s elements in the Veliko Tarnovo regional strategy (imported from document 000); "
        "Gulyantsi municipal strategy adopted with %s; annual plan of Veliko Tarnovo under consultation."
        % (vtr.versions.get(number=1).nodes.count(), gulyantsi.current_version.adoption)
    )
    del annual


def _existing(title: str) -> Plan | None:
    return Plan.objects.filter(title=title).first()


# --- Veliko Tarnovo 2011–2015 (document 000) -------------------------------------------------------


def _sections(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The stakeholders of section 6.1 (heading → text) and the instruments listed in 6.2."""
    lines = text.splitlines()
    stakeholders: list[tuple[str, list[str]]] = []
    instruments: list[str] = []
    in_62 = False
    for line in lines:
        stripped = line.strip()
        heading = re.match(r"^6\.1\.\d+\s+(.+)$", stripped)
        if heading:
            stakeholders.append((heading.group(1), []))
            continue
        if stripped.startswith("6.2 "):
            in_62 = True
            stakeholders.append(("", []))
            continue
        if stripped.startswith("Обща цел") or re.match(r"^\d+\.\s+Ресурси", stripped) or stripped == "Ресурси":
            if in_62 and instruments:
                break
        if in_62 and stripped.startswith("•") and "–" in stripped:
            instruments.append(stripped.lstrip("• ").strip())
        elif stakeholders and stakeholders[-1][0] and stripped:
            stakeholders[-1][1].append(stripped)
    return [(name, "\n".join(body)) for name, body in stakeholders if name], instruments


def _vtr_regional(admin) -> Plan:
    title = "Областна стратегия за развитие на социалните услуги в област Велико Търново"
    plan = _existing(title)
    if plan is not None:
        return plan
    owner = _org(Kind.REGIONAL_ADMINISTRATION, region="VTR")
    plan = services.plan_create(
        user=admin,
        kind=Plan.Kind.REGIONAL_STRATEGY,
        title=title,
        owner=owner,
        region=owner.region,
        period_start=2011,
        period_end=2015,
        vision=(
            "Област Велико Търново – територия с развита мрежа от социални услуги в общността, която осигурява "
            "равен достъп, качество и подкрепа за хората в риск, за да живеят достойно в семейна среда."
        ),
    )
    path = DATA / "vtr_regional_strategy_2011-2015.txt"
    data = path.read_bytes()
    services.plan_import_apply(user=admin, plan=plan, result=parse_file(data, path.name))
    version = plan.versions.get()
    stakeholders, instruments = _sections(data.decode("utf-8"))
    for order, (name, body) in enumerate(stakeholders, start=1):
        StakeholderRole.objects.create(version=version, stakeholder=name, responsibilities=body, order=order)
    kinds = [
        ("Споразумения", PartnershipInstrument.Kind.AGREEMENT),
        ("Партньорства", PartnershipInstrument.Kind.PARTNERSHIP),
        ("Граждански", PartnershipInstrument.Kind.PUBLIC_COUNCIL),
        ("Съвместно разработване", PartnershipInstrument.Kind.JOINT_PLANNING),
        ("Обществени форуми", PartnershipInstrument.Kind.PUBLIC_FORUM),
        ("Отворени работни групи", PartnershipInstrument.Kind.OPEN_WORKING_GROUP),
        ("Разработване на междуобщински", PartnershipInstrument.Kind.INTER_MUNICIPAL_PROJECT),
    ]
    for order, text in enumerate(instruments, start=1):
        kind = next((k for prefix, k in kinds if text.startswith(prefix)), PartnershipInstrument.Kind.OTHER)
        PartnershipInstrument.objects.create(version=version, kind=kind, description=text, order=order)
    council = _org(Kind.REGIONAL_DEVELOPMENT_COUNCIL, region="VTR")
    services.version_adopt(
        user=admin,
        version=version,
        body=council,
        decision_number="1",
        protocol_number="2",
        adopted_on=datetime.date(2010, 12, 14),
        note="Демонстрационни данни: номерът и датата на решението са примерни.",
    )
    services.plan_close(user=admin, plan=plan)
    plan.refresh_from_db()
    return plan


# --- Pleven 2016–2020 and Gulyantsi (document 001) ------------------------------------------------


PLEVEN_GOALS = [
    ("Развитие на услуги в общността за деца и семейства", [
        ("Превенция на изоставянето и подкрепа на семейства в риск", ["Разкриване на центрове за обществена подкрепа", "Развитие на приемната грижа"]),
        ("Деинституционализация на децата", ["Разкриване на центрове за настаняване от семеен тип"]),
    ]),
    ("Подкрепа за независим живот на хората с увреждания и възрастните хора", [
        ("Услуги в домашна среда", ["Развитие на домашния социален патронаж", "Асистентска подкрепа"]),
        ("Дневни услуги", ["Дневни центрове за пълнолетни лица с увреждания"]),
    ]),
    ("Развитие на човешките ресурси и партньорството", [
        ("Капацитет за управление на услугите", ["Обучения и супервизия на персонала"]),
    ]),
]


def _pleven_regional(admin) -> Plan:
    title = "Областна стратегия за развитие на социалните услуги в област Плевен" + DEMO
    plan = _existing(title)
    if plan is not None:
        return plan
    owner = _org(Kind.REGIONAL_ADMINISTRATION, region="PVN")
    plan = services.plan_create(
        user=admin, kind=Plan.Kind.REGIONAL_STRATEGY, title=title, owner=owner, region=owner.region,
        period_start=2016, period_end=2020,
        vision="Социално включване и достоен живот за хората в риск в област Плевен чрез услуги в общността.",
    )
    version = plan.versions.get()
    for goal_title, specifics in PLEVEN_GOALS:
        goal = services.node_add(user=admin, version=version, title=goal_title, level=Level.GENERAL_GOAL)
        for spec_title, measures in specifics:
            spec = services.node_add(user=admin, version=version, title=spec_title, parent=goal)
            for measure in measures:
                services.node_add(user=admin, version=version, title=measure, parent=spec)
    services.version_adopt(
        user=admin, version=version, body=_org(Kind.REGIONAL_DEVELOPMENT_COUNCIL, region="PVN"),
        decision_number="3", protocol_number="1", adopted_on=datetime.date(2015, 10, 15),
        note="Демонстрационни данни.",
    )
    plan.refresh_from_db()
    return plan


GULYANTSI_TREE = [
    # (general goal, [(specific goal, [(measure, [(activity, from, to, financing lines)])])])
    ("Подкрепа на децата и семействата в общността", [
        ("Превенция на изоставянето и социалното изключване на децата", [
            ("Разкриване на Център за обществена подкрепа в гр. Гулянци", [
                ("Изготвяне на проект и кандидатстване по ОП „Развитие на човешките ресурси“", "2016-04-01", "2016-12-31",
                 [("project", "ОП РЧР 2014–2020", "180000")]),
                ("Предоставяне на услугата ЦОП за 30 деца и семейства", "2017-01-01", "2020-12-31",
                 [("state_budget", "", "95000"), ("local_revenue", "", "12000")]),
            ]),
        ]),
    ]),
    ("Независим живот на възрастните хора и хората с увреждания", [
        ("Услуги в домашна среда", [
            ("Развитие на домашния социален патронаж", [
                ("Разширяване на патронажа към селата на общината", "2016-06-01", "2018-12-31",
                 [("local_revenue", "", "48000")]),
            ]),
            ("Асистентска подкрепа", [
                ("Личен асистент по проект „Независим живот“", "2016-01-01", "2020-12-31",
                 [("project", "ОП РЧР „Независим живот“", "260000"), ("provider_own", "", "5000")]),
            ]),
        ]),
    ]),
]

GULYANTSI_STAGES = [
    (Stage.Kind.PREPARATORY, "Подготвителен етап", "2016-01-01", "2016-03-31",
     "Изготвяне и приемане на Общинска стратегия за развитие на социалните услуги в Община Гулянци;\n"
     "Изготвяне и приемане на Годишния план за развитие на социалните услуги за 2017 г.;\n"
     "Оперативно планиране на интервенцията през първите 3 години"),
    (Stage.Kind.IMPLEMENTATION, "Първи етап", "2016-01-01", "2018-12-31", "Изпълнение на дейностите по стратегията"),
    (Stage.Kind.INTERIM_EVALUATION, "Оценка и препланиране", "2018-10-01", "2018-12-31",
     "Междинна оценка на постигнатите резултати и ефекти от стратегията;\n"
     "Препланиране на следващия период в съответствие със заключенията и препоръките от междинната оценка"),
    (Stage.Kind.IMPLEMENTATION, "Втори етап", "2019-01-01", "2020-12-31", "Изпълнение на дейностите по стратегията"),
    (Stage.Kind.FINAL_EVALUATION, "Финална оценка", "2020-01-01", "2020-12-31",
     "Финална оценка на въздействието от Общинската стратегия"),
]

GULYANTSI_PARTNERSHIP = [
    (PartnershipInstrument.Kind.AGREEMENT, "Споразумения за съвместна работа за иницииране/изпълнение на общи дейности, междуобщински и смесени услуги"),
    (PartnershipInstrument.Kind.PARTNERSHIP, "Партньорства – съвместни действия в определени насоки за съвместна работа"),
    (PartnershipInstrument.Kind.JOINT_PLANNING, "Съвместно разработване на Общински планове за развитие, бюджета на общината, други стратегии, концепции и други"),
    (PartnershipInstrument.Kind.PUBLIC_FORUM, "Обществени форуми – с периодично действие и вземане на консенсус и конференции с консенсус"),
    (PartnershipInstrument.Kind.OPEN_WORKING_GROUP, "Отворени работни групи с участие на всички заинтересовани страни и участие на експерти в съвместни работни групи, комисии и екипи"),
    (PartnershipInstrument.Kind.OTHER, "Привличане на местния бизнес и организациите на предприемачите при изпълнението на стратегията"),
    (PartnershipInstrument.Kind.PUBLIC_PRIVATE, "Развитие на публично-частните партньорства при финансиране и съфинансиране на пилотни алтернативни социални услуги"),
]

GULYANTSI_COMMUNICATION = [
    (CommunicationItem.Kind.GOAL, "Да популяризира сред широката общественост и заинтересованите страни ползите, положителните ефекти и резултатите от изпълнението на Общинската стратегия за развитие на социални услуги (2016 – 2020)."),
    (CommunicationItem.Kind.TASK, "Привличане на общественото внимание и повишаване чувствителността на обществото към хората от различните уязвими групи"),
    (CommunicationItem.Kind.TASK, "Осигуряване подкрепа на цялата общественост по приоритетните направления, мерки и дейности"),
    (CommunicationItem.Kind.TASK, "Популяризиране на принципите и посланията на стратегията за толерантност, социална интеграция, равни права и равен достъп"),
    (CommunicationItem.Kind.MEASURE, "Популяризиране на настоящите, подлежащите на реформиране и планираните нови социални услуги"),
    (CommunicationItem.Kind.MEASURE, "Информиране на местната общност и всички заинтересовани страни за Общинската стратегия"),
    (CommunicationItem.Kind.MEASURE, "Стимулиране ангажираността на всички участници в разработването и изпълнението на стратегията"),
    *[(CommunicationItem.Kind.AUDIENCE, text) for text in (
        "Органи и институции на държавната и местната власт", "Териториални структури на държавните органи и институции",
        "Неправителствени организации и граждански инициативи", "Доставчици на социални услуги",
        "Приоритетни целеви групи на общинската стратегия за социални услуги", "Лидери на обществено мнение", "Медии",
        "Широката общественост",
    )],
    (CommunicationItem.Kind.TECHNIQUE, "Директна комуникация: дискусии, кръгли маси и дебати"),
    (CommunicationItem.Kind.TECHNIQUE, "Комуникация чрез масовите медии: пресконференции и съобщения, срещи с медиите, репортажи и интервюта"),
    (CommunicationItem.Kind.TECHNIQUE, "Комуникация чрез Интернет и информационни материали"),
    (CommunicationItem.Kind.PERFORMER, "Експертът за връзки с обществеността в общинската администрация в сътрудничество с Общинското звено за мониторинг и оценка"),
]


def _gulyantsi(admin, pleven: Plan) -> Plan:
    title = "Общинска стратегия за развитие на социалните услуги в Община Гулянци"
    plan = _existing(title)
    if plan is not None:
        return plan
    owner = _org(Kind.MUNICIPALITY, municipality="PVN08")
    plan = services.plan_create(
        user=admin, kind=Plan.Kind.MUNICIPAL_STRATEGY, title=title, owner=owner, municipality=owner.municipality,
        period_start=2016, period_end=2020, implements=pleven,
        vision="Община Гулянци – общност, в която всеки човек в риск получава навреме подкрепата, от която има нужда, близо до дома си.",
    )
    version = plan.versions.get()
    stages = {}
    for order, (kind, stage_title, start, end, activities) in enumerate(GULYANTSI_STAGES, start=1):
        stages[stage_title] = services.stage_save(
            user=admin, version=version, kind=kind, title=stage_title, order=order,
            starts_on=datetime.date.fromisoformat(start), ends_on=datetime.date.fromisoformat(end), activities=activities,
        )
    regional_nodes = {node.title: node for node in pleven.current_version.nodes.all()}
    groups = {group.code: group for group in TargetGroup.objects.all()}
    dsp = Organization.objects.filter(kind=Kind.DSP, municipality=owner.municipality).first()
    for goal_title, specifics in GULYANTSI_TREE:
        goal = services.node_add(user=admin, version=version, title=goal_title, level=Level.GENERAL_GOAL)
        for spec_title, measures in specifics:
            spec = services.node_add(user=admin, version=version, title=spec_title, parent=goal)
            for measure_title, activities in measures:
                measure = services.node_add(user=admin, version=version, title=measure_title, parent=spec)
                target = regional_nodes.get(measure_title) or regional_nodes.get(
                    "Разкриване на центрове за обществена подкрепа" if "обществена подкрепа" in measure_title else ""
                )
                if target is not None:
                    services.alignment_set(user=admin, node=measure, target_keys=[target.key])
                for activity_title, start, end, lines in activities:
                    activity = services.node_add(user=admin, version=version, title=activity_title, parent=measure)
                    starts_on, ends_on = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
                    stage = stages["Първи етап"] if ends_on.year <= 2018 else None
                    services.node_update(
                        user=admin, node=activity, starts_on=starts_on, ends_on=ends_on, stage=stage,
                        budget=sum(int(amount) for _s, _p, amount in lines),
                        financing=[{"source": s, "programme": p, "amount": a, "currency": "BGN"} for s, p, a in lines],
                        responsibilities=[(owner, "lead")] + ([(dsp, "partner")] if dsp else []),
                        target_groups=[groups["children_at_risk"]] if "дец" in goal_title.lower() else
                        [groups["elderly"], groups["disabilities"]],
                        expected_results="Разкрита и функционираща услуга; брой обхванати потребители.",
                    )
    for order, (kind, text) in enumerate(GULYANTSI_PARTNERSHIP, start=1):
        services.partnership_save(user=admin, version=version, kind=kind, description=text, order=order)
    for order, (kind, text) in enumerate(GULYANTSI_COMMUNICATION, start=1):
        services.communication_save(user=admin, version=version, kind=kind, text=text, order=order)
    for order, (name, text) in enumerate(
        [
            ("Общински съвет", "Приема стратегията и годишните планове; приема отчетите за изпълнението им."),
            ("Кмет на общината", "Ръководи изпълнението на стратегията; внася годишните планове и отчети в Общинския съвет."),
            ("Дирекция „Социално подпомагане“", "Насочва потребители към услугите; участва в мониторинга и оценката."),
            ("Доставчици на социални услуги", "Предоставят услугите съгласно стандартите; отчитат дейността си."),
        ],
        start=1,
    ):
        services.stakeholder_save(user=admin, version=version, stakeholder=name, responsibilities=text, order=order)
    services.version_adopt(
        user=admin, version=version, body=_org(Kind.MUNICIPAL_COUNCIL, municipality="PVN08"),
        decision_number="84", protocol_number="8", adopted_on=datetime.date(2016, 3, 25),
        signed_by="Огнян Янчев, Председател ОбС Гулянци",
    )
    plan.refresh_from_db()
    return plan


def _pleven_municipal(admin, pleven: Plan) -> Plan:
    """A second municipality of the region, with a draft that implements part of the regional strategy."""
    title = "Общинска стратегия за развитие на социалните услуги в Община Плевен" + DEMO
    plan = _existing(title)
    if plan is not None:
        return plan
    owner = _org(Kind.MUNICIPALITY, municipality="PVN24")
    plan = services.plan_create(
        user=admin, kind=Plan.Kind.MUNICIPAL_STRATEGY, title=title, owner=owner, municipality=owner.municipality,
        period_start=2016, period_end=2020, implements=pleven,
        vision="Град и села с услуги, които подкрепят хората в риск да живеят самостоятелно в общността.",
    )
    version = plan.versions.get()
    regional_nodes = {node.title: node for node in pleven.current_version.nodes.all()}
    goal = services.node_add(user=admin, version=version, title="Деинституционализация и грижа в семейна среда", level=Level.GENERAL_GOAL)
    for title_, target in (
        ("Разкриване на два центъра за настаняване от семеен тип", "Разкриване на центрове за настаняване от семеен тип"),
        ("Развитие на приемната грижа в общината", "Развитие на приемната грижа"),
        ("Информационна кампания за социалните услуги", None),
    ):
        measure = services.node_add(user=admin, version=version, title=title_, level=Level.MEASURE, parent=goal)
        if target:
            services.alignment_set(user=admin, node=measure, target_keys=[regional_nodes[target].key])
    return plan


# --- The agency's project presented to the Sofia region's ЗМО (document 002) ---------------------


def _agency_project(admin) -> Plan:
    """A project with activities Д.1–Д.14 and quantitative targets, as document 002 describes it."""
    title = "Проект на АСП за подкрепа на деинституционализацията и областното планиране (2017–2019)" + DEMO
    plan = _existing(title)
    if plan is not None:
        return plan
    source = (DATA.parent / "data" / "agency_project_activities.txt").read_text(encoding="utf-8")
    owner = _org(Kind.AGENCY)
    plan = services.plan_create(
        user=admin, kind=Plan.Kind.PROJECT, title=title, owner=owner, period_start=2017, period_end=2019,
        levels=[Level.ACTIVITY],
        vision=(
            "Повишаване капацитета за планиране, изпълнение, мониторинг, оценка и контрол на политиките в "
            "сферата на социалните услуги; подпомагане на деинституционализацията; утвърждаване на модела "
            "на областно планиране на социалните услуги. Стойност 28 млн. лв., срок до 31.12.2019 г."
        ),
    )
    version = plan.versions.get()
    services.version_update(user=admin, version=version, number_prefix="Д.")
    for line in source.splitlines():
        match = re.match(r"^Д\.(\d+)\.\s+(.+?)(?:\s+\|\s+(.+))?$", line.strip())
        if not match:
            continue
        node = services.node_add(user=admin, version=version, title=match.group(2), level=Level.ACTIVITY)
        if match.group(3):
            services.node_update(user=admin, node=node, expected_results=match.group(3))
    return plan


# --- Veliko Tarnovo municipality: an annual plan under consultation (the current model) ------------


def _vtr_annual_plan(admin) -> Plan:
    year = timezone.localdate().year + 1
    title = f"Годишен план за развитие на социалните услуги в Община Велико Търново за {year} г." + DEMO
    plan = _existing(title)
    if plan is not None:
        return plan
    owner = _org(Kind.MUNICIPALITY, municipality="VTR04")
    plan = services.plan_create(
        user=admin, kind=Plan.Kind.ANNUAL_PLAN, title=title, owner=owner, municipality=owner.municipality,
        period_start=year, period_end=year,
        vision="Социалните услуги от Националната карта и услугите, финансирани от общинския бюджет, през годината.",
    )
    version = plan.versions.get()
    mapped = services.node_add(
        user=admin, version=version, level=Level.MEASURE,
        title="Услуги от Националната карта на социалните услуги (държавно делегирани дейности)",
    )
    for name, users, amount in (
        ("Център за настаняване от семеен тип за деца без увреждания — до 14 потребители", 14, "392000"),
        ("Център за обществена подкрепа — до 40 потребители", 40, "180000"),
        ("Дневен център за пълнолетни лица с увреждания — до 30 потребители", 30, "276000"),
    ):
        node = services.node_add(user=admin, version=version, title=name, parent=mapped)
        services.node_update(
            user=admin, node=node, budget=amount, budget_currency="EUR",
            financing=[{"source": "state_budget", "amount": amount, "currency": "EUR", "year": year}],
            starts_on=datetime.date(year, 1, 1), ends_on=datetime.date(year, 12, 31),
        )
    local = services.node_add(
        user=admin, version=version, level=Level.MEASURE, title="Услуги, финансирани от общинския бюджет",
    )
    node = services.node_add(user=admin, version=version, title="Домашен социален патронаж — до 120 потребители", parent=local)
    services.node_update(
        user=admin, node=node, budget="210000", budget_currency="EUR",
        financing=[{"source": "local_revenue", "amount": "210000", "currency": "EUR", "year": year}],
    )
    today = timezone.localdate()
    services.consultation_open(
        user=admin, version=version, opens_on=today - datetime.timedelta(days=5), closes_on=today + datetime.timedelta(days=30)
    )
    comment = services.comment_submit(
        version=version, author_name="Мария Петрова (демо)", author_email="maria@example.bg",
        organization_name="Сдружение „Шанс за всяко дете“ (демо)",
        text="Предлагаме капацитетът на Центъра за обществена подкрепа да се увеличи на 50 потребители заради листата на чакащите.",
        node=Node.objects.filter(version=version, title__startswith="Център за обществена подкрепа").first(),
    )
    services.comment_moderate(user=admin, comment=comment, status="published", answer="Предложението ще бъде обсъдено с АСП.")
    return plan
