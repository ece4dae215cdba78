"""The monitoring dashboards at national scale: the reads in process, then the pages under load.

    .venv/bin/python bench/bench_monitoring_dashboard.py [--db postgres://postgres@127.0.0.1:5432/socplan_bench_monitoring]
        [--fresh] [--indicators 200] [--years 10] [--skip-generate] [--repeat 5]
        [--users 20] [--duration 15] [--warmup 2] [--workers 2] [--no-load] [--json FILE]

1. Set-up: creates the database if it is missing (--fresh: drops it first), migrates, and loads the
   territory (`load_territory`) and the public organisations (`load_organizations`).
2. Generation (idempotent: what is there is kept, what is missing is added). The database is shared
   with bench_monitoring_report.py: a region that already has a "[bench monitoring]" regional
   strategy (made by either script) keeps it, with its values. Otherwise, per region (28): a
   regional strategy in force over the last --years complete years, with --indicators indicators
   of mixed rules (sum 35 %, average 20 %, weighted 15 %, latest 20 %, not additive 10 %; a tenth
   "lower is better"; weighted by three age groups), a baseline and a target for every year, and a
   yearly value for every municipality and year (265 × 200 × 10 = 530 000 Value rows for the
   defaults, plus the region's own values of the non-additive ones),
   written with PostgreSQL COPY and without django-simple-history records (nothing measured here
   reads them). Per region without an open round: an open round for the year after the strategy's
   last one, with an assignment of one form to every municipality in mixed states (not started,
   draft, submitted, returned, accepted).
   20 regional experts of SFO and of PDV and a municipal expert per SFO municipality sign in.
3. Timing, in this process (bench_services.measure: --repeat runs after one warm-up): the
   `region_dashboard()` of SFO (22 municipalities) and PDV, `national_dashboard()`, and
   `indicator_map()` of an SFO indicator; then each page once through the test client with the
   page cache emptied (time, queries, size): what the first visitor after a change of data waits.
4. Load test (bench/load.py's machinery): gunicorn (--workers sync workers, DEBUG off, Redis cache
   redis://127.0.0.1:6379/4 emptied first) and --users concurrent signed-in users per page for
   --duration seconds: /monitoring/dashboard/SFO/ and /PDV/ as regional experts, SFO as the
   municipal experts of its municipalities (20 scopes, so 20 renderings), the SFO map and the
   national dashboard; /healthz as the yardstick. Target: the region pages' p95 under 200 ms at
   20 users. The pages are served from the page cache after their first rendering (keyed on the
   data version): the in-process figures of step 3 are what a change of the data costs once.

Exit code 0 when the target is met (or the load test was skipped), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
sys.path.insert(0, str(ROOT))  # bench.load, bench.bench_services; src goes on the path in main() (--src)

from bench.bench_services import collect_static, configure, git_commit, measure  # noqa: E402
from bench.load import ensure_database  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/socplan_bench_monitoring"
DEFAULT_CACHE = "redis://127.0.0.1:6379/4"
P95_TARGET_MS = 200.0
TAG = "[bench monitoring]"  # in the title of every regional strategy (shared with bench_monitoring_report.py)
# In the name of the rounds made here. Not TAG: the report bench takes its region's latest TAG round.
ROUND_TAG = "[bench dashboard]"
OWN_CODE = re.compile(r"И\d{3}")
BIG_REGION, OTHER_REGION = "SFO", "PDV"
EXPERT_PREFIX = "bench.mon."
RULES = [("sum", 35), ("average", 20), ("weighted", 15), ("latest", 20), ("none", 10)]
AGE_GROUPS = [(0, 17), (18, 64), (65, None)]
STATES = [("not_started", 0.15), ("draft", 0.15), ("submitted", 0.35), ("returned", 0.1), ("accepted", 0.25)]


# --- Generation ---------------------------------------------------------------------------------


def base_data(log) -> dict:
    from django.core.management import call_command

    timings = {}
    with open(os.devnull, "w") as devnull:
        for name in ("load_territory", "load_organizations"):
            started = time.monotonic()
            call_command(name, verbosity=0, stdout=devnull)
            timings[name] = round(time.monotonic() - started, 1)
    log("  " + ", ".join(f"{k} {v} s" for k, v in timings.items()))
    return timings


def _years(years: int) -> list[int]:
    last = datetime.date.today().year - 1  # the last complete year
    return list(range(last - years + 1, last + 1))


def make_plans(years: list[int]) -> tuple[dict[int, object], int]:
    """A regional strategy in force per region (by region id); returns them and how many were made.

    This database is shared with bench_monitoring_report.py, whose generator makes a strategy per
    region with the same tag (and a closed round of its last year, with narrative reports). A region
    that has one keeps it: a second strategy would double the region's indicators. A strategy made
    here takes the title that generator looks for, so that it skips the region in turn.
    """
    from socplan.organizations.models import Organization
    from socplan.plans.models import Plan

    plans: dict[int, object] = {}
    for plan in Plan.objects.filter(kind=Plan.Kind.REGIONAL_STRATEGY, title__contains=TAG).select_related("region").order_by("pk"):
        plans.setdefault(plan.region_id, plan)
    created = 0
    for org in Organization.objects.filter(kind=Organization.Kind.REGIONAL_ADMINISTRATION).select_related("region"):
        if org.region_id in plans:
            continue
        plan = Plan(
            kind=Plan.Kind.REGIONAL_STRATEGY, title=f"Областна стратегия за развитие на социалните услуги — {org.region.name_bg} {TAG}",
            region=org.region, owner=org, period_start=years[0], period_end=years[-1], status=Plan.Status.IN_FORCE,
            is_public=True, levels=list(Plan.DEFAULT_LEVELS[Plan.Kind.REGIONAL_STRATEGY]),
        )
        plan.full_clean()
        plan.save()
        plans[org.region_id] = plan
        created += 1
    return plans, created


def _spec(k: int) -> dict:
    """The k-th indicator's definition: the same in every region (shared codes)."""
    rng = random.Random(f"indicator-{k}")
    rule = rng.choices([r for r, _w in RULES], [w for _r, w in RULES])[0]
    lower = rng.random() < 0.1
    age_from, age_to = AGE_GROUPS[k % len(AGE_GROUPS)]
    percent = rule in ("average", "weighted") and rng.random() < 0.5
    return {
        "code": f"И{k:03d}", "rule": rule, "lower": lower, "age_from": age_from, "age_to": age_to,
        "value_type": "percent" if percent else "number",
        "name": f"Показател {k} ({rule}) на областната стратегия",
        "level": rng.uniform(20, 60) if percent else rng.uniform(5, 500),
        "growth": rng.uniform(0.01, 0.06) * (-1 if lower else 1),
    }


def make_indicators(plans: dict, count: int) -> int:
    from socplan.monitoring.models import Indicator

    have = {pid: n for pid, n in _counts(Indicator, "plan_id", [p.pk for p in plans.values()]).items()}
    new = []
    for plan in plans.values():
        if have.get(plan.pk, 0) >= count:
            continue
        existing = set(Indicator.objects.filter(plan=plan).values_list("code", flat=True))
        for k in range(1, count + 1):
            spec = _spec(k)
            if spec["code"] in existing:
                continue
            new.append(
                Indicator(
                    plan=plan, code=spec["code"], name=spec["name"], aggregation=spec["rule"], value_type=spec["value_type"],
                    unit="%" if spec["value_type"] == "percent" else "бр.", higher_is_better=not spec["lower"],
                    weight_age_from=spec["age_from"], weight_age_to=spec["age_to"], position=k,
                    region_id=plan.region_id, owner_id=plan.owner_id, kind="outcome",
                )
            )
    Indicator.objects.bulk_create(new, batch_size=2000)  # no simple-history records (see the docstring)
    return len(new)


def _counts(model, column: str, keys: list[int]) -> dict[int, int]:
    from django.db.models import Count

    return dict(model.objects.filter(**{f"{column}__in": keys}).values_list(column).annotate(n=Count("pk")).order_by())


def _trajectory(spec: dict, years: list[int], base: float, rng: random.Random, *, pace: float) -> list[float]:
    return [base * (1 + spec["growth"] * pace) ** (i + 1) * rng.uniform(0.97, 1.03) for i in range(len(years))]


def make_targets_and_values(plans: dict, log) -> tuple[int, int]:
    """Targets of every indicator and the values of every municipality (COPY), where missing."""
    from django.db import connection
    from django.utils import timezone

    from socplan.monitoring.models import Indicator, Target, Value
    from socplan.territory.models import Municipality

    munis: dict[int, list] = {}
    for m in Municipality.objects.only("id", "code", "region_id").order_by("code"):
        munis.setdefault(m.region_id, []).append(m)
    region_codes = {p.region_id: p.region.code for p in plans.values()}
    by_pk = {p.pk: p for p in plans.values()}
    indicators = list(
        Indicator.objects.filter(plan__in=list(plans.values())).only("id", "code", "plan_id", "region_id", "baseline_value", "baseline_date")
    )
    with_targets = set(Target.objects.filter(indicator__in=indicators).values_list("indicator_id", flat=True).distinct())
    with_values = set(Value.objects.filter(indicator__in=indicators).values_list("indicator_id", flat=True).distinct())
    now = timezone.now().isoformat()
    targets, baselines, values = [], [], 0
    columns = "indicator_id, period_start, period_end, unit_code, region_id, municipality_id, value, text, comment, revision, created_at, updated_at"
    with connection.cursor() as cursor, cursor.copy(f"COPY {Value._meta.db_table} ({columns}) FROM STDIN") as copy:
        chunk: list[str] = []
        for indicator in indicators:
            if indicator.pk in with_values or not OWN_CODE.fullmatch(indicator.code):
                continue  # the other generator's indicators come with their targets and values
            k = int(indicator.code[1:])
            spec = _spec(k)
            plan = by_pk[indicator.plan_id]
            years = list(range(plan.period_start, plan.period_end + 1))
            region_munis = munis[indicator.region_id]
            rng = random.Random(f"{indicator.region_id}-{k}")
            pace = rng.choice([1.2, 1.0, 1.0, 0.8, 0.6, 0.3])  # mixed statuses: some on track, some behind
            bases = {m.code: spec["level"] * rng.uniform(0.5, 1.5) for m in region_munis}
            if indicator.pk not in with_targets:
                additive = spec["rule"] in ("sum", "latest")
                start = sum(bases.values()) if additive else sum(bases.values()) / len(bases)
                # A baseline the year before: progress() measures the way from it (and, for "lower is
                # better", needs it to know which way is down).
                indicator.baseline_value = Decimal(f"{start:.2f}")
                indicator.baseline_date = datetime.date(years[0] - 1, 12, 31)
                baselines.append(indicator)
                for i, year in enumerate(years):
                    value = start * (1 + spec["growth"]) ** (i + 1)
                    targets.append(Target(indicator_id=indicator.pk, label=str(year), due_on=datetime.date(year, 12, 31),
                                          value=Decimal(f"{value:.2f}")))
            lines = {}
            for m in region_munis:
                path = _trajectory(spec, years, bases[m.code], rng, pace=pace)
                for i, year in enumerate(years):
                    value = min(path[i], 100.0) if spec["value_type"] == "percent" else path[i]
                    lines[(m.code, year)] = (m.pk, value)
            if spec["rule"] == "none":  # not additive: the region's own value
                total = sum(bases.values()) / len(bases)
                for i, year in enumerate(years):
                    lines[(region_codes[indicator.region_id], year)] = (None, total * (1 + spec["growth"] * pace) ** (i + 1))
            for (unit, year), (muni_id, value) in lines.items():
                muni = muni_id or "\\N"  # NULL for the region's own value
                chunk.append(
                    f"{indicator.pk}\t{year}-01-01\t{year}-12-31\t{unit}\t{indicator.region_id}\t{muni}\t{value:.4f}\t\t\t1\t{now}\t{now}\n"
                )
            values += len(lines)
            if len(chunk) > 50000:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))
    Target.objects.bulk_create(targets, batch_size=5000)
    Indicator.objects.bulk_update(baselines, ["baseline_value", "baseline_date"], batch_size=2000)
    return len(targets), values


def make_rounds(plans: dict) -> int:
    """An open round per region (unless it has one): the year after its strategy's last year, one
    form for every municipality, in mixed states. Not the strategy's last year: the report bench's
    national summary takes every round of that year."""
    from django.utils import timezone

    from socplan.monitoring.models import Assignment, Deadline, FormTemplate, Round, Submission
    from socplan.organizations.models import Organization

    template = FormTemplate.objects.filter(code="bench-monitoring", version=1).first() or FormTemplate.objects.create(
        code="bench-monitoring", version=1, name=f"Годишен отчет {TAG}", schema={}
    )
    done = set(Round.objects.filter(status=Round.Status.OPEN).values_list("region_id", flat=True))
    created = 0
    municipality_orgs: dict[int, list] = {}
    for org in Organization.objects.filter(kind=Organization.Kind.MUNICIPALITY).order_by("pk"):
        municipality_orgs.setdefault(org.region_id, []).append(org)
    now = timezone.now()
    for plan in plans.values():
        if plan.region_id in done:
            continue
        year = plan.period_end + 1
        round = Round.objects.create(
            name=f"Мониторинг {year} {plan.region.name_bg} {ROUND_TAG}", region_id=plan.region_id, organizer_id=plan.owner_id,
            plan=plan, period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31), status=Round.Status.OPEN,
            opened_at=now,
        )
        Deadline.objects.create(round=round, title="Отчети", due_on=datetime.date(year + 1, 3, 31))
        assignments = Assignment.objects.bulk_create(
            [Assignment(round=round, template=template, respondent=org) for org in municipality_orgs.get(plan.region_id, [])]
        )
        rng = random.Random(plan.region_id)
        submissions = []
        for assignment in assignments:
            state = rng.choices([s for s, _w in STATES], [w for _s, w in STATES])[0]
            submitted = state in ("submitted", "returned", "accepted")
            submissions.append(Submission(assignment=assignment, status=state, first_submitted_at=now if submitted else None,
                                          submitted_at=now if submitted else None))
        Submission.objects.bulk_create(submissions)
        created += 1
    return created


def make_users(log) -> dict[str, list]:
    """The signed-in users of the load test: regional experts of two regions, municipal experts of SFO,
    a national expert (one user: every virtual user shares the session's rights)."""
    from django.contrib.auth.models import User

    from socplan.organizations.models import Organization, RoleAssignment

    wanted = []
    for code in (BIG_REGION, OTHER_REGION):
        org = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code=code)
        wanted += [(f"{EXPERT_PREFIX}reg.{code.lower()}.{j:02d}", RoleAssignment.Role.REGIONAL_EXPERT, org, code) for j in range(1, 21)]
    for org in Organization.objects.filter(kind=Organization.Kind.MUNICIPALITY, municipality__region__code=BIG_REGION).select_related("municipality"):
        wanted.append((f"{EXPERT_PREFIX}mun.{org.municipality.code.lower()}", RoleAssignment.Role.MUNICIPAL_EXPERT, org, "mun"))
    agency = Organization.objects.get(kind=Organization.Kind.AGENCY)
    wanted.append((f"{EXPERT_PREFIX}national", RoleAssignment.Role.NATIONAL, agency, "national"))
    groups: dict[str, list] = {}
    created = 0
    for username, role, org, group in wanted:
        user, new = User.objects.get_or_create(username=username, defaults={"email": f"{username}@bench.socplan.bg"})
        if new:
            user.set_unusable_password()
            user.save()
            assignment = RoleAssignment(user=user, role=role, organization=org)
            assignment.full_clean()
            assignment.save()
            created += 1
        groups.setdefault(group, []).append(user)
    log(f"  users: {created} created")
    return groups


def generate(args, log) -> dict:
    from django.db import connection, transaction

    from socplan.core.cache import bump_data_version

    years = _years(args.years)
    figures = {}
    started = time.monotonic()
    with transaction.atomic():
        plans, figures["plans_created"] = make_plans(years)
        figures["indicators_created"] = make_indicators(plans, args.indicators)
    log(f"  regional strategies: {len(plans)} ({figures['plans_created']} created); indicators created: {figures['indicators_created']}")
    step = time.monotonic()
    with transaction.atomic():
        figures["targets_created"], figures["values_created"] = make_targets_and_values(plans, log)
    figures["values_s"] = round(time.monotonic() - step, 1)
    log(f"  targets: {figures['targets_created']:,} created; values: {figures['values_created']:,} created with COPY"
        f" ({figures['values_s']} s)")
    with transaction.atomic():
        figures["rounds_created"] = make_rounds(plans)
    log(f"  rounds: {figures['rounds_created']} created")
    if any(figures[k] for k in ("indicators_created", "targets_created", "values_created", "rounds_created")):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        bump_data_version()  # bulk writes send no signals
    figures["generate_s"] = round(time.monotonic() - started, 1)
    return figures


def counts() -> dict:
    from socplan.monitoring.models import Assignment, Indicator, Round, Target, Value
    from socplan.territory.models import Municipality

    return {
        "municipalities": Municipality.objects.count(),
        "indicators": Indicator.objects.count(),
        "targets": Target.objects.count(),
        "values": Value.objects.count(),
        "rounds": Round.objects.count(),
        "assignments": Assignment.objects.count(),
    }


# --- Timing -------------------------------------------------------------------------------------


def timings(args, log) -> dict:
    from socplan.monitoring import dashboards
    from socplan.territory.models import Region

    big = Region.objects.get(code=BIG_REGION)
    other = Region.objects.get(code=OTHER_REGION)
    first = dashboards.region_indicators(big).first()
    last_year = first.plan.period_end
    cases = [
        (f"region_dashboard({BIG_REGION})", lambda: dashboards.region_dashboard(big), lambda r: len(r.rows)),
        (f"region_dashboard({OTHER_REGION})", lambda: dashboards.region_dashboard(other), lambda r: len(r.rows)),
        (f"region_dashboard({BIG_REGION}, 3 years)", lambda: dashboards.region_dashboard(big, year_from=last_year - 2),
         lambda r: len(r.rows)),
        ("national_dashboard()", dashboards.national_dashboard, lambda r: len(r.regions)),
        (f"indicator_map({BIG_REGION}, latest year)", lambda: dashboards.indicator_map(first, None, region=big), lambda r: len(r.items)),
    ]
    results = {}
    print()
    header = f"{'in process':40} {'best s':>8} {'mean s':>8} {'median s':>8} {'rows':>6} {'queries':>7} {'SQL s':>7}"
    print(header)
    print("-" * len(header))
    for name, fn, size in cases:
        figures = measure(fn, args.repeat)
        figures["rows"] = size(figures.pop("result"))
        results[name] = figures
        print(f"{name:40} {figures['best_s']:>8.3f} {figures['mean_s']:>8.3f} {figures['median_s']:>8.3f}"
              f" {figures['rows']:>6} {figures['queries']:>7} {figures['sql_s']:>7.3f}")
    return results


def page_profile(users: dict, pages: list, log) -> dict:
    """Each page once in process, the page cache emptied first: the first visitor after a change."""
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    print()
    header = f"{'page, in process, uncached':34} {'status':>6} {'ms':>8} {'queries':>7} {'SQL ms':>8} {'KB':>7}"
    print(header)
    print("-" * len(header))
    for name, path, group in pages:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(users[group][0])
        client.get(path)  # warm-up (templates, database buffers)
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
        sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        out[name] = {"status": response.status_code, "ms": round(elapsed * 1000, 1), "queries": len(ctx.captured_queries),
                     "sql_ms": round(sql_ms, 1), "kb": round(len(response.content) / 1024, 1)}
        print(f"{name:34} {response.status_code:>6} {elapsed * 1000:>8.1f} {len(ctx.captured_queries):>7} {sql_ms:>8.1f}"
              f" {len(response.content) / 1024:>7.1f}")
    connection.close()
    return out


# --- Load test ----------------------------------------------------------------------------------


def pages() -> list[tuple[str, str, str | None]]:
    """(name, path, group of users signed in; None: anonymous)."""
    return [
        ("healthz (trivial)", "/healthz", None),
        (f"dashboard {BIG_REGION}", f"/monitoring/dashboard/{BIG_REGION}/", BIG_REGION),
        (f"dashboard {OTHER_REGION}", f"/monitoring/dashboard/{OTHER_REGION}/", OTHER_REGION),
        (f"dashboard {BIG_REGION}, municipal", f"/monitoring/dashboard/{BIG_REGION}/", "mun"),
        (f"map {BIG_REGION}", f"/monitoring/dashboard/{BIG_REGION}/map/", BIG_REGION),
        ("dashboard, national", "/monitoring/dashboard/", "national"),
    ]


TARGET_PAGES = (f"dashboard {BIG_REGION}", f"dashboard {OTHER_REGION}", f"dashboard {BIG_REGION}, municipal")


def sessions(users: list, n: int) -> list[str]:
    """n sessions, one per user in turn (bench_services.admin_sessions makes them for one user)."""
    from bench.bench_services import admin_sessions

    return [admin_sessions(users[i % len(users)], 1)[0] for i in range(n)]


async def run_pages(L, args, server, keys: dict[str | None, list[str | None]], log) -> list:
    vusers = {group: [L.VirtualUser(server.base, key) for key in group_keys] for group, group_keys in keys.items()}
    meter = L.CpuMeter(server.proc.pid)
    results = []
    try:
        for name, path, group in pages():
            users = vusers[group]
            status, _latency, _size = await users[0].get(path)
            if status != 200:
                log(f"  warning: {name} {path}: HTTP {status}")
            await asyncio.gather(*(vu.get(path) for vu in users))  # every worker warm on the page
            print(f"  {name:30} {path:32}", end="", flush=True)
            if args.warmup > 0:
                await L.drive(users, name, path, args.warmup, record=False)
            result = await L.drive(users, name, path, args.duration, meter=meter)
            note = f" {result.statuses}" if result.errors else ""
            print(f" → {result.rps:7.1f} rps, p50 {result.p50_ms:7.1f} ms, p95 {result.p95_ms:7.1f} ms, errors {result.errors}{note}",
                  flush=True)
            if server.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited during the run (code {server.proc.returncode}); see {server.log_path}")
            results.append(result)
    finally:
        await asyncio.gather(*(vu.close() for group in vusers.values() for vu in group))
    return results


def print_load(results) -> bool:
    header = (f"{'page':30} {'requests':>8} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'KB':>6}"
              f" {'cpu ms':>7} {'other%':>6}")
    print()
    print(header)
    print("-" * len(header))
    ok = True
    for r in results:
        cpu = f"{r.server_cpu_ms:>7.2f}" if r.server_cpu_ms is not None else f"{'–':>7}"
        other = f"{r.other_cpu_pct:>6.0f}" if r.other_cpu_pct is not None else f"{'–':>6}"
        print(f"{r.page:30} {r.requests:>8} {r.rps:>7.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>6}"
              f" {r.mean_kb:>6.1f} {cpu} {other}")
    print("\ncpu ms: gunicorn CPU time per request; other%: CPU of everything but gunicorn and this script"
          " (PostgreSQL included), in % of all cores.")
    for r in results:
        if r.page in TARGET_PAGES:
            r.passed = r.errors == 0 and r.p95_ms < P95_TARGET_MS
            ok = ok and r.passed
            print(f"Target: {r.page} p95 < {P95_TARGET_MS:.0f} ms, no errors: {r.p95_ms:.1f} ms, {r.errors} errors"
                  f" → {'PASS' if r.passed else 'FAIL'}")
    return ok


def load_test(args, env: dict, data_dir: Path, users: dict, log) -> dict:
    from dataclasses import asdict

    from django.contrib.sessions.models import Session
    from django.db import connection

    from bench import load as L  # gunicorn, virtual users, percentiles, CPU meter

    L.BENCH_DATA_DIR = data_dir  # gunicorn's log goes to the temporary data folder
    keys: dict[str | None, list[str | None]] = {None: [None] * args.users}
    for group in {g for _n, _p, g in pages() if g}:
        keys[group] = sessions(users[group], args.users)
    connection.close()
    server_args = SimpleNamespace(src=args.src, workers=args.workers, worker_class="sync", threads=1)
    server, interrupted, results = None, False, []

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        log(f"Note: the machine is busy (load average {load_before[0]:.1f}); figures will be lower and noisier.")
    try:
        server = L.Server(server_args, env)
        log(f"Started {server.describe()}")
        asyncio.run(server.wait_ready())
        log(f"Load: {args.users} users × {args.duration:g} s per page (+{args.warmup:g} s warm-up)")
        results = asyncio.run(run_pages(L, args, server, keys, log))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if server is not None:
            server.stop()
            log("Stopped gunicorn.")
        signal.signal(signal.SIGTERM, previous)
        Session.objects.filter(session_key__in=[k for group in keys.values() for k in group if k]).delete()
        connection.close()
    if interrupted:
        raise SystemExit(130)
    ok = print_load(results)
    return {
        "server": server.describe() if server else "",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "p95_target_ms": P95_TARGET_MS,
        "passed": ok,
        "results": [asdict(r) for r in results],
    }


# --- Main ---------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB, help=f"PostgreSQL database (default {DEFAULT_DB}; created if missing)")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--indicators", type=int, default=200, help="indicators per regional strategy (default 200)")
    parser.add_argument("--years", type=int, default=10, help="years of values (default 10)")
    parser.add_argument("--skip-generate", action="store_true", help="use the database as it is (migrate only)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each read after a warm-up (default 5)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users of the load test (default 20)")
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per page (default 15)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each page (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--cache", default=DEFAULT_CACHE, help=f"CACHE_URL of the server (default {DEFAULT_CACHE}, emptied first)")
    parser.add_argument("--no-load", action="store_true", help="skip the load test")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--src", type=Path, default=SRC, help="source folder to measure (default src/)")
    args = parser.parse_args(argv)
    args.src = args.src.resolve()
    sys.path.insert(0, str(args.src))
    if min(args.indicators, args.years, args.repeat, args.users) < 1 or args.duration <= 0:
        parser.error("--indicators, --years, --repeat, --users and --duration must be positive")

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="socplan-bench-monitoring-"))
    report: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    try:
        ensure_database(args.db, fresh=args.fresh)
        env = configure(args, data_dir)
        if args.cache.startswith("redis://"):
            import redis

            redis.Redis.from_url(args.cache).flushdb()  # no stale sessions or data versions of an earlier run
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
            log(f"Generating {args.indicators} indicators × {args.years} years per region (idempotent)…")
            report["generation"] = generate(args, log)
            log(f"Generation: {report['generation']['generate_s']} s (bulk rows without simple-history records)")
        report["counts"] = counts()
        for name, value in report["counts"].items():
            log(f"  {name:16} {value:>10,}")
        users = make_users(log)
        report["timing"] = timings(args, log)
        collect_static(log)  # the pages need the manifest (DEBUG off)
        report["pages_in_process"] = page_profile(users, [p for p in pages() if p[2]], log)
        if not args.no_load:
            print()
            report["load"] = load_test(args, env, data_dir, users, log)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report["total_s"] = round(time.monotonic() - started, 1)
    report["commit"] = git_commit(args.src)
    passed = report.get("load", {}).get("passed")
    print(f"\nSummary: region dashboards p95 < {P95_TARGET_MS:.0f} ms at {args.users} users: "
          f"{'not measured' if passed is None else 'PASS' if passed else 'FAIL'}. Total {report['total_s']} s.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        print(f"Figures written to {args.json}")
    return 0 if passed is not False else 1


if __name__ == "__main__":
    sys.exit(main())
