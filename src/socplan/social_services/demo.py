"""Demonstration register: a few hundred services over the Veliko Tarnovo, Pleven and Sofia regions
with plausible capacities, monthly occupancy over the last three years and yearly figures before,
specialised institutions with closure plans, and cards. Every row is marked `is_demo`; names and
figures are invented from the municipality's size, not taken from the real register.

Running it again changes nothing (the demo services are found by their external id).
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from socplan.organizations.models import Organization
from socplan.plans.models import TargetGroup
from socplan.territory.models import Municipality, PopulationFigure, Settlement

from .models import InstitutionResidents, Occupancy, Service, ServiceType, SpecializedInstitution
from .reference import planning_standards_load, service_types_load

REGIONS = ("VTR", "PVN", "SFO")
DEMO_PREFIX = "demo-"

# (type code, minimum municipal population, places from–to, per how many inhabitants one more)
CATALOGUE = [
    ("home_patronage", 0, (30, 120), 12000),
    ("personal_assistant", 0, (10, 60), 8000),
    ("assistant_support", 3000, (10, 40), 15000),
    ("cop", 5000, (20, 60), 25000),
    ("dcplu", 8000, (15, 40), 40000),
    ("dcdu", 15000, (10, 30), 60000),
    ("dc_elderly", 10000, (20, 50), 50000),
    ("csri_adults", 25000, (20, 50), 90000),
    ("csri_children", 25000, (15, 40), 90000),
    ("cnst_children", 20000, (8, 14), 50000),
    ("cnst_adults", 15000, (10, 15), 60000),
    ("protected_housing", 20000, (6, 10), 80000),
    ("foster_care", 8000, (5, 25), 40000),
    ("crisis_centre", 60000, (8, 12), 300000),
    ("home_elderly", 30000, (30, 80), 150000),
    ("temporary_accommodation", 100000, (20, 40), 400000),
]
GROUPS = {
    "cop": ["children_at_risk"], "dcdu": ["disabilities"], "csri_children": ["disabilities"],
    "cnst_children": ["children_at_risk", "leaving_care"], "foster_care": ["children_at_risk"],
    "dcplu": ["disabilities"], "csri_adults": ["disabilities"], "cnst_adults": ["disabilities"],
    "protected_housing": ["disabilities"], "home_patronage": ["elderly"], "dc_elderly": ["elderly"],
    "home_elderly": ["elderly"], "personal_assistant": ["disabilities", "elderly"],
    "assistant_support": ["disabilities", "elderly"],
    "crisis_centre": ["violence_victims"], "temporary_accommodation": ["homeless"],
}
STATE_FUNDED = {"cop", "dcdu", "dcplu", "csri_children", "csri_adults", "cnst_children", "cnst_adults",
                "protected_housing", "crisis_centre", "home_elderly", "foster_care", "temporary_accommodation"}
STANDARD_PER_PLACE = {"cop": 2100, "dcdu": 6600, "dcplu": 5200, "csri_children": 3100, "csri_adults": 2600,
                      "cnst_children": 14500, "cnst_adults": 11800, "protected_housing": 10400,
                      "crisis_centre": 12600, "home_elderly": 9300, "foster_care": 9800,
                      "temporary_accommodation": 4700}


def seed(*, stdout) -> None:
    service_types_load()
    planning_standards_load()
    if Service.objects.filter(is_demo=True).exists():
        stdout.write("Social services: the demonstration register is already loaded.")
        return
    rng = random.Random(2026)
    with transaction.atomic():
        created = _services(rng)
        occupancy = _occupancy(rng, created)
        institutions = _institutions(rng)
    stdout.write(
        "Social services: %d demonstration services in Veliko Tarnovo, Pleven and Sofia regions, %d occupancy "
        "figures, %d specialised institutions." % (len(created), occupancy, institutions)
    )


def _population() -> dict[str, int]:
    latest: dict[str, tuple[datetime.date, int]] = {}
    for code, date, value in PopulationFigure.objects.filter(
        unit_code__regex=r"^(VTR|PVN|SFO)\d\d$", age_group="all", sex="total", residence="total"
    ).values_list("unit_code", "reference_date", "value"):
        if code not in latest or date > latest[code][0]:
            latest[code] = (date, value)
    return {code: value for code, (date, value) in latest.items()}


def _services(rng: random.Random) -> list[Service]:
    types = {t.code: t for t in ServiceType.objects.all()}
    groups = {g.code: g for g in TargetGroup.objects.all()}
    population = _population()
    providers = list(Organization.objects.filter(kind__in=[Organization.Kind.PROVIDER, Organization.Kind.NGO]))
    today = timezone.localdate()
    services: list[Service] = []
    group_links: list[tuple[int, list[str]]] = []
    munis = Municipality.objects.filter(region__code__in=REGIONS).select_related("region").order_by("code")
    centres = {s.ekatte: s for s in Settlement.objects.filter(municipality__in=munis)}
    villages: dict[int, list[Settlement]] = {}
    for settlement in centres.values():
        villages.setdefault(settlement.municipality_id, []).append(settlement)
    municipality_orgs = {
        o.municipality_id: o for o in Organization.objects.filter(kind=Organization.Kind.MUNICIPALITY, municipality__in=munis)
    }
    for muni in munis:
        people = population.get(muni.code, 5000)
        centre = centres.get(muni.center_ekatte) or villages[muni.pk][0]
        for code, minimum, (low, high), step in CATALOGUE:
            if people < minimum or code not in types:
                continue
            count = 1 + people // step if step else 1
            for index in range(min(count, 6)):
                opened = datetime.date(rng.randint(2004, 2023), rng.choice([1, 4, 7, 10]), 1)
                places = rng.randint(low, high)
                own = code in ("home_patronage", "personal_assistant") or not providers or rng.random() < 0.6
                provider = municipality_orgs[muni.pk] if own else rng.choice(providers)
                where = centre if index == 0 or len(villages[muni.pk]) < 2 else rng.choice(villages[muni.pk])
                status = Service.Status.OPERATING
                closed_on = None
                if rng.random() < 0.04:
                    status, closed_on = Service.Status.CLOSED, datetime.date(rng.randint(2018, 2024), 6, 30)
                elif opened.year >= 2023 and rng.random() < 0.3:
                    status, opened = Service.Status.PLANNED, None
                on_map = code in STATE_FUNDED and status != Service.Status.PLANNED
                issued = opened or today
                issued = max(issued, today.replace(year=today.year - 6) + datetime.timedelta(days=rng.randint(0, 2000)))
                service = Service(
                    name=f"{types[code].abbreviation or types[code].name} „{_NAMES[rng.randrange(len(_NAMES))]}“ — {where.name}",
                    service_type=types[code], provider=provider, region=muni.region, municipality=muni, settlement=where,
                    address=f"ул. „{_STREETS[rng.randrange(len(_STREETS))]}“ {rng.randint(1, 60)}",
                    phone=f"0{rng.randint(30, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
                    capacity=places,
                    on_national_map=on_map, map_max_users=places if on_map else None,
                    state_funded_users=(places + (rng.randint(1, 3) if rng.random() < 0.03 else 0)) if on_map else None,
                    financing=(Service.Financing.STATE_DELEGATED if code in STATE_FUNDED else Service.Financing.MUNICIPAL),
                    standard_per_place=STANDARD_PER_PLACE.get(code), standard_currency="EUR",
                    licence_number=f"{rng.randint(100, 2999)}-{issued.year}" if provider.kind != "municipality" else "",
                    licence_issued_on=issued if provider.kind != "municipality" else None,
                    licence_expires_on=_plus_years(issued, 5) if provider.kind != "municipality" else None,
                    status=status, opened_on=opened, closed_on=closed_on,
                    council_decision=f"№{rng.randint(10, 999)}" if opened else "",
                    council_decision_date=(opened - datetime.timedelta(days=rng.randint(30, 200))) if opened else None,
                    is_published=rng.random() > 0.05, external_id=f"{DEMO_PREFIX}{muni.code}-{code}-{index}", is_demo=True,
                )
                service._history_date = timezone.make_aware(
                    datetime.datetime.combine(opened or today, datetime.time(9, 0))
                )
                services.append(service)
                group_links.append((len(services) - 1, GROUPS.get(code, [])))
    created = bulk_create_with_history(services, Service, batch_size=500)
    # The register "as of" a past date reads the history: each record dates from the opening.
    saved = {s.external_id: s for s in Service.objects.filter(is_demo=True)}
    history = Service.history.model
    for service in created:
        opened = saved[service.external_id].opened_on
        if opened:
            history.objects.filter(id=saved[service.external_id].pk).update(
                history_date=timezone.make_aware(datetime.datetime.combine(opened, datetime.time(9, 0)))
            )
    through = Service.target_groups.through
    links = []
    for index, codes in group_links:
        service = saved[services[index].external_id]
        links.extend(through(service_id=service.pk, targetgroup_id=groups[c].pk) for c in codes if c in groups)
    through.objects.bulk_create(links, batch_size=1000)
    return list(saved.values())


def _plus_years(date: datetime.date, years: int) -> datetime.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def _occupancy(rng: random.Random, services: list[Service]) -> int:
    today = timezone.localdate()
    first_month = datetime.date(today.year - 3, 1, 1)
    rows: list[Occupancy] = []
    for service in services:
        if not service.opened_on:
            continue
        base = rng.uniform(0.6, 1.0)
        end = service.closed_on or today
        for year in range(max(service.opened_on.year, today.year - 9), first_month.year):
            users = round(service.capacity * min(1.05, base + rng.uniform(-0.1, 0.1)))
            rows.append(Occupancy(service=service, period="year", starts_on=datetime.date(year, 1, 1), users=users,
                                  waiting=rng.randint(0, 5)))
        month = max(first_month, service.opened_on.replace(day=1))
        idle = rng.random() < 0.01
        while month < end.replace(day=1) and month < today.replace(day=1):
            drift = base + rng.uniform(-0.08, 0.08)
            users = 0 if idle and month >= today.replace(day=1) - datetime.timedelta(days=100) else max(
                0, round(service.capacity * min(1.1, drift))
            )
            waiting = rng.randint(0, 8) if users >= service.capacity else 0
            rows.append(Occupancy(service=service, period="month", starts_on=month, users=users, waiting=waiting))
            month = (month + datetime.timedelta(days=32)).replace(day=1)
    Occupancy.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


INSTITUTIONS = [
    ("VTR", "VTR04", "Дом за деца, лишени от родителска грижа „Слънце“ (демо)", "children", 45, "closed", 2016),
    ("VTR", "VTR14", "Дом за пълнолетни лица с умствена изостаналост (демо)", "adults", 70, "closing", 2027),
    ("PVN", "PVN24", "Дом за деца „Надежда“ (демо)", "children", 38, "transformed", 2018),
    ("PVN", "PVN37", "Дом за пълнолетни лица с психични разстройства (демо)", "adults", 60, "closing", 2026),
    ("SFO", "SFO07", "Дом за деца с увреждания (демо)", "children", 35, "closed", 2017),
    ("SFO", "SFO39", "Дом за възрастни хора с деменция (демо)", "adults", 80, "operating", None),
]


def _institutions(rng: random.Random) -> int:
    count = 0
    for region_code, muni_code, name, users, capacity, status, year in INSTITUTIONS:
        muni = Municipality.objects.filter(code=muni_code).first()
        if muni is None:
            continue
        operator = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality=muni)
        institution = SpecializedInstitution.objects.create(
            name=name, users=users, region=muni.region, municipality=muni, operator=operator, capacity=capacity,
            status=status, target_date=datetime.date(year, 12, 31) if year else None,
            closed_on=datetime.date(year, 6, 30) if status in ("closed", "transformed") else None,
            plan_note="Преместване на потребителите в центрове за настаняване от семеен тип и защитени жилища в общността "
            "(демонстрационни данни)." if status != "operating" else "", is_demo=True,
        )
        replacing = Service.objects.filter(
            region=muni.region, service_type__code__in=["cnst_children"] if users == "children" else ["cnst_adults", "protected_housing"]
        )[:4]
        institution.replaced_by.set(replacing)
        residents = capacity
        moved_total = 0
        for as_of_year in range(2014, timezone.localdate().year):
            if status in ("closed", "transformed") and as_of_year > (year or 0):
                break
            moved = rng.randint(0, max(1, residents // 4)) if status != "operating" else 0
            residents = max(0, residents - moved)
            moved_total += moved
            InstitutionResidents.objects.create(
                institution=institution, as_of=datetime.date(as_of_year, 12, 31), residents=residents, moved_to_community=moved
            )
        count += 1
    return count


_NAMES = ["Надежда", "Слънце", "Дъга", "Доверие", "Шанс", "Зора", "Усмивка", "Вяра", "Любов", "Закрила", "Грижа",
          "Подкрепа", "Пролет", "Детелина", "Искра", "Светлина"]
_STREETS = ["Васил Левски", "Христо Ботев", "Раковски", "Стефан Стамболов", "Цар Симеон", "Възраждане", "Освобождение",
            "Христо Смирненски", "Бачо Киро", "Иван Вазов", "Никола Габровски", "Независимост"]
