"""What every benchmark shares: the settings it runs the product under, its PostgreSQL
database (created if missing, migrated, seeded), and how it measures — CPU time, peak memory,
percentiles, figures printed beside their baseline. The HTTP server plumbing is in `_http.py`.

Benchmarks are run by hand, never by the test suite. Each needs only DATABASE_URL, a
PostgreSQL database that it may empty and fill; it uses Redis at REDIS_URL (default
redis://127.0.0.1:6379/6) for the cache and the task broker, as production does.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Forced, whatever the shell or a .env file says: the product as in production (DEBUG off: no query
# log, production storage and logging), served on plain HTTP on the loopback, where the
# benchmark's clients — gunicorn's and Django's test client alike — call 127.0.0.1.
FORCED_ENV = {
    "DEBUG": "false",
    "HTTPS": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "READ_DOT_ENV_FILE": "false",
}
# Defaults the shell may override.
DEFAULT_ENV = {
    "DJANGO_SETTINGS_MODULE": "voicesurvey.settings",
    "SECRET_KEY": "benchmark-only-secret-key",
    "LOG_LEVEL": "WARNING",
    "REDIS_URL": "redis://127.0.0.1:6379/6",
    # With DEBUG off the product names static files through whitenoise's manifest, which only
    # collectstatic writes; a page rendered without it (even an error page) raises. Benchmarks
    # of JSON endpoints need no static files; bench/dashboard_page.py collects them and asks
    # for the manifest, as in production.
    "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
    # Without collectstatic, whitenoise warns at start-up that STATIC_ROOT is missing: noise here.
    "PYTHONWARNINGS": "ignore:No directory at",
}
MANIFEST_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


# --- Settings, database, data -----------------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database (it will be filled with benchmark data)."
        )
    return url


def environment_configure() -> None:
    """Put the benchmark's settings in the environment, where this process's Django and every
    process it starts (manage.py, gunicorn, a child measurement) read them."""
    database_url()
    os.environ.update(FORCED_ENV)
    for key, value in DEFAULT_ENV.items():
        os.environ.setdefault(key, value)
    warnings.filterwarnings("ignore", message="No directory at")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    """Configure Django for this process against DATABASE_URL."""
    environment_configure()
    import django

    django.setup()


def manage(*args: str) -> None:
    """`manage.py args…` in a process of its own: what it loads (the migration graph, a seed's
    rows) does not stay in this one, whose peak memory its children's figures start from (see
    `peak_memory_mb`)."""
    environment_configure()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def database_prepare() -> None:
    """Create the database if it does not exist yet, then apply the migrations."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    url = database_url()
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            print(f"creating database {name}", flush=True)
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    manage("migrate", "--verbosity=0")


def demo_options(parser: argparse.ArgumentParser, *, contacts: int, campaigns: int) -> None:
    """--contacts, --campaigns and --reseed: the demo data set a benchmark measures."""
    parser.add_argument("--contacts", type=int, default=contacts, help="demo data size")
    parser.add_argument("--campaigns", type=int, default=campaigns, help="demo campaigns")
    parser.add_argument("--reseed", action="store_true", help="seed even if the size matches")


def demo_data_ensure(*, contacts: int, campaigns: int, reseed: bool, vacuum: bool = True) -> None:
    """seed_demo with this size unless the database already holds exactly that. Then, with
    `vacuum`, VACUUM ANALYZE: production tables are vacuumed by autovacuum; a fresh load is
    not yet, and without a visibility map PostgreSQL cannot use index-only scans."""
    from campaigns.models import Campaign
    from contacts.models import Contact

    have = (Contact.objects.count(), Campaign.objects.count())
    if reseed or have != (contacts, campaigns):
        print(f"seeding {contacts:,} contacts in {campaigns} campaign(s)…", flush=True)
        manage(
            "seed_demo",
            "--reset",
            f"--contacts={contacts}",
            f"--campaigns={campaigns}",
            "--verbosity=0",
        )
    if vacuum:
        vacuum_analyze()


def vacuum_analyze() -> None:
    import psycopg

    with psycopg.connect(database_url(), autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")


def call_stats_rebuild() -> None:
    """Recompute every campaign's stats buckets from its attempts. Closing a call keeps its
    bucket right; a benchmark that writes or deletes attempts any other way (a plain UPDATE,
    a TRUNCATE) must end with this, or the dashboards' figures no longer match the attempts."""
    from django.core.management import call_command

    call_command("rebuild_call_stats", verbosity=0)


def psql(command: str) -> str:
    """Run one psql command (e.g. a \\copy) on the benchmark database; its output."""
    from django.db import connection

    settings = connection.settings_dict
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", settings["HOST"] or "127.0.0.1"]
    argv += ["-p", str(settings["PORT"] or 5432), "-U", settings["USER"], "-d", settings["NAME"]]
    argv += ["-c", command]
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout


# --- Measurements in a child process of their own ---------------------------------------------


def child_run(script: str, *args: str, env: dict | None = None, what: str) -> dict:
    """Run `script --child args…` in a fresh Python process and return the figures it printed
    (see `child_report`): its CPU time is then its own, and so is its peak memory as long as
    this process stays below it (see `peak_memory_mb`)."""
    result = subprocess.run(
        [sys.executable, script, "--child", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"{what} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child_report(**figures) -> None:
    """A child measurement's figures, as the last line of its output."""
    print(json.dumps(figures))


# --- CPU and memory ----------------------------------------------------------------------------


def peak_memory_mb(*, children: bool = False) -> float:
    """Peak resident memory (ru_maxrss) of this process, or of its largest finished child.

    Linux carries the high-water mark of the process that started a program over into it:
    a child's figure is never below its parent's peak at the time it started. Keep a parent
    that measures its children small (heavy set-up goes through `manage`)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """User + system CPU time of another process (all its threads), from /proc in clock ticks;
    with `with_children`, plus its live children's (e.g. gunicorn's master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in [pid, *(_children(pid) if with_children else [])]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_ns(pid: int) -> int:
    """CPU time a process has used, in nanoseconds (the scheduler's own account, precise where
    /proc/<pid>/stat counts 10 ms ticks); 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return 0


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- Timing and percentiles --------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile, interpolated between the two nearest values."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return percentile(values, 95)


def interleaved(cases: dict[str, Callable[[], float]], *, repeat: int) -> dict[str, list[float]]:
    """Milliseconds of `repeat` rounds of every case (each callable times itself), one case
    after the other in each round: on a machine shared with other work, load changes hit
    every case alike, so the ratios between them hold even when the absolute figures drift."""
    for run in cases.values():  # warm-up: connections, caches, plans
        run()
        run()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            results[name].append(run())
    return results


def raw_sql_timer(
    sql: str, params: tuple = (), *, cpu: list[float] | None = None
) -> Callable[[], float]:
    """A baseline: the same figures as hand-written SQL, on a psycopg connection of its own
    (no Django), fetching every row. With `cpu`, the CPU milliseconds its PostgreSQL backend
    spent on each run are appended there."""
    import psycopg

    connection = psycopg.connect(database_url(), autocommit=True)
    backend = connection.info.backend_pid

    def run() -> float:
        before = cpu_ns(backend)
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        if cpu is not None:
            cpu.append((cpu_ns(backend) - before) / 1e6)
        return elapsed

    return run


# --- Figures beside their baseline -------------------------------------------------------------


def report_line(
    label: str,
    values: list[float],
    baseline: list[float] | None = None,
    *,
    cpu: list[float] | None = None,
) -> str:
    """Milliseconds: p50, p95, CPU p50, and the ratio of the p50 to the baseline's."""
    line = f"  {label:<52} p50 {p50(values):8.1f} ms   p95 {p95(values):8.1f} ms"
    if cpu:
        line += f"   cpu p50 {p50(cpu):7.1f} ms"
    if baseline:
        line += f"   ({p50(values) / p50(baseline):.1f}x raw SQL)"
    return line


@dataclass
class Row:
    """One path measured over several rounds, in seconds; CPU seconds and peak MB per round
    where the path ran in a process of its own."""

    label: str
    seconds: list[float]
    cpu: list[float] | None = None
    peak_mb: list[float] | None = None


def seconds_table(
    rows: list[Row], *, baseline: float, baseline_name: str, cpu_header: str, digits: int
) -> Iterator[str]:
    """Lines of a table: median and fastest seconds, the median against `baseline` (a median
    of the same rounds), median CPU seconds, largest peak memory."""
    width = max(len(row.label) for row in rows) + 2
    cpu_width = max(len(cpu_header), 6)
    yield (
        f"{'path':<{width}} {'median s':>9} {'min s':>7} {'× ' + baseline_name:>7} "
        f"{cpu_header:>{cpu_width}} {'peak MB':>8}"
    )
    for row in rows:
        median = statistics.median(row.seconds)
        cpu = f"{statistics.median(row.cpu):{cpu_width}.{digits}f}" if row.cpu else "—"
        peak = f"{max(row.peak_mb):8.0f}" if row.peak_mb else "—"
        yield (
            f"{row.label:<{width}} {median:9.{digits}f} {min(row.seconds):7.{digits}f} "
            f"{median / baseline:7.2f} {cpu:>{cpu_width}} {peak:>8}"
        )
