"""Fill the database that DATABASE_URL names with a national-scale benchmark dataset.

    .venv/bin/python bench/generate.py --scale N

Runs `migrate`, `load_territory` and `seed_demo`, then adds, proportional to N, across all 28
regions and 265 municipalities:

- per municipality 3N NGOs, 3N providers and 2N businesses (each created and changed once, so the
  audit trail has a "created" and a "changed" record per organisation);
- per region N collegial bodies hosted by the regional administration, each with an order
  (Appointment) and 10 members (core and extended, one chair, one former member, one whose term
  ends soon);
- per region N regional experts, per municipality N municipal experts (password
  "bench-password-123"), with their role assignments.

Every generated row is named after its place and index ("… [bench VTR04 ngo 3]"), so a second run
creates only what is missing: running scale 10 after scale 1 adds the difference, running the same
scale again does nothing. A database that already holds a larger scale is refused (exit code 3),
since its figures would not be those of the scale asked for.
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# SOCPLAN_SRC: another source folder (e.g. an export of an older commit), for comparisons.
sys.path.insert(0, os.environ.get("SOCPLAN_SRC") or str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socplan.config.settings.base")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402
from simple_history.utils import bulk_create_with_history, bulk_update_with_history  # noqa: E402

from socplan.organizations.models import Appointment, Body, Membership, Organization, RoleAssignment  # noqa: E402
from socplan.territory.models import Municipality, Region  # noqa: E402

PASSWORD = "bench-password-123"
TAG = "[bench "  # every generated name or username carries it
Kind = Organization.Kind
Role = RoleAssignment.Role

# Partner organisations per municipality, per unit of scale.
PARTNERS_PER_MUNICIPALITY = {Kind.NGO: 3, Kind.PROVIDER: 3, Kind.BUSINESS: 2}
BODIES_PER_REGION = 1
REGIONAL_EXPERTS_PER_REGION = 1
MUNICIPAL_EXPERTS_PER_MUNICIPALITY = 1
MEMBERS_PER_BODY = 10
BATCH = 2000

FIRST_NAMES = ["Мария", "Иван", "Елена", "Георги", "Десислава", "Николай", "Петя", "Димитър", "Светла", "Стоян",
               "Радка", "Христо", "Анелия", "Борислав", "Таня", "Калоян", "Веселина", "Пламен", "Йорданка", "Тодор"]
LAST_NAMES = ["Иванова", "Петров", "Георгиева", "Димитров", "Николова", "Стоянов", "Колева", "Христов", "Маринова",
              "Тодоров", "Илиева", "Атанасов", "Костова", "Ангелов", "Василева", "Попов", "Русева", "Михайлов"]


def regional_username(region: Region, j: int) -> str:
    return f"bench.reg.{region.code.lower()}.{j}"


def municipal_username(municipality: Municipality, j: int) -> str:
    return f"bench.mun.{municipality.code.lower()}.{j}"


def partner_name(kind: str, municipality: Municipality, i: int) -> str:
    place = municipality.name_bg
    tag = f"{TAG}{municipality.code} {kind} {i}]"
    if kind == Kind.NGO:
        return f"Сдружение „Подкрепа за всяко дете – {place} {i}“ {tag}"
    if kind == Kind.PROVIDER:
        return f"Център за социални услуги „{place} {i}“ ЕООД {tag}"
    return f"Социално предприятие „{place} {i}“ ООД {tag}"


def body_name(region: Region, j: int) -> str:
    kind = "Звено за мониторинг и оценка" if j == 1 else f"Работна група {j}"
    return f"{kind} на социалните услуги в област {region.name_bg} {TAG}{region.code} {j}]"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def present_scale() -> int:
    """The largest scale whose partner organisations are (at least partly) in the database."""
    per_unit = sum(PARTNERS_PER_MUNICIPALITY.values())
    counts = (
        Organization.objects.filter(kind__in=list(PARTNERS_PER_MUNICIPALITY), name__contains=TAG)
        .values("municipality")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    most = max(counts, default=0)
    return -(-most // per_unit)  # ceiling


def _users_and_roles(scale: int, regions, municipalities, admin_of, municipality_org_of, log) -> dict:
    """Regional and municipal experts; returns {username: User} of every bench expert."""
    wanted = []  # (username, first, last, role, organization)
    rng = random.Random(1)
    for region in regions:
        for j in range(1, REGIONAL_EXPERTS_PER_REGION * scale + 1):
            wanted.append((regional_username(region, j), Role.REGIONAL_EXPERT, admin_of[region.pk]))
    for municipality in municipalities:
        for j in range(1, MUNICIPAL_EXPERTS_PER_MUNICIPALITY * scale + 1):
            wanted.append((municipal_username(municipality, j), Role.MUNICIPAL_EXPERT, municipality_org_of[municipality.pk]))
    existing = set(User.objects.filter(username__startswith="bench.").values_list("username", flat=True))
    encoded = make_password(PASSWORD)  # one hash for all: hashing each would take minutes
    new_users = []
    for username, _role, _org in wanted:
        if username in existing:
            continue
        first, last = _person(rng).split()
        user = User(username=username, first_name=first, last_name=last, email=f"{username}@bench.socplan.bg", password=encoded)
        user.full_clean()
        new_users.append(user)
    bulk_create_with_history(new_users, User, batch_size=BATCH, default_change_reason="bench")
    users = {u.username: u for u in User.objects.filter(username__startswith="bench.")}
    have = set(
        RoleAssignment.objects.filter(user__username__startswith="bench.").values_list("user__username", "role", "organization_id")
    )
    new_roles = []
    for username, role, org in wanted:
        if (username, role, org.pk) in have:
            continue
        assignment = RoleAssignment(user=users[username], role=role, organization=org)
        assignment.full_clean()  # the model's rules: role fits the organisation, territory defaults
        new_roles.append(assignment)
    bulk_create_with_history(new_roles, RoleAssignment, batch_size=BATCH, default_change_reason="bench")
    log(f"users: {len(new_users)} created; role assignments: {len(new_roles)} created")
    return users


def _partners(scale: int, municipalities, users, log) -> None:
    existing = set(Organization.objects.filter(name__contains=TAG).values_list("kind", "name"))
    rng = random.Random(2)
    now = timezone.now()
    new = []
    for municipality in municipalities:
        creator = users.get(regional_username(municipality.region, 1))
        for kind, per_unit in PARTNERS_PER_MUNICIPALITY.items():
            for i in range(1, per_unit * scale + 1):
                name = partner_name(kind, municipality, i)
                if (kind, name) in existing:
                    continue
                org = Organization(
                    kind=kind,
                    name=name,
                    short_name=name.split("„")[-1].split("“")[0][:60] if "„" in name else "",
                    region_id=municipality.region_id,
                    municipality=municipality,
                    address=f"гр. {municipality.name_bg}, ул. „Бенч“ {i}",
                    email=f"office{i}-{kind}@{municipality.code.lower()}.bench.socplan.bg",
                    phone=f"+359 {rng.randint(20, 99)} {rng.randint(100000, 999999)}",
                )
                org._history_user = creator
                org._history_date = now - datetime.timedelta(days=rng.randint(60, 900), minutes=rng.randint(0, 1440))
                new.append(org)
    bulk_create_with_history(new, Organization, batch_size=BATCH, default_change_reason="bench")
    # Change each new organisation once, by the municipality's expert, some days after it was created.
    for org in new:
        org._history_user = users.get(municipal_username(org.municipality, 1))
        org._history_date = org._history_date + datetime.timedelta(days=rng.randint(1, 50))
        org.website = f"https://{org.municipality.code.lower()}-{org.pk}.bench.socplan.bg"
        org.updated_at = now
    bulk_update_with_history(new, Organization, ["website", "updated_at"], batch_size=BATCH, default_change_reason="bench")
    log(f"partner organisations: {len(new)} created and changed once")


def _bodies(scale: int, regions, admin_of, rdsp_of, municipality_orgs_by_region, users, log) -> None:
    existing = set(Body.objects.filter(name__contains=TAG).values_list("organization_id", "name"))
    rng = random.Random(3)
    today = timezone.localdate()
    now = timezone.now()
    new_bodies = []
    for region in regions:
        host = admin_of[region.pk]
        for j in range(1, BODIES_PER_REGION * scale + 1):
            name = body_name(region, j)
            if (host.pk, name) in existing:
                continue
            body = Body(
                kind=Body.Kind.MONITORING_UNIT if j == 1 else Body.Kind.WORKING_GROUP,
                name=name,
                organization=host,
                has_extended_composition=(j % 4 != 0),
                description=f"Мониторинг и оценка на социалните услуги в област {region.name_bg}.",
            )
            body._history_user = users.get(regional_username(region, 1))
            body._history_date = now - datetime.timedelta(days=rng.randint(300, 900))
            body._bench_region = region
            body._bench_index = j
            new_bodies.append(body)
    bulk_create_with_history(new_bodies, Body, batch_size=BATCH, default_change_reason="bench")

    orders = []
    for body in new_bodies:
        region = body._bench_region
        order = Appointment(
            body=body,
            number=f"ОА-{100 + body._bench_index}",
            date=today - datetime.timedelta(days=rng.randint(200, 700)),
            issued_by=f"Областен управител на област {region.name_bg}",
            subject="Определяне на основния и разширения състав",
        )
        order._history_user = body._history_user
        orders.append(order)
    bulk_create_with_history(orders, Appointment, batch_size=BATCH, default_change_reason="bench")

    members = []
    for body, order in zip(new_bodies, orders):
        region = body._bench_region
        partners = [admin_of[region.pk], rdsp_of[region.pk], *municipality_orgs_by_region[region.pk]]
        secretary = users.get(regional_username(region, 1))
        for k in range(MEMBERS_PER_BODY):
            extended = body.has_extended_composition and k >= 6
            role = {0: Membership.Role.CHAIR, 1: Membership.Role.DEPUTY_CHAIR, 2: Membership.Role.SECRETARY}.get(k, Membership.Role.MEMBER)
            end_date = None
            if k == 9:  # a former member
                end_date = order.date + datetime.timedelta(days=90)
            elif k == 5:  # a term that ends soon: the home page's "to do" panel
                end_date = today + datetime.timedelta(days=rng.randint(5, 50))
            org = partners[k % len(partners)] if k < 3 else rng.choice(partners)
            membership = Membership(
                body=body,
                person_name=f"{secretary.first_name} {secretary.last_name}" if k == 2 and secretary else _person(rng),
                position=f"експерт, {org.short_name or org.name}"[:255],
                organization=org,
                user=secretary if k == 2 else None,
                composition=Membership.Composition.EXTENDED if extended else Membership.Composition.CORE,
                role=role,
                appointment=order,
                start_date=order.date,
                end_date=end_date,
            )
            membership._history_user = body._history_user
            members.append(membership)
    bulk_create_with_history(members, Membership, batch_size=BATCH, default_change_reason="bench")
    log(f"bodies: {len(new_bodies)} created, with {len(orders)} orders and {len(members)} members")


def generate(scale: int, *, log=print) -> None:
    regions = list(Region.objects.order_by("code"))
    municipalities = list(Municipality.objects.select_related("region").defer("svg_path", "region__svg_path").order_by("code"))
    orgs = Organization.objects.filter(kind__in=[Kind.REGIONAL_ADMINISTRATION, Kind.RDSP, Kind.MUNICIPALITY])
    admin_of, rdsp_of, municipality_org_of, municipality_orgs_by_region = {}, {}, {}, {}
    for org in orgs:
        if org.kind == Kind.REGIONAL_ADMINISTRATION:
            admin_of[org.region_id] = org
        elif org.kind == Kind.RDSP:
            rdsp_of[org.region_id] = org
        else:
            municipality_org_of[org.municipality_id] = org
            municipality_orgs_by_region.setdefault(org.region_id, []).append(org)
    users = _users_and_roles(scale, regions, municipalities, admin_of, municipality_org_of, log)
    _partners(scale, municipalities, users, log)
    _bodies(scale, regions, admin_of, rdsp_of, municipality_orgs_by_region, users, log)


def counts() -> dict[str, int]:
    figures = {
        "regions": Region.objects.count(),
        "municipalities": Municipality.objects.count(),
        "organisations": Organization.objects.count(),
    }
    for kind, n in Organization.objects.values_list("kind").annotate(n=Count("pk")).order_by("kind"):
        figures[f"  of kind {kind}"] = n
    figures.update(
        {
            "bodies": Body.objects.count(),
            "orders": Appointment.objects.count(),
            "members": Membership.objects.count(),
            "users": User.objects.count(),
            "role assignments": RoleAssignment.objects.count(),
            "organisation history records": Organization.history.count(),
            "body history records": Body.history.count(),
            "member history records": Membership.history.count(),
        }
    )
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="size factor (1 = 8 partner organisations per municipality)")
    parser.add_argument("--skip-base", action="store_true", help="do not run migrate, load_territory and seed_demo")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be at least 1")

    started = time.monotonic()
    db = connection.settings_dict
    print(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')} — scale {args.scale}")
    if not args.skip_base:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_territory", verbosity=0, stdout=open(os.devnull, "w"))
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
        print(f"migrate, load_territory, seed_demo: {time.monotonic() - started:.1f} s")

    present = present_scale()
    if present > args.scale:
        print(
            f"This database already holds the data of scale {present} (more than {args.scale}): "
            "use another database, or drop this one (bench/load.py --fresh).",
            file=sys.stderr,
        )
        return 3
    if present == args.scale and Body.objects.filter(name__contains=TAG).count() >= len(Region.objects.all()) * BODIES_PER_REGION * args.scale:
        print(f"The data of scale {args.scale} is already there: nothing to generate.")
    else:
        step = time.monotonic()
        with transaction.atomic():
            generate(args.scale)
        print(f"generated in {time.monotonic() - step:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    for name, value in counts().items():
        print(f"  {name:36} {value:>8}")
    print(f"Done in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
