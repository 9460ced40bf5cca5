"""Benchmark: `manage.py seed_demo` at scale on PostgreSQL, beside a raw COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voicesurvey_bench \\
        .venv/bin/python bench/seed_demo.py --contacts 1000000

The database is created if missing and migrated (before the clock starts); seed_demo --reset
then replaces whatever data it held.

Target (issue 2): 1,000,000 contacts and ~3,000,000 attempts in ≤ 180 s.

The baseline copies the rows seed_demo wrote back out (COPY TO, binary) and times loading them
into empty tables with the same columns and indexes (CREATE TABLE … LIKE … INCLUDING ALL): the
cost of getting exactly this data into PostgreSQL with no Python in the way. Both runs happen in
this process's lifetime, on the same machine, one after the other.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psycopg
from _common import database_prepare, database_url, manage, peak_memory_mb

TABLES = [
    "contacts_contact",
    "calls_callattempt",
    "calls_surveyresponse",
    "calls_answer",
    "calls_surveyevent",
    "calls_emailnotification",
    "contacts_exclusionentry",
]
TARGET_SECONDS = 180


def run_seed(contacts: int, campaigns: int, seed: int) -> tuple[float, float]:
    """seed_demo in a process of its own: its time, and its peak memory (the largest child's;
    the other, migrate, needs less)."""
    started = time.perf_counter()
    manage(
        "seed_demo",
        "--reset",
        f"--contacts={contacts}",
        f"--campaigns={campaigns}",
        f"--seed={seed}",
    )
    elapsed = time.perf_counter() - started
    return elapsed, peak_memory_mb(children=True)


def raw_copy_baseline(url: str) -> tuple[float, dict[str, int]]:
    """Time loading the same rows with COPY into identically-indexed empty tables."""
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(url, autocommit=True) as conn:
        files = {}
        for table in TABLES:
            path = Path(tmp) / f"{table}.bin"
            with conn.cursor() as cur, path.open("wb") as out:
                with cur.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                    for chunk in copy:
                        out.write(chunk)
                counts[table] = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            files[table] = path
            conn.execute(f"DROP TABLE IF EXISTS bench_{table}")
            conn.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        with conn.transaction():
            for table in TABLES:
                with (
                    conn.cursor() as cur,
                    files[table].open("rb") as source,
                    cur.copy(f"COPY bench_{table} FROM STDIN (FORMAT BINARY)") as copy,
                ):
                    while data := source.read(1 << 20):
                        copy.write(data)
        elapsed = time.perf_counter() - started
        for table in TABLES:
            conn.execute(f"DROP TABLE bench_{table}")
    return elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database_prepare()
    url = database_url()

    seconds, peak_mb = run_seed(args.contacts, args.campaigns, args.seed)
    baseline, counts = raw_copy_baseline(url)
    rows = sum(counts.values())

    print()
    print(f"seed_demo --contacts {args.contacts:,} on PostgreSQL")
    for table, n in counts.items():
        print(f"  {table:<26} {n:>12,} rows")
    print(f"  {'all tables':<26} {rows:>12,} rows")
    print(f"seed_demo:          {seconds:8.1f} s   peak memory {peak_mb:5.0f} MB")
    print(f"raw COPY baseline:  {baseline:8.1f} s   (same rows, same indexes, no Python)")
    print(f"ratio seed/COPY:    {seconds / baseline:8.1f} x")
    share = seconds / TARGET_SECONDS
    print(f"target:             {TARGET_SECONDS:8.0f} s   -> {share:.0%} of the limit")


if __name__ == "__main__":
    main()
