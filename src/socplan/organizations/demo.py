"""Demonstration data: one user per role, partner organisations and the Sofia region's monitoring
unit (ЗМО) as the minutes of 09.08.2017 describe it (document 002). People are fictional."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import User

from socplan.territory.models import Municipality

from .models import Appointment, Body, Membership, Organization, RoleAssignment
from .services import organizations_load_public

Kind = Organization.Kind
Role = RoleAssignment.Role


def demo_password() -> str:
    """One random password for all demo users of this installation, kept in the data folder."""
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        path.write_text(f"demo-{secrets.token_urlsafe(9)}")
        path.chmod(0o600)
    return path.read_text().strip()


def _org(kind, name, *, region=None, municipality=None, parent=None, **extra) -> Organization:
    org = Organization.objects.filter(kind=kind, name=name).first()
    if org is None:
        muni = Municipality.objects.get(code=municipality) if municipality else None
        org = Organization(kind=kind, name=name, region_id=region or (muni.region_id if muni else None), municipality=muni, parent=parent, **extra)
        org.full_clean()
        org.save()
    return org


def _muni(code):
    return Organization.objects.get(kind=Kind.MUNICIPALITY, municipality__code=code)


def _user(username, first, last, role, organization, password, *, staff=False) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.socplan.bg"}
    )
    if created:
        user.set_password(password)
        user.is_staff = staff
        user.save()
    if not RoleAssignment.objects.filter(user=user, role=role, organization=organization).exists():
        assignment = RoleAssignment(user=user, role=role, organization=organization)
        assignment.full_clean()
        assignment.save()
    return user


DEMO_USERS = [
    # username, first name, last name, role, organisation finder
    ("admin", "Администратор", "Системен", Role.ADMINISTRATOR, lambda: Organization.objects.get(kind=Kind.AGENCY)),
    ("national", "Надежда", "Асенова", Role.NATIONAL, lambda: Organization.objects.get(kind=Kind.AGENCY)),
    ("regional.vtr", "Росица", "Петкова", Role.REGIONAL_EXPERT, lambda: Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="VTR")),
    ("regional.sfo", "Женя", "Илиева", Role.REGIONAL_EXPERT, lambda: Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="SFO")),
    ("regional.pvn", "Пламен", "Стоянов", Role.REGIONAL_EXPERT, lambda: Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="PVN")),
    ("municipal.vtr", "Мирела", "Колева", Role.MUNICIPAL_EXPERT, lambda: _muni("VTR04")),
    ("municipal.gulyantsi", "Георги", "Цветков", Role.MUNICIPAL_EXPERT, lambda: _muni("PVN08")),
    ("directorate.vtr", "Десислава", "Маринова", Role.DIRECTORATE_EXPERT, lambda: Organization.objects.get(kind=Kind.DSP, municipality__code="VTR04")),
    ("provider.vtr", "Петя", "Данаилова", Role.PROVIDER, lambda: Organization.objects.get(name="Сдружение „Шанс за всяко дете“ (демо)")),
]


def seed(*, stdout) -> None:
    organizations_load_public()
    # Directorates and partners of the demo regions (Велико Търново, Плевен, Софийска област).
    for code, town in (("VTR04", "Велико Търново"), ("PVN08", "Гулянци"), ("PVN24", "Плевен"), ("SFO07", "Ботевград"), ("SFO39", "Самоков")):
        dsp = _org(Kind.DSP, f"Дирекция „Социално подпомагане“ {town}", municipality=code, address=f"гр. {town}")
        _org(Kind.OZD, f"Отдел „Закрила на детето“ към ДСП {town}", municipality=code, parent=dsp)
        _org(Kind.DBT, f"Дирекция „Бюро по труда“ {town}", municipality=code)
        _org(Kind.PUBLIC_COUNCIL, f"Обществен съвет по социално подпомагане – {town}", municipality=code)
    for region_code, name in (("VTR", "Велико Търново"), ("PVN", "Плевен"), ("SFO", "София")):
        region_id = Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code=region_code).region_id
        _org(Kind.RUO, f"Регионално управление на образованието – {name}", region=region_id)
        _org(Kind.RZI, f"Регионална здравна инспекция – {name}", region=region_id)
    vtr = Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="VTR").region_id
    _org(Kind.NGO, "Сдружение „Шанс за всяко дете“ (демо)", municipality="VTR04", address="гр. Велико Търново, ул. „Демо“ 1")
    _org(Kind.PROVIDER, "Център за социални услуги „Надежда“ ЕООД (демо)", region=vtr)
    _org(Kind.BUSINESS, "Търговска камара – Велико Търново (демо)", region=vtr)

    password = demo_password()
    for username, first, last, role, finder in DEMO_USERS:
        _user(username, first, last, role, finder(), password, staff=(role == Role.ADMINISTRATOR))

    _seed_sofia_monitoring_unit()
    stdout.write("Demo users (password for all: %s):" % password)
    for username, _first, _last, role, finder in DEMO_USERS:
        stdout.write(f"  {username:22} {role.label} — {finder()}")


def _seed_sofia_monitoring_unit() -> None:
    host = Organization.objects.get(kind=Kind.REGIONAL_ADMINISTRATION, region__code="SFO")
    body, _ = Body.objects.get_or_create(
        organization=host,
        name="Звено за мониторинг и оценка на изпълнението на Областната стратегия за развитие на социалните услуги в Софийска област 2016–2020 г.",
        defaults={
            "kind": Body.Kind.MONITORING_UNIT,
            "has_extended_composition": True,
            "description": "Мониторинг и оценка на изпълнението на Областната стратегия; основен и разширен състав.",
        },
    )
    issuer = "Областен управител на Софийска област"
    first, _ = Appointment.objects.get_or_create(
        body=body, number="ОА-155", date=datetime.date(2017, 6, 20),
        defaults={"issued_by": issuer, "subject": "Определяне на основния и разширения състав на Звеното"},
    )
    second, _ = Appointment.objects.get_or_create(
        body=body, number="ОА-170", date=datetime.date(2017, 6, 29),
        defaults={"issued_by": issuer, "subject": "Изменение на състава на Звеното"},
    )
    if body.memberships.exists():
        return
    sfo = host.region_id
    rdsp = Organization.objects.get(kind=Kind.RDSP, region_id=sfo)
    members = [
        ("Галина Димитрова (демо)", "заместник областен управител", host, "core", "chair", first),
        ("Женя Илиева (демо)", "старши експерт, Областна администрация", host, "core", "secretary", first),
        ("Калина Тодорова (демо)", "главен експерт, Областна администрация", host, "core", "member", first),
        ("Иво Кирилов (демо)", "директор, РДСП София област", rdsp, "core", "member", first),
        ("Светла Божилова (демо)", "експерт, Община Ботевград", _muni("SFO07"), "extended", "member", first),
        ("Николай Чолаков (демо)", "експерт, Община Самоков", _muni("SFO39"), "extended", "member", first),
        ("Радка Стефанова (демо)", "експерт, Община Своге", _muni("SFO43"), "extended", "member", second),
    ]
    for name, position, org, composition, role, order in members:
        membership = Membership(
            body=body, person_name=name, position=position, organization=org, composition=composition,
            role=role, appointment=order, start_date=order.date,
        )
        membership.full_clean()
        membership.save()
    # A member whose term ends soon, so the regional expert's home page shows a deadline.
    today = datetime.date.today()
    ending = Membership(
        body=body, person_name="Добромир Пенев (демо)", position="представител на НПО", composition="extended",
        role="member", appointment=second, start_date=second.date, end_date=today + datetime.timedelta(days=21),
    )
    ending.full_clean()
    ending.save()
