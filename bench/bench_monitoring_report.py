"""The monitoring reports at national scale: the regional report of a round and the national summary.

    .venv/bin/python bench/bench_monitoring_report.py [--db postgres://postgres@127.0.0.1:5432/socplan_bench_monitoring]
        [--indicators 200] [--years 10] [--region SFO] [--repeat 3] [--pdf] [--skip-generate] [--fresh]
        [--out DIR] [--json FILE]

1. Set-up: creates the database if it is missing (--fresh: drops it first; only a database whose name
   starts with "socplan_bench" is ever dropped), migrates, and loads the territory (`load_territory`:
   28 regions, 265 municipalities), the public organisations (`load_organizations`) and the service
   types (reference.py).
2. Generation (idempotent: a region that has its "[bench monitoring]" plan is skipped). Per region: a
   regional strategy in force (5 priorities × 4 general goals × 5 measures), --indicators indicators on
   its measures and goals (mostly "sum", some "average", "latest", and a few "weighted" by population),
   each with a baseline and yearly targets, and --years years of yearly values for every municipality
   of the region (265 × 200 × 10 = 530,000 values for the defaults); a form template with two
   longtext questions; a round for the last year of values with a submission deadline and a
   council-decision deadline, and one assignment per municipality and one for the РДСП, with reports
   in every state (accepted, submitted on time or late, returned, draft, not started) and narrative
   answers; three services per municipality with twelve months of occupancy. Rows are written with
   bulk_create, without django-simple-history records (nothing measured reads the audit trail).
3. Timing, in this process (--repeat runs after one warm-up; best, mean and the SQL queries of one run):
   the read of the round (`round_report_data`), the charts, the regional report as DOCX (data + charts
   + document: **target < 5 s**) and, with --pdf, as PDF; the national summary of that year
   (`national_summary_data` + DOCX: **target < 30 s**).

Exit code 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("SOCPLAN_SRC") or str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # bench.load

from bench.load import ensure_database  # noqa: E402

DEFAULT_DB = os.environ.get(
    "BENCH_MONITORING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/socplan_bench_monitoring"
)
TAG = "[bench monitoring]"
REPORT_TARGET_S = 5.0
NATIONAL_TARGET_S = 30.0
FIRST_YEAR = 2015


# --- Set-up -------------------------------------------------------------------------------------


def configure(db: str, data_dir: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": db,
            "SOCPLAN_DATA_DIR": str(data_dir),
            "SOCPLAN_READ_DOT_ENV": "0",
            "DJANGO_SETTINGS_MODULE": "socplan.config.settings.base",
            "LOG_LEVEL": "WARNING",
        }
    )


def base_data(log) -> dict:
    from django.core.management import call_command

    from socplan.social_services.reference import service_types_load

    timings = {}
    with open(os.devnull, "w") as devnull:
        for title, step in [
            ("load_territory", lambda: call_command("load_territory", verbosity=0, stdout=devnull)),
            ("load_organizations", lambda: call_command("load_organizations", verbosity=0, stdout=devnull)),
            ("service types", service_types_load),
        ]:
            started = time.monotonic()
            step()
            timings[title] = round(time.monotonic() - started, 1)
    log("  " + ", ".join(f"{k} {v} s" for k, v in timings.items()))
    return timings


# --- Generation ---------------------------------------------------------------------------------

SCHEMA = {
    "sections": [
        {
            "key": "results",
            "title": "Изпълнение на общинската стратегия",
            "items": [
                {"key": "users_total", "type": "integer", "label": "Общ брой потребители на социални услуги"},
                {"key": "achievements", "type": "longtext", "label": "Постигнати резултати през периода"},
                {"key": "problems", "type": "longtext", "label": "Проблеми и предизвикателства"},
            ],
        }
    ]
}
ANSWER = (
    "През периода общината разкри нови услуги в общността и разшири капацитета на съществуващите. "
    "Проведени бяха обучения на персонала и информационни кампании.\n• Разкрит Център за обществена подкрепа;\n"
    "• Увеличен капацитет на Дневния център за деца с увреждания;\n• Подписано споразумение за партньорство."
)
AGGREGATIONS = ["sum"] * 14 + ["average"] * 3 + ["latest"] * 2 + ["weighted"]


def generate(args, log) -> dict:
    from django.db import transaction

    from socplan.territory.models import Region

    counts = {"regions": 0, "indicators": 0, "values": 0, "assignments": 0, "services": 0, "occupancy": 0}
    started = time.monotonic()
    for region in Region.objects.defer("svg_path").order_by("code"):
        with transaction.atomic():
            made = make_region(region, args)
        if made:
            counts["regions"] += 1
            for key, value in made.items():
                counts[key] += value
            log(
                f"  {region.code}: {made['indicators']} indicators, {made['values']:,} values, "
                f"{made['assignments']} assignments, {made['services']} services"
            )
    if counts["regions"]:
        from django.db import connection

        with connection.cursor() as cursor:  # fresh planner statistics after the bulk load
            cursor.execute("ANALYZE")
    counts["generate_s"] = round(time.monotonic() - started, 1)
    return counts


def make_region(region, args) -> dict | None:
    from socplan.monitoring.models import (
        Assignment,
        Deadline,
        FormTemplate,
        Indicator,
        Round,
        Submission,
        Target,
        Value,
    )
    from socplan.organizations.models import Organization
    from socplan.plans.models import Level, Node, Plan, PlanVersion
    from socplan.social_services.models import Occupancy, Service, ServiceType
    from socplan.territory.models import Municipality, Settlement

    # The database is shared with bench_monitoring_dashboard.py: a region that has a bench strategy
    # made by either script keeps it (and its values, rounds and reports).
    if Plan.objects.filter(region=region, kind=Plan.Kind.REGIONAL_STRATEGY, title__contains=TAG).exists():
        return None
    title = f"Областна стратегия за развитие на социалните услуги — {region.name_bg} {TAG}"
    rng = random.Random(region.code)
    admin = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region=region)
    rdsp = Organization.objects.get(kind=Organization.Kind.RDSP, region=region)
    municipalities = list(Municipality.objects.filter(region=region).defer("svg_path").order_by("code"))
    last_year = FIRST_YEAR + args.years - 1

    plan = Plan.objects.create(
        kind=Plan.Kind.REGIONAL_STRATEGY,
        title=title,
        region=region,
        owner=admin,
        period_start=FIRST_YEAR,
        period_end=last_year,
        status=Plan.Status.IN_FORCE,
        is_public=True,
        levels=list(Plan.DEFAULT_LEVELS[Plan.Kind.REGIONAL_STRATEGY]),
    )
    version = PlanVersion.objects.create(plan=plan, number=1, status=PlanVersion.Status.ADOPTED)
    plan.current_version = version
    plan.save(update_fields=["current_version"])

    def nodes(parents, level, per_parent, label):
        batch = []
        for parent in parents:
            for position in range(per_parent):
                number = f"{parent.number}.{position + 1}" if parent else str(position + 1)
                batch.append(
                    Node(
                        version=version,
                        parent=parent,
                        level=level,
                        number=number,
                        position=position,
                        title=f"{label} {number}: развитие на социалните услуги в общността",
                    )
                )
        return Node.objects.bulk_create(batch)

    priorities = nodes([None], Level.PRIORITY, 5, "Приоритет")
    goals = nodes(priorities, Level.GENERAL_GOAL, 4, "Обща цел")
    measures = nodes(goals, Level.MEASURE, 5, "Мярка")
    holders = measures + goals  # 100 measures first, then the goals

    indicators = []
    for index in range(args.indicators):
        node = holders[index % len(holders)]
        rule = AGGREGATIONS[index % len(AGGREGATIONS)]
        indicators.append(
            Indicator(
                plan=plan,
                node_key=node.key,
                code=f"{node.number}.{index // len(holders) + 1}",
                name=f"Индикатор {index + 1}: брой потребители на услугите по {node.number}",
                kind=Indicator.Kind.OUTPUT,
                unit="%" if rule in ("average", "weighted") else "брой",
                value_type=Indicator.ValueType.PERCENT
                if rule in ("average", "weighted")
                else Indicator.ValueType.NUMBER,
                baseline_value=Decimal(100 if rule == "sum" else 40),
                baseline_date=datetime.date(FIRST_YEAR, 1, 1),
                aggregation=rule,
                weight_age_from=0,
                weight_age_to=17 if rule == "weighted" else None,
                higher_is_better=index % 9 != 0,
                position=index,
                # save() is skipped by bulk_create: the denormalised territory is set here.
                region=region,
                owner=admin,
            )
        )
    indicators = Indicator.objects.bulk_create(indicators)
    Target.objects.bulk_create(
        Target(
            indicator=indicator,
            label=str(year),
            due_on=datetime.date(year, 12, 31),
            value=indicator.baseline_value * Decimal(str(round(1 + 0.1 * (year - FIRST_YEAR + 1), 2))),
        )
        for indicator in indicators
        for year in range(FIRST_YEAR + 2, last_year + 1, 3)
    )
    values = []
    for indicator in indicators:
        per_municipality = indicator.baseline_value / (
            1 if indicator.aggregation != "sum" else len(municipalities)
        )
        for municipality in municipalities:
            level = float(per_municipality) * rng.uniform(0.6, 1.2)
            for year in range(FIRST_YEAR, last_year + 1):
                level *= rng.uniform(0.98, 1.12)
                values.append(
                    Value(
                        indicator=indicator,
                        period_start=datetime.date(year, 1, 1),
                        period_end=datetime.date(year, 12, 31),
                        unit_code=municipality.code,
                        region=region,
                        municipality=municipality,
                        value=Decimal(str(round(level, 2))),
                    )
                )
    Value.objects.bulk_create(values, batch_size=5000)

    template, _created = FormTemplate.objects.get_or_create(
        code="bench-monitoring",
        version=1,
        defaults={"name": f"Доклад за изпълнение на общинската стратегия {TAG}", "schema": SCHEMA},
    )
    round_ = Round.objects.create(
        name=f"Мониторинг на Областната стратегия за {last_year} г. {TAG}",
        region=region,
        organizer=admin,
        plan=plan,
        period_start=datetime.date(last_year, 1, 1),
        period_end=datetime.date(last_year, 12, 31),
        status=Round.Status.CLOSED,
    )
    due = datetime.date(last_year + 1, 3, 31)
    Deadline.objects.create(
        round=round_, kind=Deadline.Kind.SUBMISSION, title="Доклади на общините", due_on=due
    )
    Deadline.objects.create(
        round=round_,
        kind=Deadline.Kind.COUNCIL_DECISION,
        title="Решения на общинските съвети",
        due_on=due + datetime.timedelta(days=30),
    )
    municipal_orgs = dict(
        Organization.objects.filter(kind=Organization.Kind.MUNICIPALITY, region=region).values_list(
            "municipality_id", "pk"
        )
    )
    respondents = [municipal_orgs[m.pk] for m in municipalities if m.pk in municipal_orgs] + [rdsp.pk]
    assignments = Assignment.objects.bulk_create(
        Assignment(round=round_, template=template, respondent_id=pk, needs_council_decision=True)
        for pk in respondents
    )
    statuses = ["accepted", "accepted", "submitted", "submitted", "returned", "draft", "not_started"]
    submissions = []
    for index, assignment in enumerate(assignments):
        status = statuses[index % len(statuses)]
        sent = status in ("accepted", "submitted", "returned")
        when = (
            datetime.datetime.combine(
                due + datetime.timedelta(days=rng.randint(-20, 10)), datetime.time(10), tzinfo=datetime.UTC
            )
            if sent
            else None
        )
        submissions.append(
            Submission(
                assignment=assignment,
                status=status,
                first_submitted_at=when,
                submitted_at=when,
                answers={
                    "users_total": str(rng.randint(50, 900)),
                    "achievements": ANSWER,
                    "problems": "Недостиг на квалифициран персонал." if index % 2 else "",
                },
                council_decision=str(rng.randint(100, 999)) if status == "accepted" else "",
                council_decision_date=due + datetime.timedelta(days=20) if status == "accepted" else None,
            )
        )
    Submission.objects.bulk_create(submissions)

    service_types = list(ServiceType.objects.filter(is_active=True).order_by("order", "code")[:10])
    centres = dict(Settlement.objects.filter(municipality__in=municipalities).values_list("ekatte", "pk"))
    services = []
    for municipality in municipalities:
        provider = municipal_orgs.get(municipality.pk)
        settlement = centres.get(municipality.center_ekatte)
        if provider is None or settlement is None or not service_types:
            continue
        for index in range(3):
            service_type = service_types[(index + len(services)) % len(service_types)]
            services.append(
                Service(
                    name=f"{service_type.abbreviation or service_type.name} „{municipality.name_bg} {index + 1}“ {TAG}",
                    service_type=service_type,
                    provider_id=provider,
                    region=region,
                    municipality=municipality,
                    settlement_id=settlement,
                    capacity=rng.randint(10, 60),
                    financing=Service.Financing.STATE_DELEGATED,
                    status=Service.Status.OPERATING,
                    opened_on=datetime.date(FIRST_YEAR - 3, 1, 1),
                )
            )
    services = Service.objects.bulk_create(services)
    occupancy = [
        Occupancy(
            service=service,
            period=Occupancy.Period.MONTH,
            starts_on=datetime.date(last_year, month, 1),
            users=rng.randint(service.capacity // 2, service.capacity),
        )
        for service in services
        for month in range(1, 13)
    ]
    Occupancy.objects.bulk_create(occupancy, batch_size=5000)
    return {
        "indicators": len(indicators),
        "values": len(values),
        "assignments": len(assignments),
        "services": len(services),
        "occupancy": len(occupancy),
    }


# --- Timing -------------------------------------------------------------------------------------


def measure(name: str, function, repeat: int, log) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm-up: imports, matplotlib's font cache, the template
    times, cpu = [], []
    result = None
    for _run in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = function()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    figures = {
        "best_s": round(min(times), 3),
        "mean_s": round(statistics.mean(times), 3),
        # This process's CPU time: steadier than the wall clock on a shared machine (the database's
        # own time is not in it).
        "cpu_s": round(min(cpu), 3),
        "queries": len(queries),
    }
    if isinstance(result, bytes):
        figures["size_kb"] = round(len(result) / 1024)
    log(
        f"  {name:34} best {figures['best_s']:7.3f} s   mean {figures['mean_s']:7.3f} s   cpu {figures['cpu_s']:7.3f} s"
        f"   {figures['queries']:4} queries"
        + (f"   {figures['size_kb']:6} KB" if "size_kb" in figures else "")
    )
    return figures


def timings(args, log) -> dict:
    from django.utils import translation

    from socplan.monitoring import reports
    from socplan.monitoring.models import Indicator, Round, Value

    # The region's latest bench round that monitors a plan with values (this script's, or the
    # dashboard benchmark's open round for the year after its values).
    round_ = (
        Round.objects.filter(
            region__code=args.region, name__contains=TAG, plan__indicators__values__isnull=False
        )
        .distinct()
        .order_by("-period_end", "-pk")
        .first()
    )
    if round_ is None:
        raise SystemExit(f"No bench round for {args.region}: run without --skip-generate")
    year = round_.period_end.year
    translation.activate("bg")
    indicators = Indicator.objects.filter(plan=round_.plan).count()
    values = Value.objects.filter(indicator__plan=round_.plan).count()
    log(
        f"Round: {round_.name} ({round_.region}: {round_.assignments.count()} assignments, "
        f"{indicators} indicators, {values:,} values)"
    )
    out = Path(args.out) if args.out else None

    def regional_docx():
        data = reports.round_report_data(round_)
        return reports.regional_report_docx(data, charts=reports.report_charts(data))

    def regional_pdf():
        data = reports.round_report_data(round_)
        return reports.regional_report_pdf(data, charts=reports.report_charts(data))

    def national():
        return reports.national_summary_docx(reports.national_summary_data(year))

    data = reports.round_report_data(round_)
    result = {
        "round_report_data": measure(
            "round_report_data", lambda: reports.round_report_data(round_), args.repeat, log
        ),
        "report_charts": measure("report_charts", lambda: reports.report_charts(data), args.repeat, log),
        "regional_docx": measure("regional report DOCX (all)", regional_docx, args.repeat, log),
    }
    if args.pdf:
        result["regional_pdf"] = measure("regional report PDF (all)", regional_pdf, args.repeat, log)
    result["national_summary_data"] = measure(
        f"national_summary_data({year})", lambda: reports.national_summary_data(year), args.repeat, log
    )
    result["national_docx"] = measure(f"national summary DOCX ({year})", national, args.repeat, log)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench_regional.docx").write_bytes(regional_docx())
        (out / "bench_national.docx").write_bytes(national())
        if args.pdf:
            (out / "bench_regional.pdf").write_bytes(regional_pdf())
        log(f"Documents written to {out}")
    result["report_passed"] = result["regional_docx"]["best_s"] < REPORT_TARGET_S
    result["national_passed"] = result["national_docx"]["best_s"] < NATIONAL_TARGET_S
    return result


def counts() -> dict:
    from socplan.monitoring.models import Assignment, Indicator, Value
    from socplan.territory.models import Municipality, Region

    return {
        "regions": Region.objects.count(),
        "municipalities": Municipality.objects.count(),
        "indicators": Indicator.objects.count(),
        "values": Value.objects.count(),
        "assignments": Assignment.objects.count(),
    }


# --- Main ---------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        "--database-url",
        dest="db",
        default=DEFAULT_DB,
        help=f"database URL (default {DEFAULT_DB}, or $BENCH_MONITORING_DATABASE_URL; a PostgreSQL one is created if missing)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop the (benchmark) database first")
    parser.add_argument(
        "--indicators", type=int, default=200, help="indicators per regional plan (default 200)"
    )
    parser.add_argument("--years", type=int, default=10, help="years of yearly municipal values (default 10)")
    parser.add_argument(
        "--region", default="SFO", help="region whose report is timed (default SFO: 22 municipalities)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after one warm-up (default 3)")
    parser.add_argument("--pdf", action="store_true", help="also time the regional report as PDF")
    parser.add_argument(
        "--skip-generate", action="store_true", help="use the database as it is (migrate only)"
    )
    parser.add_argument("--out", default="", help="folder to write the documents of the last run to")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.indicators < 1 or args.years < 1 or args.repeat < 1:
        parser.error("--indicators, --years and --repeat must be positive")

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="socplan-bench-monitoring-"))
    report: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    try:
        if args.db.startswith(("postgres://", "postgresql://")):
            ensure_database(args.db, fresh=args.fresh)
        configure(args.db, data_dir)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        log(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
        step = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        report["setup"] = {"migrate_s": round(time.monotonic() - step, 1)}
        if not args.skip_generate:
            report["setup"].update(base_data(log))
            log(
                f"Generating {args.indicators} indicators × {args.years} years of values per regional plan (idempotent)…"
            )
            report["generation"] = generate(args, log)
            log(f"Generation: {report['generation']['generate_s']} s")
        report["counts"] = counts()
        for name, value in report["counts"].items():
            log(f"  {name:16} {value:>10,}")
        report["timing"] = timings(args, log)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report["config"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report["total_s"] = round(time.monotonic() - started, 1)
    timing = report["timing"]
    print(
        f"\nSummary: regional report DOCX < {REPORT_TARGET_S:.0f} s: {timing['regional_docx']['best_s']} s "
        f"{'PASS' if timing['report_passed'] else 'FAIL'}; national summary < {NATIONAL_TARGET_S:.0f} s: "
        f"{timing['national_docx']['best_s']} s {'PASS' if timing['national_passed'] else 'FAIL'}. "
        f"Total {report['total_s']} s."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        print(f"Figures written to {args.json}")
    return 0 if timing["report_passed"] and timing["national_passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
