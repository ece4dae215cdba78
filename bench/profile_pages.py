"""Where the time of each benchmarked page goes: SQL queries, their time, repeats, Python time.

    .venv/bin/python bench/profile_pages.py [--db postgres://postgres@127.0.0.1:5432/socplan_bench]
                                            [--repeat 20] [--only NAME…] [--cprofile NAME] [--top 25]

Runs in-process (Django test client, no server), signed in as the bench regional expert of
Велико Търново, against a database filled by bench/generate.py. For each page of bench/load.py it
prints the mean time per request, the number of SQL queries and their time, the size of the
response, and the statements that run more than once (a sign of N+1 queries). --cprofile NAME
also prints the functions that take the most time for that page.
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/socplan_bench", help="a database filled by bench/generate.py")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the source folder to profile, e.g. an export of another commit")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page for the mean time (default 20)")
    parser.add_argument("--only", nargs="*", help="only the pages whose name or path contains one of these")
    parser.add_argument("--cprofile", help="profile the page whose name or path contains this")
    parser.add_argument("--top", type=int, default=25, help="lines of the profile to print")
    parser.add_argument("--show-sql", action="store_true", help="print every distinct statement")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(args.src.resolve()))
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("SOCPLAN_DATA_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socplan.config.settings.base")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.load import Fixture, pages
    from socplan.organizations.models import Body, Organization

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("Applying the migrations this database lacks…")
        call_command("migrate", interactive=False, verbosity=0)
    admin = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    body = Body.objects.filter(organization=admin, name__contains="[bench ").order_by("pk").first()
    user = User.objects.filter(username__startswith="bench.reg.vtr.").order_by("pk").first()
    if body is None or user is None:
        raise SystemExit("No bench data in this database: run bench/generate.py first.")
    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE="bg")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    plan = pages(Fixture(admin.pk, body.pk, [user.username]))
    if args.only:
        plan = [p for p in plan if any(s in p[0] or s in p[1] for s in args.only)]
    print(f"As {user.username}, database {connection.settings_dict['NAME']}, {args.repeat} requests per page\n")
    print(f"{'page':24} {'status':>6} {'ms/req':>8} {'queries':>8} {'SQL ms':>8} {'KB':>7}  repeated statements")
    for name, path in plan:
        response = client.get(path)  # warm: templates, caches, connection
        started = time.perf_counter()
        for _ in range(args.repeat):
            client.get(path)
        per_request = 1000 * (time.perf_counter() - started) / args.repeat
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        sql_ms = 1000 * sum(float(q["time"]) for q in ctx.captured_queries)
        shapes = Counter(re.sub(r"\b\d+\b|'[^']*'", "?", q["sql"]) for q in ctx.captured_queries)
        repeated = [f"{n}× {sql[:90]}" for sql, n in shapes.most_common() if n > 1]
        print(
            f"{name:24} {response.status_code:>6} {per_request:>8.1f} {len(ctx.captured_queries):>8} {sql_ms:>8.1f}"
            f" {len(response.content) / 1024:>7.1f}  {'; '.join(repeated[:3])}"
        )
        if args.show_sql:
            for q in ctx.captured_queries:
                print(f"      {float(q['time']) * 1000:7.2f} ms  {q['sql'][:300]}")
    if args.cprofile:
        match = [p for p in plan if args.cprofile in p[0] or args.cprofile in p[1]]
        if not match:
            raise SystemExit(f"No page matches {args.cprofile!r}")
        name, path = match[0]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(f"\nProfile of {name} ({path}), {args.repeat} requests, by cumulative time:")
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
