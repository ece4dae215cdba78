"""Load test of the main pages against gunicorn and PostgreSQL, with the trivial view as yardstick.

    .venv/bin/python bench/load.py [--users 20] [--duration 15] [--scale 1]
                                   [--db postgres://postgres@127.0.0.1:5432/socplan_bench] [--json FILE]

1. creates the database if it is missing (--fresh: drops it first) and fills it with
   bench/generate.py --scale N;
2. collects the static files and starts gunicorn on a free loopback port, with its own data folder
   (var/bench), DEBUG off;
3. signs in the virtual users (Django sessions of the bench regional experts of Велико Търново, or a
   real POST to the login form with --login);
4. drives each page in turn with N concurrent closed-loop users (no think time, keep-alive) for D
   seconds, after a short warm-up;
5. prints requests, rps, p50/p95 latency and errors per page, their ratio to /healthz measured in
   the same run, and PASS/FAIL against the targets (p95 < 150 ms, rps ≥ 40 % of /healthz, no errors);
6. stops gunicorn, also on errors and Ctrl-C.

Only loopback traffic. The run is bounded: pages × (warm-up + duration) plus the set-up.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
VENV_BIN = Path(sys.executable).parent
BENCH_DATA_DIR = ROOT / "var" / "bench"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/socplan_bench"
P95_TARGET_MS = 150.0
RPS_RATIO_TARGET = 0.40
SESSION_COOKIE = "sessionid"

try:
    import aiohttp
except ImportError:  # pragma: no cover - a hint, not a feature
    sys.exit("aiohttp is missing: .venv/bin/pip install 'aiohttp>=3.11,<4'  (or pip install -e '.[bench]')")


# --- Set-up -------------------------------------------------------------------------------------


def db_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise SystemExit(f"Use a plain database name in --db (letters, digits, _): {name!r}")
    return name


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the database of `url` if it is missing (drop it first with fresh), via the `postgres` db."""
    import psycopg

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("--db must be a PostgreSQL URL (postgres://user@host:port/name)")
    name = db_name(url)
    admin_url = urlunsplit((parts.scheme.replace("pgsql", "postgresql"), parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"Dropped database {name}.")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


def server_env(url: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "SOCPLAN_DATA_DIR": str(BENCH_DATA_DIR),
            "DEBUG": "0",
            "PYTHONPATH": str(SRC),
            "DJANGO_SETTINGS_MODULE": "socplan.config.settings.base",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_step(title: str, cmd: list[str], env: dict) -> float:
    print(f"$ {title}", flush=True)
    started = time.monotonic()
    result = subprocess.run(cmd, env=env, cwd=ROOT)
    elapsed = time.monotonic() - started
    if result.returncode == 3 and "generate.py" in " ".join(cmd):
        raise SystemExit("The database holds a larger scale: pass --fresh (drop and regenerate) or another --db.")
    if result.returncode != 0:
        raise SystemExit(f"{title} failed with exit code {result.returncode}")
    return elapsed


@dataclass
class Fixture:
    """What the page list needs from the database, and the sessions of the virtual users."""

    vtr_administration_id: int
    vtr_body_id: int
    usernames: list[str]
    session_keys: list[str] = field(default_factory=list)


def prepare_fixture(url: str, *, users: int, make_sessions: bool) -> Fixture:
    """Find the ids the pages need and (unless --login) create one session per virtual user."""
    os.environ.update({k: v for k, v in server_env(url).items() if k in ("DATABASE_URL", "SOCPLAN_DATA_DIR", "DEBUG", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL")})
    sys.path.insert(0, str(SRC))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from socplan.organizations.models import Body, Organization, RoleAssignment

    admin = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    body = Body.objects.filter(organization=admin, name__contains="[bench ").order_by("pk").first()
    if body is None:
        raise SystemExit("No bench body in Велико Търново: did bench/generate.py run?")
    experts = list(
        User.objects.filter(
            username__startswith="bench.reg.vtr.",
            role_assignments__role=RoleAssignment.Role.REGIONAL_EXPERT,
            role_assignments__organization=admin,
        ).order_by("pk")
    )
    if not experts:
        raise SystemExit("No bench regional expert of Велико Търново: did bench/generate.py run?")
    chosen = [experts[i % len(experts)] for i in range(users)]
    fixture = Fixture(admin.pk, body.pk, [u.username for u in chosen])
    if make_sessions:
        for user in chosen:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            fixture.session_keys.append(store.session_key)
    connection.close()
    return fixture


def delete_sessions(keys: list[str]) -> None:
    if not keys:
        return
    from django.contrib.sessions.models import Session
    from django.db import connection

    try:
        Session.objects.filter(session_key__in=keys).delete()
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group; stop() always ends it (TERM, then KILL)."""

    def __init__(self, args, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = BENCH_DATA_DIR / "gunicorn.log"
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "socplan.config.wsgi",
            "--chdir", str(SRC),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(args.workers),
            "--worker-class", args.worker_class,
            "--keep-alive", "30",
            "--backlog", "512",
            "--timeout", "60",
            "--error-logfile", str(self.log_path),
            "--log-level", "warning",
        ]
        if args.worker_class == "gthread":
            cmd += ["--threads", str(args.threads)]
        self.cmd = cmd
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def describe(self) -> str:
        threads = f" × {self._threads()} threads" if "--threads" in self.cmd else ""
        return f"gunicorn {self.cmd[self.cmd.index('--worker-class') + 1]}, {self.cmd[self.cmd.index('--workers') + 1]} workers{threads}, {self.base}"

    def _threads(self) -> str:
        return self.cmd[self.cmd.index("--threads") + 1]

    async def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"gunicorn exited with code {self.proc.returncode}; see {self.log_path}")
                try:
                    async with session.get(f"{self.base}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as resp:
                        if resp.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                await asyncio.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.log.close()


# --- Load ---------------------------------------------------------------------------------------


@dataclass
class Result:
    page: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_kb: float
    statuses: dict
    rps_ratio: float | None = None
    p95_ratio: float | None = None
    passed: bool | None = None


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


class VirtualUser:
    """One browser: its own connection (kept alive) and its own session cookie."""

    def __init__(self, base: str, session_key: str | None):
        self.base = base
        self.session_key = session_key
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=30),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=30),
        )

    def headers(self) -> dict:
        headers = {"Accept-Language": "bg", "Accept": "text/html,application/json"}
        if self.session_key:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.session_key}"
        return headers

    async def login(self, username: str, password: str) -> None:
        """A real sign-in through the login form (CSRF cookie and token), keeping the session cookie."""
        async with self.http.get(f"{self.base}/accounts/login/") as resp:
            html = await resp.text()
            csrf_cookie = resp.cookies.get("csrftoken")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not (match and csrf_cookie):
            raise SystemExit("The login page has no CSRF token")
        async with self.http.post(
            f"{self.base}/accounts/login/",
            data={"csrfmiddlewaretoken": match.group(1), "username": username, "password": password},
            headers={"Cookie": f"csrftoken={csrf_cookie.value}", "Referer": f"{self.base}/accounts/login/"},
            allow_redirects=False,
        ) as resp:
            await resp.read()
            session = resp.cookies.get(SESSION_COOKIE)
            if resp.status != 302 or session is None:
                raise SystemExit(f"Login of {username} failed (HTTP {resp.status}); is the account locked (django-axes)?")
            self.session_key = session.value

    async def get(self, path: str) -> tuple[int, float, int]:
        started = time.perf_counter()
        try:
            async with self.http.get(f"{self.base}{path}", headers=self.headers(), allow_redirects=False) as resp:
                body = await resp.read()
                return resp.status, time.perf_counter() - started, len(body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return -1 if not isinstance(exc, asyncio.TimeoutError) else -2, time.perf_counter() - started, 0

    async def close(self) -> None:
        await self.http.close()


async def drive(vusers: list[VirtualUser], page: str, path: str, seconds: float, *, record: bool = True) -> Result | None:
    """Every virtual user requests `path` again and again, for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sizes = 0
    deadline = time.perf_counter() + seconds

    async def loop(vu: VirtualUser):
        nonlocal sizes
        while time.perf_counter() < deadline:
            status, latency, size = await vu.get(path)
            latencies.append(latency)
            statuses[status] = statuses.get(status, 0) + 1
            sizes += size
            if status < 0:  # the server is gone or hung: do not spin
                await asyncio.sleep(0.05)

    started = time.perf_counter()
    await asyncio.gather(*(loop(vu) for vu in vusers))
    elapsed = time.perf_counter() - started
    if not record:
        return None
    latencies.sort()
    n = len(latencies)
    return Result(
        page=page,
        requests=n,
        errors=sum(count for status, count in statuses.items() if status != 200),
        seconds=round(elapsed, 2),
        rps=round(n / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(1000 * percentile(latencies, 50), 1),
        p95_ms=round(1000 * percentile(latencies, 95), 1),
        p99_ms=round(1000 * percentile(latencies, 99), 1),
        mean_kb=round(sizes / n / 1024, 1) if n else 0.0,
        statuses={str(k): v for k, v in sorted(statuses.items())},
    )


def pages(fixture: Fixture) -> list[tuple[str, str]]:
    return [
        ("healthz (trivial)", "/healthz"),
        ("home", "/"),
        ("region list", "/territory/"),
        ("region VTR", "/territory/regions/VTR/"),
        ("municipality VTR04", "/territory/municipalities/VTR04/"),
        ("organisation list", "/organizations/"),
        ("organisation: OA VTR", f"/organizations/{fixture.vtr_administration_id}/"),
        ("body of VTR", f"/organizations/bodies/{fixture.vtr_body_id}/"),
        ("API municipalities VTR", "/api/v1/municipalities/?region=VTR"),
        ("API organisations VTR", "/api/v1/organizations/?region=VTR"),
    ]


async def check_pages(vusers: list[VirtualUser], plan: list[tuple[str, str]]) -> list[str]:
    """One request per page first: a page that does not answer 200 is reported before the load."""
    problems = []
    for page, path in plan:
        status, _latency, _size = await vusers[0].get(path)
        if status != 200:
            problems.append(f"{page} {path}: HTTP {status}")
    return problems


async def run_load(args, server: Server, fixture: Fixture) -> list[Result]:
    vusers = [VirtualUser(server.base, key) for key in (fixture.session_keys or [None] * args.users)]
    try:
        if args.login:
            print(f"Signing in {len(vusers)} virtual users through the login form…", flush=True)
            for vu, username in zip(vusers, fixture.usernames):
                await vu.login(username, args.password)
        plan = pages(fixture)
        if args.only:
            plan = [plan[0]] + [p for p in plan[1:] if any(s in p[0] or s in p[1] for s in args.only)]
        for problem in await check_pages(vusers, plan):
            print(f"  warning: {problem}")
        # Warm every worker and its database connection on every page once.
        for _page, path in plan:
            await asyncio.gather(*(vu.get(path) for vu in vusers))
        results = []
        for page, path in plan:
            print(f"  {page:24} {path}", end="", flush=True)
            if args.warmup > 0:
                await drive(vusers, page, path, args.warmup, record=False)
            result = await drive(vusers, page, path, args.duration)
            print(f"  → {result.rps:8.1f} rps, p95 {result.p95_ms:7.1f} ms, errors {result.errors}", flush=True)
            results.append(result)
        return results
    finally:
        await asyncio.gather(*(vu.close() for vu in vusers))


def judge(results: list[Result]) -> None:
    base = results[0]
    for r in results:
        r.rps_ratio = round(r.rps / base.rps, 3) if base.rps else None
        r.p95_ratio = round(r.p95_ms / base.p95_ms, 2) if base.p95_ms else None
        r.passed = r.errors == 0 and r.p95_ms < P95_TARGET_MS and (r.rps_ratio or 0) >= RPS_RATIO_TARGET


def print_table(results: list[Result]) -> None:
    header = f"{'page':24} {'requests':>8} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} {'KB':>6} {'rps/hz':>7} {'p95/hz':>7}  target"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        why = []
        if r.p95_ms >= P95_TARGET_MS:
            why.append("p95")
        if (r.rps_ratio or 0) < RPS_RATIO_TARGET:
            why.append("rps")
        if r.errors:
            why.append("errors")
        verdict = "PASS" if r.passed else "FAIL (" + ", ".join(why) + ")"
        print(
            f"{r.page:24} {r.requests:>8} {r.rps:>8.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.errors:>6} {r.mean_kb:>6.1f}"
            f" {r.rps_ratio or 0:>6.0%} {r.p95_ratio or 0:>7.1f}  {verdict}"
        )
    print(f"\nTargets: p95 < {P95_TARGET_MS:.0f} ms, rps ≥ {RPS_RATIO_TARGET:.0%} of /healthz's, no errors (non-200).")
    failed = [r.page for r in results if not r.passed]
    print("All pages meet the targets." if not failed else f"Missing the targets: {', '.join(failed)}.")


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="concurrent virtual users (default 20)")
    parser.add_argument("--duration", type=float, default=15, help="seconds of measured load per page (default 15)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load before each page (default 2)")
    parser.add_argument("--scale", type=int, default=1, help="size of the generated dataset (bench/generate.py --scale)")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"PostgreSQL database to use (default {DEFAULT_DB})")
    parser.add_argument("--fresh", action="store_true", help="drop the database first and generate it anew")
    parser.add_argument("--skip-generate", action="store_true", help="use the database as it is")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"], help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--login", action="store_true", help="sign in through the login form instead of creating sessions")
    parser.add_argument("--password", default="bench-password-123", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", help="only the pages whose name or path contains one of these (and /healthz)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0 or args.scale < 1:
        parser.error("--users, --duration and --scale must be positive")

    BENCH_DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = server_env(args.db)
    python = str(VENV_BIN / "python")
    timings = {}
    ensure_database(args.db, fresh=args.fresh)
    if not args.skip_generate:
        timings["generate_s"] = round(
            run_step(f"generate.py --scale {args.scale}", [python, str(ROOT / "bench" / "generate.py"), "--scale", str(args.scale)], env), 1
        )
        print(f"(generate took {timings['generate_s']} s)")
    run_step("collectstatic", [python, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], env)
    fixture = prepare_fixture(args.db, users=args.users, make_sessions=not args.login)

    server = None
    interrupted = False

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        server = Server(args, env)
        print(f"Started {server.describe()}", flush=True)
        asyncio.run(server.wait_ready())
        print(
            f"Load: {args.users} users × {args.duration:g} s per page (+{args.warmup:g} s warm-up), "
            f"scale {args.scale}, as {fixture.usernames[0]}{' (form login)' if args.login else ''}",
            flush=True,
        )
        results = asyncio.run(run_load(args, server, fixture))
    except KeyboardInterrupt:
        interrupted = True
        results = []
    finally:
        if server is not None:
            server.stop()
            print("Stopped gunicorn.")
        signal.signal(signal.SIGTERM, previous)
        delete_sessions(fixture.session_keys)
    if interrupted:
        print("Interrupted.", file=sys.stderr)
        return 130

    judge(results)
    print_table(results)
    if args.json:
        payload = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": git_commit(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "config": {
                "users": args.users,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "scale": args.scale,
                "database": db_name(args.db),
                "server": server.describe() if server else "",
                "login": "form" if args.login else "session",
            },
            "timings": timings,
            "targets": {"p95_ms_below": P95_TARGET_MS, "rps_ratio_at_least": RPS_RATIO_TARGET},
            "results": [asdict(r) for r in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        print(f"Figures written to {args.json}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
