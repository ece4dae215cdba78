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
CLIENT_TIMEOUT_S = 60  # a request slower than this counts as an error

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
            if not name.startswith("socplan_bench"):
                raise SystemExit(f"--fresh drops only a benchmark database (socplan_bench…), not {name}")
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"Dropped database {name}.")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"Created database {name}.")


# The shared cache of the production set-up (Redis); "" serves with each process's own cache.
CACHE_URL = "redis://127.0.0.1:6379/2"


def server_env(url: str, src: Path = SRC) -> dict:
    env = dict(os.environ)
    if CACHE_URL:
        env["CACHE_URL"] = CACHE_URL
    env.update(
        {
            "DATABASE_URL": url,
            "SOCPLAN_DATA_DIR": str(BENCH_DATA_DIR),
            "DEBUG": "0",
            "PYTHONPATH": str(src),
            "SOCPLAN_SRC": str(src),
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


def prepare_fixture(url: str, *, src: Path, users: int, make_sessions: bool) -> Fixture:
    """Find the ids the pages need and (unless --login) create one session per virtual user."""
    os.environ.update({k: v for k, v in server_env(url).items() if k in ("DATABASE_URL", "SOCPLAN_DATA_DIR", "DEBUG", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL", "CACHE_URL")})
    sys.path.insert(0, str(src))
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
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
    # A session written here reaches the server only through the database (db or cached_db).
    if make_sessions and settings.SESSION_ENGINE not in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"):
        print(f"Sessions are kept by {settings.SESSION_ENGINE}: signing in through the login form instead.")
        make_sessions = False
    if make_sessions:
        SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
        for user in chosen:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            # The backend a sign-in through the form records (the last of AUTHENTICATION_BACKENDS).
            store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
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


def _die_with_parent() -> None:
    """In the child before exec: on Linux, get SIGTERM if this script dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Server:
    """gunicorn in its own process group; stop() always ends it (TERM, then KILL)."""

    def __init__(self, args, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = BENCH_DATA_DIR / "gunicorn.log"
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "socplan.config.wsgi",
            "--chdir", str(args.src),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(args.workers),
            "--worker-class", args.worker_class,
            "--keep-alive", "30",
            "--backlog", "512",
            "--timeout", "120",
            "--error-logfile", str(self.log_path),
            "--log-level", "warning",
        ]
        # Recent gunicorn opens a control socket at one fixed path per user by default, which another
        # gunicorn on the machine shares (and can be stopped through): not for a benchmark.
        if "--no-control-socket" in subprocess.run([cmd[0], "--help"], capture_output=True, text=True).stdout:
            cmd.append("--no-control-socket")
        if args.worker_class == "gthread":
            cmd += ["--threads", str(args.threads)]
        self.cmd = cmd
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
        )

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


class CpuMeter:
    """CPU seconds used by the gunicorn processes, by this script, and by the whole machine (Linux /proc).

    The server's CPU time per request is steadier than rps when other programs share the machine;
    "other" (machine busy time minus server and client) includes PostgreSQL and anything else running.
    """

    def __init__(self, master_pid: int):
        self.master_pid = master_pid
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.available = Path("/proc/stat").exists()

    def _proc_stat(self, pid: int) -> list[str] | None:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on

    def _server_seconds(self) -> float:
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            fields = self._proc_stat(int(entry.name))
            if fields is None:
                continue
            if int(entry.name) == self.master_pid or int(fields[1]) == self.master_pid:  # fields[1]: ppid
                total += (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        return total

    def _machine_busy_seconds(self) -> float:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        return (sum(values[:8]) - idle) / self.tick

    def snapshot(self) -> tuple[float, float, float]:
        if not self.available:
            return (0.0, 0.0, 0.0)
        client = sum(os.times()[:2])
        return (self._server_seconds(), client, self._machine_busy_seconds())


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
    server_cpu_ms: float | None = None  # gunicorn CPU time per request
    client_cpu_pct: float | None = None  # this script, % of all cores
    other_cpu_pct: float | None = None  # everything else (PostgreSQL included), % of all cores
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
            timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S),
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


async def drive(
    vusers: list[VirtualUser], page: str, path: str, seconds: float, *, record: bool = True, meter: CpuMeter | None = None
) -> Result | None:
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

    cpu_before = meter.snapshot() if meter else None
    started = time.perf_counter()
    await asyncio.gather(*(loop(vu) for vu in vusers))
    elapsed = time.perf_counter() - started
    if not record:
        return None
    latencies.sort()
    n = len(latencies)
    cpu = {}
    if meter and meter.available and n and elapsed:
        server, client, busy = (after - before for after, before in zip(meter.snapshot(), cpu_before))
        cores = os.cpu_count() or 1
        cpu = {
            "server_cpu_ms": round(1000 * server / n, 2),
            "client_cpu_pct": round(100 * client / (elapsed * cores), 1),
            "other_cpu_pct": round(max(0.0, 100 * (busy - server - client) / (elapsed * cores)), 1),
        }
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
        **cpu,
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
        if not fixture.session_keys:
            print(f"Signing in {len(vusers)} virtual users through the login form…", flush=True)
            await asyncio.gather(*(vu.login(username, args.password) for vu, username in zip(vusers, fixture.usernames)))
        plan = pages(fixture)
        if args.only:
            plan = [plan[0]] + [p for p in plan[1:] if any(s in p[0] or s in p[1] for s in args.only)]
        for problem in await check_pages(vusers, plan):
            print(f"  warning: {problem}")
        # Warm every worker and its database connection on every page once.
        for _page, path in plan:
            await asyncio.gather(*(vu.get(path) for vu in vusers))
        results = []
        meter = CpuMeter(server.proc.pid)
        for page, path in plan:
            print(f"  {page:24} {path}", end="", flush=True)
            if args.warmup > 0:
                await drive(vusers, page, path, args.warmup, record=False)
            result = await drive(vusers, page, path, args.duration, meter=meter)
            note = f" {result.statuses}" if result.errors else ""
            print(f"  → {result.rps:8.1f} rps, p95 {result.p95_ms:7.1f} ms, errors {result.errors}{note}", flush=True)
            if server.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited during the run (code {server.proc.returncode}); see {server.log_path}")
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


def _num(value: float | None, width: int, digits: int) -> str:
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'–':>{width}}"


def print_table(results: list[Result]) -> None:
    header = (
        f"{'page':24} {'requests':>8} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} {'KB':>6}"
        f" {'rps/hz':>7} {'p95/hz':>7} {'cpu ms':>7} {'other%':>6}  target"
    )
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
            f" {r.rps_ratio or 0:>6.0%} {r.p95_ratio or 0:>7.1f} {_num(r.server_cpu_ms, 7, 2)} {_num(r.other_cpu_pct, 6, 0)}  {verdict}"
        )
    print(
        "\ncpu ms: gunicorn CPU time per request; other%: CPU of everything but gunicorn and this script"
        " (PostgreSQL included), in % of all cores — a high value means the figures were disturbed."
    )
    print(f"Targets: p95 < {P95_TARGET_MS:.0f} ms, rps ≥ {RPS_RATIO_TARGET:.0%} of /healthz's, no errors (non-200).")
    failed = [r.page for r in results if not r.passed]
    print("All pages meet the targets." if not failed else f"Missing the targets: {', '.join(failed)}.")


def git_commit(src: Path) -> str:
    """The commit of the served source, with "+changes" if its working tree differs (taken at the start)."""
    if src != SRC:
        return ""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
    return f"{commit}+changes" if dirty else commit


def main(argv=None) -> int:
    global CACHE_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="concurrent virtual users (default 20)")
    parser.add_argument("--duration", type=float, default=15, help="seconds of measured load per page (default 15)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load before each page (default 2)")
    parser.add_argument("--scale", type=int, default=1, help="size of the generated dataset (bench/generate.py --scale)")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"PostgreSQL database to use (default {DEFAULT_DB})")
    parser.add_argument("--fresh", action="store_true", help="drop the database first and generate it anew")
    parser.add_argument("--skip-generate", action="store_true", help="use the database as it is")
    # On 2 cores, 3 sync workers gave the same throughput as gthread and the tightest p95 (see README).
    parser.add_argument(
        "--cache",
        default="redis://127.0.0.1:6379/2",
        help="CACHE_URL of the server (default redis://127.0.0.1:6379/2, emptied at the start; '' for per-process memory)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"], help="gunicorn worker class (default sync)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--login", action="store_true", help="sign in through the login form instead of creating sessions")
    parser.add_argument("--password", default="bench-password-123", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", help="only the pages whose name or path contains one of these (and /healthz)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--src", type=Path, default=SRC, help="source folder to serve (default src/; e.g. an export of another commit)")
    args = parser.parse_args(argv)
    CACHE_URL = args.cache
    if CACHE_URL.startswith("redis://"):
        import redis

        # Stale entries of an earlier run (another database) must not be served.
        redis.Redis.from_url(CACHE_URL).flushdb()
    if args.users < 1 or args.duration <= 0 or args.scale < 1:
        parser.error("--users, --duration and --scale must be positive")

    BENCH_DATA_DIR.mkdir(parents=True, exist_ok=True)
    args.src = args.src.resolve()
    env = server_env(args.db, args.src)
    python = str(VENV_BIN / "python")
    timings = {}
    ensure_database(args.db, fresh=args.fresh)
    if not args.skip_generate:
        timings["generate_s"] = round(
            run_step(f"generate.py --scale {args.scale}", [python, str(ROOT / "bench" / "generate.py"), "--scale", str(args.scale)], env), 1
        )
        print(f"(generate took {timings['generate_s']} s)")
    run_step("collectstatic", [python, "-m", "django", "collectstatic", "--noinput", "-v0"], env)
    commit = git_commit(args.src)
    fixture = prepare_fixture(args.db, src=args.src, users=args.users, make_sessions=not args.login)

    server = None
    interrupted = False

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, on_signal)
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        print(f"Note: the machine is busy (load average {load_before[0]:.1f}); figures will be lower and noisier.")
    try:
        server = Server(args, env)
        print(f"Started {server.describe()}", flush=True)
        asyncio.run(server.wait_ready())
        print(
            f"Load: {args.users} users × {args.duration:g} s per page (+{args.warmup:g} s warm-up), "
            f"scale {args.scale}, as {fixture.usernames[0]}{'' if fixture.session_keys else ' (form login)'}",
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
            "commit": commit,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "config": {
                "users": args.users,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "scale": args.scale,
                "database": db_name(args.db),
                "server": server.describe() if server else "",
                "login": "session" if fixture.session_keys else "form",
                "src": str(args.src),
            },
            "timings": timings,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "targets": {"p95_ms_below": P95_TARGET_MS, "rps_ratio_at_least": RPS_RATIO_TARGET},
            "results": [asdict(r) for r in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        print(f"Figures written to {args.json}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
