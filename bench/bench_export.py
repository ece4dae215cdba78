"""Time the exports of a large plan: DOCX, PDF and XLSX of one version with N elements.

    .venv/bin/python bench/bench_export.py [--nodes 500] [--repeat 3] [--db URL]

Without --db it works in a throwaway SQLite database in a temporary data folder (SOCPLAN_DATA_DIR),
migrated on the spot; with --db (e.g. postgres://postgres@127.0.0.1:5432/socplan_bench_export) it
uses that database, creating it if missing, and replaces the benchmark plan it left there before.

The plan is a municipal strategy shaped like document 000's chapter 7: 5 priorities × 4 general
goals × 5 measures, and activities spread over the measures up to N elements in all (N=500 gives
125 goals and measures and 375 activities), each with a description, expected results, dates, a
budget (every 7th in euros, so the mixed-currency total is exercised), one or two financing lines,
a lead and a partner organisation and a target group; plus stages, an institutional framework,
partnership instruments, a communication programme and the adoption act. Rows are made with
bulk_create (no audit history: the exports do not read it).

Printed per format: best and mean wall-clock time of --repeat runs, the best CPU time of this
process (the database's own time not included: small here), the size, the number of queries of
one run and, for the PDF, its pages (pypdfium2). "collect" is the shared read of the version that
each format starts with.
"""

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("SOCPLAN_SRC") or str(ROOT / "src"))

TAG = "[bench export]"


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=500, help="elements of the plan's tree (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format (default 3)")
    parser.add_argument("--db", default="", help="database URL (default: a throwaway SQLite database)")
    parser.add_argument("--formats", default="docx,pdf,xlsx", help="comma-separated (default docx,pdf,xlsx)")
    parser.add_argument("--out", default="", help="folder to write the last run's files to")
    return parser.parse_args()


def _ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE when the one the URL names does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def _setup_django(args: argparse.Namespace) -> str:
    data_dir = tempfile.mkdtemp(prefix="socplan-bench-export-")
    os.environ["SOCPLAN_DATA_DIR"] = data_dir
    os.environ["SOCPLAN_READ_DOT_ENV"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "socplan.config.settings.base"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.db:
        if args.db.startswith(("postgres://", "postgresql://")):
            _ensure_postgres_database(args.db)
        os.environ["DATABASE_URL"] = args.db
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    import django

    django.setup()
    return data_dir


def _place():
    """A made-up region, municipality and the organisations the plan names (kept between runs)."""
    from socplan.organizations.models import Organization
    from socplan.territory.models import Municipality, Region

    Kind = Organization.Kind
    region, _ = Region.objects.get_or_create(
        code="BNC",
        defaults={
            "name_bg": "Бенчово",
            "name_en": "Benchovo",
            "nuts1": "BG3",
            "nuts2": "BG31",
            "nuts3": "BG399",
            "center_ekatte": "99999",
        },
    )
    municipality, _ = Municipality.objects.get_or_create(
        code="BNC01",
        defaults={
            "name_bg": "Бенчово",
            "name_en": "Benchovo",
            "region": region,
            "nuts3": "BG399",
            "center_ekatte": "99999",
        },
    )

    def org(kind, name):
        return Organization.objects.get_or_create(
            kind=kind, name=name, defaults={"region": region, "municipality": municipality}
        )[0]

    owner = org(Kind.MUNICIPALITY, "Община Бенчово")
    council = org(Kind.MUNICIPAL_COUNCIL, "Общински съвет Бенчово")
    partners = [org(Kind.DSP, "Дирекция „Социално подпомагане“ Бенчово")] + [
        org(Kind.NGO, f"Сдружение „Подкрепа {i}“ {TAG}") for i in range(1, 6)
    ]
    return region, municipality, owner, council, partners


LOREM = (
    "Осигуряване на равен достъп до качествени социални услуги в общността чрез развитие на мрежата от "
    "услуги, подкрепа на семействата и превенция на институционализацията; изграждане на капацитет на "
    "персонала и на доставчиците, междуобщинско партньорство и междусекторно сътрудничество."
)


def build_plan(total: int):
    """A plan with `total` nodes, made with bulk_create level by level (parents need their ids)."""
    from socplan.plans.models import (
        AdoptionAct,
        CommunicationItem,
        FinancingLine,
        Level,
        Node,
        PartnershipInstrument,
        Plan,
        PlanVersion,
        Responsibility,
        Stage,
        StakeholderRole,
        TargetGroup,
    )

    region, municipality, owner, council, partners = _place()
    for plan in Plan.objects.filter(title__contains=TAG):
        plan.current_version = None
        plan.save(update_fields=["current_version"])
        plan.versions.all().delete()
        plan.delete()

    plan = Plan.objects.create(
        kind=Plan.Kind.MUNICIPAL_STRATEGY,
        title=f"Стратегия за развитие на социалните услуги в община Бенчово {TAG}",
        region=region,
        municipality=municipality,
        owner=owner,
        period_start=2016,
        period_end=2020,
        status=Plan.Status.IN_FORCE,
        is_public=True,
    )
    version = PlanVersion.objects.create(
        plan=plan, number=1, status=PlanVersion.Status.ADOPTED, vision=LOREM, introduction=f"{LOREM}\n{LOREM}"
    )
    plan.current_version = version
    plan.save(update_fields=["current_version"])
    AdoptionAct.objects.create(
        version=version,
        body=council,
        decision_number="84",
        protocol_number="8",
        adopted_on=datetime.date(2016, 3, 25),
        signed_by="Огнян Янчев\nПредседател ОбС Бенчово",
    )
    stage_spans = [
        (Stage.Kind.PREPARATORY, "Подготвителен етап", datetime.date(2016, 1, 1), datetime.date(2016, 3, 31)),
        (Stage.Kind.IMPLEMENTATION, "Първи етап", datetime.date(2016, 4, 1), datetime.date(2018, 9, 30)),
        (
            Stage.Kind.INTERIM_EVALUATION,
            "Оценка и препланиране",
            datetime.date(2018, 10, 1),
            datetime.date(2018, 12, 31),
        ),
        (Stage.Kind.IMPLEMENTATION, "Втори етап", datetime.date(2019, 1, 1), datetime.date(2020, 9, 30)),
        (
            Stage.Kind.FINAL_EVALUATION,
            "Финална оценка",
            datetime.date(2020, 10, 1),
            datetime.date(2020, 12, 31),
        ),
    ]
    stages = Stage.objects.bulk_create(
        Stage(
            version=version,
            kind=kind,
            title=title,
            starts_on=start,
            ends_on=end,
            order=i,
            activities="• Изпълнение на дейностите по стратегията;\n• Оперативно планиране",
        )
        for i, (kind, title, start, end) in enumerate(stage_spans)
    )
    StakeholderRole.objects.bulk_create(
        StakeholderRole(
            version=version,
            stakeholder=f"Заинтересована страна {i}",
            order=i,
            responsibilities="\n".join(f"• Отговорност {j}: {LOREM[:120]}" for j in range(1, 6)),
        )
        for i in range(1, 11)
    )
    PartnershipInstrument.objects.bulk_create(
        PartnershipInstrument(
            version=version, kind=kind, description=LOREM, partners="Община Бенчово, НПО", order=i
        )
        for i, kind in enumerate(PartnershipInstrument.Kind.values)
    )
    CommunicationItem.objects.bulk_create(
        CommunicationItem(version=version, kind=kind, text=f"{kind} {i}: {LOREM[:100]}", order=i)
        for kind in CommunicationItem.Kind.values
        for i in range(1, 5)
    )

    shape = [(Level.PRIORITY, 5), (Level.GENERAL_GOAL, 4), (Level.MEASURE, 5)]
    upper = 5 + 5 * 4 + 5 * 4 * 5
    activities = max(0, total - upper)
    created = 0
    parents: list = [None]
    all_nodes = []
    for level, per_parent in shape:
        batch = []
        for parent in parents:
            for position in range(per_parent):
                if created >= total:
                    break
                number = f"{parent.number}.{position + 1}" if parent else str(position + 1)
                batch.append(_new_node(Node, version, parent, level, number, position, None))
                created += 1
        parents = Node.objects.bulk_create(batch)
        all_nodes += parents
    measures = parents if shape[-1][0] == Level.MEASURE else []
    batch = []
    for index in range(min(activities, total - created)):
        measure = measures[index % len(measures)]
        position = index // len(measures)
        number = f"{measure.number}.{position + 1}"
        batch.append(_new_node(Node, version, measure, Level.ACTIVITY, number, position, stages[index % 5]))
    all_nodes += Node.objects.bulk_create(batch)
    # Documents list nodes by position among siblings; positions above follow creation order.

    lines, roles, groups = [], [], []
    target_groups = list(TargetGroup.objects.all()[:8])
    Through = Node.target_groups.through
    for index, node in enumerate(all_nodes):
        if node.level != Level.ACTIVITY:
            continue
        currency = "EUR" if index % 7 == 0 else "BGN"
        lines.append(
            FinancingLine(
                node=node,
                source=FinancingLine.Source.LOCAL_REVENUE,
                amount=node.budget / 2,
                currency=currency,
                year=2017,
            )
        )
        if index % 2:
            lines.append(
                FinancingLine(
                    node=node,
                    source=FinancingLine.Source.PROJECT,
                    programme="ОП РЧР",
                    amount=node.budget / 2,
                    currency=currency,
                    year=2018,
                )
            )
        roles.append(Responsibility(node=node, organization=owner, role=Responsibility.Role.LEAD))
        roles.append(
            Responsibility(
                node=node, organization=partners[index % len(partners)], role=Responsibility.Role.PARTNER
            )
        )
        if target_groups:
            groups.append(
                Through(node_id=node.pk, targetgroup_id=target_groups[index % len(target_groups)].pk)
            )
    FinancingLine.objects.bulk_create(lines)
    Responsibility.objects.bulk_create(roles)
    Through.objects.bulk_create(groups)
    # Every 7th activity in euros, so the budget column mixes currencies.
    Node.objects.filter(
        version=version,
        level=Level.ACTIVITY,
        id__in=[n.pk for i, n in enumerate(all_nodes) if n.level == Level.ACTIVITY and i % 7 == 0],
    ).update(budget_currency="EUR")
    return version, len(all_nodes), len(lines)


def _new_node(Node, version, parent, level, number, position, stage):
    from socplan.plans.models import Level

    activity = level == Level.ACTIVITY
    return Node(
        version=version,
        parent=parent,
        level=level,
        number=number,
        position=position,
        title=f"{LOREM[: 60 + position * 7]} ({number})",
        description=f"{LOREM}\n• {LOREM[:90]};\n• {LOREM[90:180]}."
        if not activity or position % 2
        else LOREM,
        expected_results=f"Обхванати {20 + position} лица; проведени {position + 2} обучения"
        if activity
        else "",
        responsible_text="Община Бенчово, ДСП" if activity else "",
        stage=stage,
        starts_on=datetime.date(2016 + position % 3, 1 + position % 12, 1) if activity else None,
        ends_on=datetime.date(2019 + position % 2, 12, 31) if activity else None,
        budget=Decimal(10000 + 1234 * position).quantize(Decimal("0.01")) if activity else None,
    )


def main() -> None:
    args = _parse()
    data_dir = _setup_django(args)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    version, nodes, lines = build_plan(args.nodes)
    built = time.perf_counter()
    vendor = connection.vendor
    print(f"database: {vendor} ({'throwaway ' + data_dir if not args.db else args.db})")
    print(
        f"migrate {migrated - started:.1f} s; plan built in {built - migrated:.1f} s: "
        f"{nodes} nodes, {lines} financing lines"
    )

    from socplan.plans import exports

    writers = {"docx": exports.plan_docx, "pdf": exports.plan_pdf, "xlsx": exports.action_plan_xlsx}
    chosen = [fmt for fmt in args.formats.split(",") if fmt in writers]
    translation.activate("bg")
    rows = []
    with CaptureQueriesContext(connection) as queries:
        exports.collect(version)
    collect_times, collect_cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        exports.collect(version)
        collect_times.append(time.perf_counter() - t0)
        collect_cpu.append(time.process_time() - c0)
    rows.append(
        (
            "collect",
            min(collect_times),
            statistics.mean(collect_times),
            min(collect_cpu),
            None,
            len(queries),
            None,
        )
    )
    for fmt in chosen:
        times, cpu = [], []
        content = b""
        for run in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                t0, c0 = time.perf_counter(), time.process_time()
                content = writers[fmt](version)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        pages = None
        if fmt == "pdf":
            import pypdfium2

            document = pypdfium2.PdfDocument(content)
            pages = len(document)
            document.close()
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / f"bench_plan.{fmt}").write_bytes(content)
        rows.append((fmt, min(times), statistics.mean(times), min(cpu), len(content), len(queries), pages))

    print()
    print(f"{'format':<8}{'best s':>9}{'mean s':>9}{'cpu s':>8}{'size KB':>10}{'queries':>9}{'pages':>7}")
    for name, best, mean, cpu_best, size, count, pages in rows:
        size_text = f"{size / 1024:.0f}" if size is not None else "–"
        pages_text = str(pages) if pages else "–"
        print(f"{name:<8}{best:>9.2f}{mean:>9.2f}{cpu_best:>8.2f}{size_text:>10}{count:>9}{pages_text:>7}")
    print(
        f"\n({args.repeat} runs each, {nodes} nodes, language bg. Wall-clock best and mean; CPU time: the "
        f"best of this process, steadier than the wall clock on a shared machine. Load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    if not args.db:
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
