"""The register of social services at national scale: the gap analysis, the map's reads and the pages.

    .venv/bin/python bench/bench_services.py [--db postgres://postgres@127.0.0.1:5432/socplan_bench_services]
        [--services 20000] [--years 10] [--skip-generate] [--repeat 5]
        [--users 20] [--duration 15] [--warmup 2] [--workers 2] [--no-load] [--json FILE]

1. Set-up: creates the database if it is missing (--fresh: drops it first), migrates, and loads the
   territory (`load_territory`), the public organisations (`load_organizations`) and the service
   types and planning standards (reference.py's loaders).
2. Generation (idempotent, skipped when the rows are there): a few hundred providers and NGOs tied
   to the regions; --services services over all 265 municipalities in proportion to their
   population, of every loaded type, with capacities by type, mostly operating (some transforming,
   planned, approved, opening or closed), in a settlement of their municipality, run by the
   municipality or a provider of the region; and --years years of MONTHLY occupancy for every service
   that has opened (2.18 M rows for the defaults), written with PostgreSQL COPY. Services and
   occupancy are written without django-simple-history records (the audit trail of these bulk rows is
   not read by anything measured here).
3. Timing, in this process: `gap_analysis()` for the whole country (--repeat runs after one warm-up:
   best, mean, median, rows, SQL queries), for the region of Велико Търново and one municipality;
   the map's `services_per_municipality()`; the alerts of an administrator (one region, the country);
   then each page once through the test client (time, queries, size).
   Target: the whole country under 1 s.
4. Load test (bench/load.py's machinery): gunicorn (2 sync workers, DEBUG off, Redis cache
   redis://127.0.0.1:6379/3, a temporary data folder) and --users concurrent closed-loop users for
   --duration seconds per page: the public map (national and VTR), the catalogue of VTR04 and
   /healthz, and, signed in as an administrator, the gap analysis and the register of VTR.
   Target: the public map's p95 under 300 ms at 20 users.

Exit code 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
sys.path.insert(0, str(ROOT))  # bench.load; the source folder goes on the path in main() (--src)

from bench.load import ensure_database  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/socplan_bench_services"
DEFAULT_CACHE = "redis://127.0.0.1:6379/3"
GAP_TARGET_S = 1.0
MAP_P95_TARGET_MS = 300.0
EXTERNAL_PREFIX = "bench-svc-"  # external_id of every generated service
PROVIDER_TAG = "[bench services "  # in the name of every generated provider
PROVIDERS_PER_REGION = 10  # 5 licensed providers and 5 NGOs: 280 in all
STATIC_ROOT = ROOT / "var" / "bench_services" / "static"
ADMIN_USERNAME = "bench.services.admin"
REGION = "VTR"
MUNICIPALITY = "VTR04"


# --- Set-up -------------------------------------------------------------------------------------


def configure(args, data_dir: Path) -> dict:
    """The environment of this process and of the server: same database, cache and data folder (the
    secret key lives there, and the sessions created here must be valid for the server)."""
    env = {
        "DATABASE_URL": args.db,
        "CACHE_URL": args.cache,
        "SOCPLAN_DATA_DIR": str(data_dir),
        "SOCPLAN_READ_DOT_ENV": "0",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "socplan.config.settings.base",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(args.src),
        "SOCPLAN_SRC": str(args.src),
        # Collected once and kept (collectstatic compresses every file: ~40 s the first time).
        "STATIC_ROOT": str(STATIC_ROOT),
    }
    os.environ.update(env)
    return {**os.environ, **env}


def base_data(log) -> dict:
    from django.core.management import call_command

    from socplan.social_services.reference import planning_standards_load, service_types_load

    timings = {}
    with open(os.devnull, "w") as devnull:
        for title, step in [
            ("load_territory", lambda: call_command("load_territory", verbosity=0, stdout=devnull)),
            ("load_organizations", lambda: call_command("load_organizations", verbosity=0, stdout=devnull)),
            ("service types + standards", lambda: (service_types_load(), planning_standards_load())),
        ]:
            started = time.monotonic()
            step()
            timings[title] = round(time.monotonic() - started, 1)
    log("  " + ", ".join(f"{k} {v} s" for k, v in timings.items()))
    return timings


# --- Generation ---------------------------------------------------------------------------------

# Relative frequency of the types (1 when not listed): the common community services more often.
TYPE_WEIGHTS = {
    "home_patronage": 4, "personal_assistant": 4, "assistant_support": 4, "social_assistant": 2, "home_helper": 2,
    "cop": 3, "dcplu": 3, "dcdu": 3, "dc_elderly": 3, "csri_children": 3, "csri_adults": 3, "information": 2,
    "cnst_children": 2, "cnst_children_disabilities": 2, "cnst_adults": 2, "cnst_elderly": 2, "protected_housing": 2,
    "foster_care": 3, "soup_kitchen": 2, "early_intervention": 2,
}
STATE_FUNDED = {"cop", "dcdu", "dcplu", "csri_children", "csri_adults", "cnst_children", "cnst_children_disabilities",
                "cnst_adults", "cnst_elderly", "protected_housing", "crisis_centre", "home_elderly", "foster_care",
                "temporary_accommodation", "early_intervention", "mother_baby", "supervised_housing", "transitional_housing"}
NAMES = ["Надежда", "Слънце", "Дъга", "Доверие", "Шанс", "Зора", "Усмивка", "Вяра", "Любов", "Закрила", "Грижа",
         "Подкрепа", "Пролет", "Детелина", "Искра", "Светлина"]
STREETS = ["Васил Левски", "Христо Ботев", "Раковски", "Стефан Стамболов", "Цар Симеон", "Възраждане", "Освобождение",
           "Христо Смирненски", "Бачо Киро", "Иван Вазов", "Независимост"]
# (share, status): cumulative draw
STATUSES = [(0.82, "operating"), (0.85, "transforming"), (0.90, "planned"), (0.92, "approved"), (0.93, "opening"), (1.0, "closed")]


def capacity_range(service_type) -> tuple[int, int]:
    code = service_type.code
    if code in ("home_elderly", "home_adults_disabilities"):
        return 30, 80
    if code == "home_patronage":
        return 30, 120
    if service_type.is_residential and service_type.activity == "shelter":
        return 8, 40
    if service_type.is_residential:
        return 6, 15
    if service_type.activity == "assistant":
        return 10, 80
    if service_type.activity == "day_care":
        return 15, 40
    return 15, 50


def allocate(total: int, weights: dict[int, int]) -> dict[int, int]:
    """`total` split over the keys in proportion to their weight (largest remainder), at least one each."""
    keys = sorted(weights)
    if total < len(keys):
        raise SystemExit(f"--services must be at least {len(keys)} (one per municipality)")
    rest = total - len(keys)
    whole = sum(weights.values()) or 1
    exact = {k: rest * weights[k] / whole for k in keys}
    share = {k: 1 + int(exact[k]) for k in keys}
    left = total - sum(share.values())
    for k in sorted(keys, key=lambda k: exact[k] - int(exact[k]), reverse=True)[:left]:
        share[k] += 1
    return share


def _months(first: datetime.date, count: int) -> list[datetime.date]:
    out, month = [], first
    for _ in range(count):
        out.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return out


def occupancy_window(years: int, today: datetime.date) -> list[datetime.date]:
    """The `years` × 12 months up to the last complete month."""
    last = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    first = last.replace(year=last.year - years)
    first = (first + datetime.timedelta(days=32)).replace(day=1)
    return _months(first, years * 12)


def make_providers(log) -> int:
    from simple_history.utils import bulk_create_with_history

    from socplan.organizations.models import Organization
    from socplan.territory.models import Region

    existing = set(Organization.objects.filter(name__contains=PROVIDER_TAG).values_list("name", flat=True))
    new = []
    for region in Region.objects.order_by("code"):
        for i in range(1, PROVIDERS_PER_REGION + 1):
            kind = Organization.Kind.PROVIDER if i % 2 else Organization.Kind.NGO
            label = "Доставчик на социални услуги" if kind == Organization.Kind.PROVIDER else "Сдружение"
            name = f"{label} „{NAMES[i % len(NAMES)]} – {region.name_bg} {i}“ {PROVIDER_TAG}{region.code} {i}]"
            if name in existing:
                continue
            new.append(Organization(kind=kind, name=name, region=region, address=f"обл. {region.name_bg}",
                                    email=f"office{i}@{region.code.lower()}.bench-services.socplan.bg"))
    bulk_create_with_history(new, Organization, batch_size=1000, default_change_reason="bench")
    return len(new)


def plan_services(total: int, today: datetime.date, window_start: datetime.date) -> list:
    """The `total` services to have (deterministic for the same reference data), as unsaved Service objects."""
    from socplan.organizations.models import Organization
    from socplan.social_services.models import Service, ServiceType
    from socplan.territory.models import Municipality, PopulationFigure, Settlement

    munis = list(Municipality.objects.defer("svg_path").order_by("code"))
    latest: dict[str, tuple[datetime.date, int]] = {}
    for code, date, value in PopulationFigure.objects.filter(
        unit_code__in=[m.code for m in munis], age_group="all", sex="total", residence="total"
    ).values_list("unit_code", "reference_date", "value"):
        if code not in latest or date > latest[code][0]:
            latest[code] = (date, value)
    share = allocate(total, {m.pk: latest.get(m.code, (None, 1000))[1] for m in munis})
    types = list(ServiceType.objects.filter(is_active=True).order_by("order", "code"))
    if not types:
        raise SystemExit("No service types: did the reference data load?")
    type_weights = [TYPE_WEIGHTS.get(t.code, 1) for t in types]
    settlements: dict[int, list[tuple[int, str]]] = {}
    for pk, muni_id, name in Settlement.objects.values_list("pk", "municipality_id", "name_bg").order_by("ekatte"):
        settlements.setdefault(muni_id, []).append((pk, name))
    municipality_org = dict(
        Organization.objects.filter(kind=Organization.Kind.MUNICIPALITY).values_list("municipality_id", "pk")
    )
    providers: dict[int, list[int]] = {}
    for pk, region_id in Organization.objects.filter(name__contains=PROVIDER_TAG).values_list("pk", "region_id").order_by("pk"):
        providers.setdefault(region_id, []).append(pk)
    rng = random.Random(20000)
    planned = []
    index = 0
    for muni in munis:
        places = settlements.get(muni.pk) or []
        if not places or muni.pk not in municipality_org:
            raise SystemExit(f"Municipality {muni.code} has no settlement or no municipality organisation")
        for _ in range(share[muni.pk]):
            index += 1
            st = rng.choices(types, type_weights)[0]
            low, high = capacity_range(st)
            capacity = rng.randint(low, high)
            draw = rng.random()
            status = next(s for limit, s in STATUSES if draw < limit)
            regional = providers.get(muni.region_id)
            own = not regional or st.code in ("home_patronage", "personal_assistant") or rng.random() < 0.5
            provider_id = municipality_org[muni.pk] if own else rng.choice(regional)
            settlement_id, settlement_name = places[0] if rng.random() < 0.6 else rng.choice(places)
            opened = closed = None
            if status not in ("planned", "approved", "opening"):
                opened = window_start - datetime.timedelta(days=rng.randint(1, 6000))
            if status == "closed":
                closed = today - datetime.timedelta(days=rng.randint(30, 1000))
            on_map = st.code in STATE_FUNDED and opened is not None
            issued = today - datetime.timedelta(days=rng.randint(0, 6 * 365))
            licensed = not own
            planned.append(
                Service(
                    name=f"{st.abbreviation or st.name} „{NAMES[rng.randrange(len(NAMES))]}“ — {settlement_name}",
                    service_type_id=st.pk, provider_id=provider_id, region_id=muni.region_id, municipality_id=muni.pk,
                    settlement_id=settlement_id,
                    address=f"ул. „{STREETS[rng.randrange(len(STREETS))]}“ {rng.randint(1, 80)}",
                    phone=f"0{rng.randint(30, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
                    capacity=capacity, on_national_map=on_map, map_max_users=capacity if on_map else None,
                    state_funded_users=(capacity + (rng.randint(1, 3) if rng.random() < 0.03 else 0)) if on_map else None,
                    financing=Service.Financing.STATE_DELEGATED if st.code in STATE_FUNDED else Service.Financing.MUNICIPAL,
                    licence_number=f"{rng.randint(100, 2999)}-{issued.year}" if licensed else "",
                    licence_issued_on=issued if licensed else None,
                    licence_expires_on=issued.replace(year=issued.year + 5, day=min(issued.day, 28)) if licensed else None,
                    status=status, opened_on=opened, closed_on=closed,
                    is_published=rng.random() > 0.05, external_id=f"{EXTERNAL_PREFIX}{index:06d}",
                )
            )
    return planned


def make_services(total: int, today, window_start, log) -> int:
    from socplan.social_services.models import Service

    have = set(Service.objects.filter(external_id__startswith=EXTERNAL_PREFIX).values_list("external_id", flat=True))
    if len(have) >= total:
        return 0
    new = [s for s in plan_services(total, today, window_start) if s.external_id not in have]
    Service.objects.bulk_create(new, batch_size=2000)  # no simple-history records (see the docstring)
    return len(new)


def make_occupancy(years: int, today, log) -> int:
    """Monthly occupancy for every opened bench service that has none yet, with COPY."""
    from django.db import connection
    from django.utils import timezone

    from socplan.social_services.models import Occupancy, Service

    months = occupancy_window(years, today)
    table = Occupancy._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT service_id FROM {table}")
        done = {row[0] for row in cursor.fetchall()}
    todo = [
        s for s in Service.objects.filter(external_id__startswith=EXTERNAL_PREFIX, opened_on__isnull=False)
        .only("pk", "capacity", "closed_on", "external_id").order_by("pk")
        if s.pk not in done
    ]
    if not todo:
        return 0
    now = timezone.now().isoformat()
    iso = [m.isoformat() for m in months]
    idle_from = len(months) - 4  # the idle services report no users over their last four months
    rows = 0
    columns = "service_id, period, starts_on, users, waiting, created_at, updated_at"
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        chunk = []
        for service in todo:
            rng = random.Random(service.external_id)
            cap = service.capacity
            base = rng.uniform(0.6, 1.0)
            idle = rng.random() < 0.01
            over = rng.random() < 0.02
            end = len(months)
            if service.closed_on:
                end = sum(1 for m in months if m < service.closed_on.replace(day=1))
            uniform = rng.uniform
            for k in range(end):
                if idle and k >= idle_from:
                    users = 0
                elif over and k == end - 1:
                    users = cap + 1 + int(cap * 0.1)
                else:
                    users = max(0, round(cap * min(1.1, base + uniform(-0.08, 0.08))))
                waiting = (users % 7) if users >= cap else 0
                chunk.append(f"{service.pk}\tmonth\t{iso[k]}\t{users}\t{waiting}\t{now}\t{now}\n")
            rows += end
            if len(chunk) > 50000:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))
    return rows


def generate(args, log) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from socplan.core.cache import bump_data_version

    today = timezone.localdate()
    window = occupancy_window(args.years, today)
    figures = {}
    started = time.monotonic()
    with transaction.atomic():
        figures["providers_created"] = make_providers(log)
        figures["services_created"] = make_services(args.services, today, window[0], log)
    figures["services_s"] = round(time.monotonic() - started, 1)
    log(f"  providers: {figures['providers_created']} created; services: {figures['services_created']} created"
        f" ({figures['services_s']} s)")
    step = time.monotonic()
    with transaction.atomic():
        figures["occupancy_created"] = make_occupancy(args.years, today, log)
    figures["occupancy_s"] = round(time.monotonic() - step, 1)
    log(f"  occupancy: {figures['occupancy_created']:,} monthly rows created with COPY ({figures['occupancy_s']} s,"
        f" {window[0]:%m.%Y}–{window[-1]:%m.%Y})")
    if figures["providers_created"] or figures["services_created"] or figures["occupancy_created"]:
        step = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        figures["analyze_s"] = round(time.monotonic() - step, 1)
        bump_data_version()  # bulk writes send no signals
    figures["generate_s"] = round(time.monotonic() - started, 1)
    return figures


def counts() -> dict:
    from django.db.models import Count

    from socplan.organizations.models import Organization
    from socplan.social_services.models import Occupancy, Service
    from socplan.territory.models import Municipality, PopulationFigure

    figures = {
        "municipalities": Municipality.objects.count(),
        "municipalities with services": Service.objects.values("municipality").distinct().count(),
        "services": Service.objects.count(),
        "bench providers": Organization.objects.filter(name__contains=PROVIDER_TAG).count(),
        "occupancy rows": Occupancy.objects.count(),
        "population figures": PopulationFigure.objects.count(),
    }
    for status, n in Service.objects.values_list("status").annotate(n=Count("pk")).order_by("status"):
        figures[f"  {status}"] = n
    return figures


def collect_static(log) -> None:
    """collectstatic into STATIC_ROOT, unless its manifest is newer than every source file."""
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    manifest = STATIC_ROOT / "staticfiles.json"
    newest = max(
        (os.path.getmtime(storage.path(path)) for finder in get_finders() for path, storage in finder.list([])), default=0
    )
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        log(f"\nStatic files: up to date in {STATIC_ROOT}")
        return
    step = time.monotonic()
    call_command("collectstatic", interactive=False, verbosity=0)
    log(f"\ncollectstatic: {time.monotonic() - step:.1f} s (into {STATIC_ROOT})")


def ensure_admin():
    from django.contrib.auth.models import User

    from socplan.organizations.models import Organization, RoleAssignment

    agency = Organization.objects.filter(kind=Organization.Kind.AGENCY).order_by("pk").first()
    if agency is None:
        raise SystemExit("No agency organisation: did load_organizations run?")
    user, created = User.objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"first_name": "Бенч", "last_name": "Администратор", "email": "admin@bench-services.socplan.bg"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    RoleAssignment.objects.get_or_create(user=user, role=RoleAssignment.Role.ADMINISTRATOR, organization=agency)
    return user


# --- Timing -------------------------------------------------------------------------------------


def measure(fn, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm-up
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return {
        "best_s": round(min(times), 4),
        "mean_s": round(statistics.mean(times), 4),
        "median_s": round(statistics.median(times), 4),
        "queries": len(ctx.captured_queries),
        "sql_s": round(sum(float(q["time"]) for q in ctx.captured_queries), 4),
        "result": result,
    }


def timings(args, admin, log) -> dict:
    from socplan.social_services import gap, selectors
    from socplan.social_services.models import Service
    from socplan.territory.models import Municipality, Region

    region = Region.objects.get(code=REGION)
    cases = [
        ("gap_analysis(), whole country", lambda: gap.gap_analysis(), lambda r: len(r.rows)),
        (f"gap_analysis(), region {REGION}", lambda: gap.gap_analysis(municipalities=Municipality.objects.filter(region__code=REGION)),
         lambda r: len(r.rows)),
        (f"gap_analysis(), {MUNICIPALITY}", lambda: gap.gap_analysis(municipalities=Municipality.objects.filter(code=MUNICIPALITY)),
         lambda r: len(r.rows)),
        ("region_summary(whole country)", lambda: gap.region_summary(gap.gap_analysis()), len),
        ("services_per_municipality(), whole country", lambda: selectors.services_per_municipality(), len),
        (f"services_per_municipality(region={REGION})", lambda: selectors.services_per_municipality(region=region), len),
        (f"alerts(admin, region {REGION})", lambda: selectors.alerts(user=admin, base=Service.objects.filter(region__code=REGION)), len),
        ("alerts(admin), whole country", lambda: selectors.alerts(user=admin), len),
    ]
    results = {}
    print()
    header = f"{'in process':46} {'best s':>8} {'mean s':>8} {'median s':>8} {'rows':>7} {'queries':>7} {'SQL s':>7}"
    print(header)
    print("-" * len(header))
    for name, fn, size in cases:
        figures = measure(fn, args.repeat)
        figures["rows"] = size(figures.pop("result"))
        results[name] = figures
        print(f"{name:46} {figures['best_s']:>8.3f} {figures['mean_s']:>8.3f} {figures['median_s']:>8.3f}"
              f" {figures['rows']:>7} {figures['queries']:>7} {figures['sql_s']:>7.3f}")
    national = results["gap_analysis(), whole country"]
    ok = national["median_s"] < GAP_TARGET_S
    print(f"\nTarget: gap analysis of the whole country < {GAP_TARGET_S:.0f} s (median of {args.repeat} runs):"
          f" {national['median_s']:.3f} s → {'PASS' if ok else 'FAIL'}")
    return {"cases": results, "gap_target_s": GAP_TARGET_S, "gap_passed": ok}


def page_profile(admin, pages, log) -> dict:
    """Each page once in process (Django test client, after a warm-up, with the page cache emptied):
    time, queries, SQL time, size."""
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    anonymous = Client(HTTP_HOST="127.0.0.1")
    signed_in = Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(admin)
    out = {}
    print()
    header = f"{'page, in process':32} {'status':>6} {'ms':>8} {'queries':>7} {'SQL ms':>8} {'KB':>7}"
    print(header)
    print("-" * len(header))
    for name, path, signed in pages:
        client = signed_in if signed else anonymous
        client.get(path)  # warm-up (templates, database buffers)
        caches["pages"].clear()  # measured uncached: the first view after a change of the data
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
        sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        out[name] = {"status": response.status_code, "ms": round(elapsed * 1000, 1), "queries": len(ctx.captured_queries),
                     "sql_ms": round(sql_ms, 1), "kb": round(len(response.content) / 1024, 1)}
        print(f"{name:32} {response.status_code:>6} {elapsed * 1000:>8.1f} {len(ctx.captured_queries):>7} {sql_ms:>8.1f}"
              f" {len(response.content) / 1024:>7.1f}")
    connection.close()
    return out


# --- Load test ----------------------------------------------------------------------------------

PAGES = [
    # (name, path, signed in as the administrator)
    ("healthz (trivial)", "/healthz", False),
    ("public map, national", "/services/public/map/", False),
    (f"public map, {REGION}", f"/services/public/map/?region={REGION}", False),
    (f"catalogue, {MUNICIPALITY}", f"/services/public/?municipality={MUNICIPALITY}", False),
    ("gap analysis, national", "/services/gap/", True),
    (f"register, {REGION}", f"/services/?region={REGION}", True),
]
# The home page of an administrator lists the alerts of every service in the country (its panel).
IN_PROCESS_ONLY = [("home, administrator", "/", True)]
MAP_PAGES = ("public map, national", f"public map, {REGION}")


def admin_sessions(admin, n: int) -> list[str]:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for _ in range(n):
        store = store_class()
        store[SESSION_KEY] = str(admin.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        store[HASH_SESSION_KEY] = admin.get_session_auth_hash()
        store.create()
        keys.append(store.session_key)
    return keys


async def run_pages(L, args, server, session_keys: list[str], log) -> list:
    anonymous = [L.VirtualUser(server.base, None) for _ in range(args.users)]
    admins = [L.VirtualUser(server.base, key) for key in session_keys]
    meter = L.CpuMeter(server.proc.pid)
    results = []
    try:
        for name, path, signed in PAGES:
            vusers = admins if signed else anonymous
            status, _latency, _size = await vusers[0].get(path)
            if status != 200:
                log(f"  warning: {name} {path}: HTTP {status}")
            # Every worker and its connection warm on the page, then the unmeasured warm-up.
            await asyncio.gather(*(vu.get(path) for vu in vusers))
            print(f"  {name:26} {path:44}", end="", flush=True)
            if args.warmup > 0:
                await L.drive(vusers, name, path, args.warmup, record=False)
            result = await L.drive(vusers, name, path, args.duration, meter=meter)
            note = f" {result.statuses}" if result.errors else ""
            print(f" → {result.rps:7.1f} rps, p95 {result.p95_ms:8.1f} ms, errors {result.errors}{note}", flush=True)
            if server.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited during the run (code {server.proc.returncode}); see {server.log_path}")
            results.append(result)
    finally:
        await asyncio.gather(*(vu.close() for vu in anonymous + admins))
    return results


def print_load(results) -> bool:
    base = results[0]
    header = (f"{'page':26} {'requests':>8} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'KB':>6}"
              f" {'rps/hz':>7} {'p95/hz':>7} {'cpu ms':>7} {'other%':>6}")
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        r.rps_ratio = round(r.rps / base.rps, 3) if base.rps else None
        r.p95_ratio = round(r.p95_ms / base.p95_ms, 2) if base.p95_ms else None
        if r.page in MAP_PAGES:
            r.passed = r.errors == 0 and r.p95_ms < MAP_P95_TARGET_MS
        cpu = f"{r.server_cpu_ms:>7.2f}" if r.server_cpu_ms is not None else f"{'–':>7}"
        other = f"{r.other_cpu_pct:>6.0f}" if r.other_cpu_pct is not None else f"{'–':>6}"
        print(f"{r.page:26} {r.requests:>8} {r.rps:>7.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>6}"
              f" {r.mean_kb:>6.1f} {r.rps_ratio or 0:>7.1%} {r.p95_ratio or 0:>7.1f} {cpu} {other}")
    print("\ncpu ms: gunicorn CPU time per request; other%: CPU of everything but gunicorn and this script"
          " (PostgreSQL included), in % of all cores.")
    ok = True
    for r in results:
        if r.page in MAP_PAGES:
            verdict = "PASS" if r.passed else "FAIL"
            ok = ok and bool(r.passed)
            print(f"Target: {r.page} p95 < {MAP_P95_TARGET_MS:.0f} ms at the users given, no errors:"
                  f" {r.p95_ms:.1f} ms, {r.errors} errors → {verdict}")
    return ok


def load_test(args, env: dict, data_dir: Path, admin, log) -> dict:
    from dataclasses import asdict

    from django.db import connection

    from bench import load as L  # bench/load.py: gunicorn, virtual users, percentiles, CPU meter

    L.BENCH_DATA_DIR = data_dir  # gunicorn's log goes to the temporary data folder
    session_keys = admin_sessions(admin, args.users)
    connection.close()
    server_args = SimpleNamespace(src=args.src, workers=args.workers, worker_class="sync", threads=1)
    server = None
    interrupted = False

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        log(f"Note: the machine is busy (load average {load_before[0]:.1f}); figures will be lower and noisier.")
    results = []
    try:
        server = L.Server(server_args, env)
        log(f"Started {server.describe()}")
        asyncio.run(server.wait_ready())
        log(f"Load: {args.users} users × {args.duration:g} s per page (+{args.warmup:g} s warm-up); "
            f"signed-in pages as {ADMIN_USERNAME} (administrator)")
        results = asyncio.run(run_pages(L, args, server, session_keys, log))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if server is not None:
            server.stop()
            log("Stopped gunicorn.")
        signal.signal(signal.SIGTERM, previous)
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=session_keys).delete()
        connection.close()
    if interrupted:
        raise SystemExit(130)
    ok = print_load(results)
    return {
        "server": server.describe() if server else "",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "map_p95_target_ms": MAP_P95_TARGET_MS,
        "map_passed": ok,
        "results": [asdict(r) for r in results],
    }


# --- Main ---------------------------------------------------------------------------------------


def git_commit(src: Path) -> str:
    """The commit measured, with "+changes" when src/ differs from it ("" for another --src)."""
    if src != SRC:
        return ""
    try:
        run = {"cwd": ROOT, "capture_output": True, "text": True}
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], check=False, **run).stdout.strip()
    except OSError:
        return ""
    return f"{commit}+changes" if dirty else commit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB, help=f"PostgreSQL database (default {DEFAULT_DB}; created if missing)")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--services", type=int, default=20000, help="services to generate (default 20000)")
    parser.add_argument("--years", type=int, default=10, help="years of monthly occupancy (default 10)")
    parser.add_argument("--skip-generate", action="store_true", help="use the database as it is (migrate only)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each read after a warm-up (default 5)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users of the load test (default 20)")
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per page (default 15)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each page (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--cache", default=DEFAULT_CACHE, help=f"CACHE_URL of the server (default {DEFAULT_CACHE}, emptied first)")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--src", type=Path, default=SRC, help="source folder to measure (default src/; e.g. a patched copy)")
    args = parser.parse_args(argv)
    args.src = args.src.resolve()
    sys.path.insert(0, str(args.src))
    if args.services < 1 or args.years < 1 or args.repeat < 1 or args.users < 1 or args.duration <= 0:
        parser.error("--services, --years, --repeat, --users and --duration must be positive")

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="socplan-bench-services-"))
    report: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    try:
        ensure_database(args.db, fresh=args.fresh)
        env = configure(args, data_dir)
        if args.cache.startswith("redis://"):
            import redis

            redis.Redis.from_url(args.cache).flushdb()  # no stale sessions or versions of an earlier run
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        log(f"Database: {connection.settings_dict['NAME']}; data folder {data_dir}")
        step = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        report["setup"] = {"migrate_s": round(time.monotonic() - step, 1)}
        log(f"migrate: {report['setup']['migrate_s']} s")
        if not args.skip_generate:
            report["setup"].update(base_data(log))
            log(f"Generating {args.services} services and {args.years} years of monthly occupancy (idempotent)…")
            report["generation"] = generate(args, log)
            log(f"Generation: {report['generation']['generate_s']} s "
                "(services and occupancy bulk-inserted without simple-history records)")
        report["counts"] = counts()
        for name, value in report["counts"].items():
            log(f"  {name:32} {value:>10,}")
        admin = ensure_admin()
        report["timing"] = timings(args, admin, log)
        collect_static(log)  # the pages need the manifest (DEBUG off)
        report["pages_in_process"] = page_profile(admin, PAGES[1:] + IN_PROCESS_ONLY, log)
        if not args.no_load:
            print()
            report["load"] = load_test(args, env, data_dir, admin, log)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report["total_s"] = round(time.monotonic() - started, 1)
    report["commit"] = git_commit(args.src)
    gap_ok = report["timing"]["gap_passed"]
    map_ok = report.get("load", {}).get("map_passed")
    print(f"\nSummary: gap analysis (whole country) < {GAP_TARGET_S:.0f} s: {'PASS' if gap_ok else 'FAIL'}; "
          f"map p95 < {MAP_P95_TARGET_MS:.0f} ms at {args.users} users: "
          f"{'not measured' if map_ok is None else 'PASS' if map_ok else 'FAIL'}. Total {report['total_s']} s.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        print(f"Figures written to {args.json}")
    return 0 if gap_ok and map_ok is not False else 1


if __name__ == "__main__":
    sys.exit(main())
