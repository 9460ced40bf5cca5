"""Benchmark: import a 1,000,000-row contacts CSV into a fresh campaign with `contact_import`,
beside a raw COPY of the same rows into the contacts table measured in the same run
(docs/architecture.md §9: ≤ 60 s, peak memory ≤ 200 MB), on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_contacts_bench \\
        .venv/bin/python bench/contact_import.py [--rows 1000000] [--runs 3] [--keep-file PATH]

The file is generated once per invocation (seeded, so the same each time): seven countries'
numbers, most international (compact or spaced), some national (read in DEFAULT_PHONE_REGION,
IT), ~1.5 % invalid, ~1 % repeated; external ids, emails on 70 % of rows (a few malformed),
languages and yes/no columns in several spellings, and a 2 % share of numbers on an exclusion
list of 30,000 entries. Each round, on an emptied contacts table:

  1. `contact_import` in a fresh child process (its peak memory, ru_maxrss, is its own: Python
     and Django are ~60-70 MB of it before the first row; "CPU" is its user + system time);
  2. baseline: the contacts that import wrote, dumped and emptied again, loaded back with
     psql's `\\copy` into the same table with the same indexes: the database's own cost of
     storing those rows, with no parsing, no checking and no Python.

The database is created if missing and migrated; the script replaces its exclusion list and
empties its contacts table (and with it every call attempt, answer and event), then at the end
deletes its own campaigns and rebuilds the stats buckets of the campaigns left, whose attempts
are gone.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from _common import (
    Row,
    call_stats_rebuild,
    child_report,
    child_run,
    cpu_seconds,
    database_prepare,
    django_setup,
    peak_memory_mb,
    psql,
    seconds_table,
)

# A million rows with emails are ~55 MB: above the 50 MB default upload limit.
os.environ.setdefault("MAX_UPLOAD_MB", "200")

EXCLUSIONS = 30_000

# (share of rows, how a number is written). Prefixes are ranges phonenumbers holds valid.
_IT_MOBILE = ["320", "324", "327", "328", "329", "330", "331", "333", "334", "335", "336"]
_IT_MOBILE += ["337", "338", "339", "340", "342", "343", "345", "346", "347", "348", "349"]
_IT_MOBILE += ["350", "351", "366", "368", "380", "383", "388", "389", "391", "392", "393"]
_DE_MOBILE = ["151", "152", "157", "160", "162", "170", "171", "172", "175", "176", "177"]
_US_AREAS = ["212", "213", "312", "415", "617", "646", "718", "202", "305", "404", "512"]
_LANGUAGES = ["en", "it", "auto", "", "EN", "it-IT", "English", "italiano"]
_YES_NO = ["", "", "", "no", "yes", "0", "1", "false", "true", "N", "Y"]


def _number(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.40:
        return f"+39{rng.choice(_IT_MOBILE)}{rng.randrange(10**7):07d}"
    if pick < 0.50:
        return f"+39 {rng.choice(_IT_MOBILE)} {rng.randrange(10**7):07d}"
    if pick < 0.62:
        return f"{rng.choice(_IT_MOBILE)} {rng.randrange(10**7):07d}"  # national
    if pick < 0.65:
        return f"+39 06 {rng.randrange(10**8):08d}"  # a Rome landline (leading 0 kept)
    if pick < 0.75:
        return f"+447{rng.choice('45789')}{rng.randrange(10**8):08d}"
    if pick < 0.83:
        return f"+49 {rng.choice(_DE_MOBILE)} {rng.randrange(10**8):08d}"
    if pick < 0.88:
        return f"+33 6 {rng.randrange(10**8):08d}"  # ~8 % of these are unassigned: invalid
    if pick < 0.92:
        return f"+34 6{rng.randrange(10**8):08d}"
    if pick < 0.99:
        return f"+1 ({rng.choice(_US_AREAS)}) {rng.randrange(2, 10)}{rng.randrange(10**6):06d}"
    return f"+39 3{rng.randrange(10**4):04d}"  # too short


def csv_generate(path: Path, rows: int, seed: int = 7) -> list[str]:
    """Write the file; returns the numbers to put on the exclusion list (as written)."""
    rng = random.Random(seed)
    written: list[str] = []
    excluded: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("external_contact_id,phone_number,email,language,consent,do_not_call\n")
        for n in range(rows):
            if written and rng.random() < 0.01:
                number = rng.choice(written[-5000:])  # a repeat
            else:
                number = _number(rng)
                if len(written) < 5000:
                    written.append(number)
                else:
                    written[n % 5000] = number
            if len(excluded) < EXCLUSIONS and rng.random() < 0.02:
                excluded.append(number)
            email = ""
            if rng.random() < 0.7:
                email = f"customer{n}@example.{rng.choice(['org', 'com', 'it'])}"
                if rng.random() < 0.002:
                    email = email.replace("@", " at ")
            out.write(
                f"CRM-{n:07d},{number},{email},{rng.choice(_LANGUAGES)},"
                f"{rng.choice(_YES_NO)},{'yes' if rng.random() < 0.01 else 'no'}\n"
            )
    return excluded


def child(campaign_id: str, path: str) -> None:
    """One import, its figures printed for the parent (`child_run`)."""
    django_setup()
    from django.db import connection

    from campaigns.models import Campaign
    from contacts.services.imports import contact_import

    campaign = Campaign.objects.get(pk=campaign_id)
    connection.ensure_connection()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    with open(path, "rb") as file:
        report = contact_import(campaign=campaign, file=file, actor=None)
    seconds = time.perf_counter() - started
    child_report(
        seconds=seconds,
        cpu=cpu_seconds() - cpu_before,
        peak_mb=peak_memory_mb(),
        rows=report.rows,
        accepted=report.accepted,
        rejected=report.rejected,
        excluded=report.excluded,
        rejected_by_code=report.rejected_by_code,
    )


def _empty_contacts() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE contacts_contact CASCADE")
        cursor.execute("VACUUM ANALYZE contacts_contact")


def _fresh_campaign(run: int):
    from campaigns.models import Campaign

    return Campaign.objects.create(
        name=f"Import benchmark {time.strftime('%Y-%m-%d %H:%M:%S')} #{run}",
        languages=["en"],
        texts={"en": {"intro": "Hello, this is a short survey."}},
    )


def _copy_baseline(dump: Path) -> float:
    """psql \\copy of the rows the import wrote, back into the emptied table."""
    from contacts.services.imports import _CONTACT_COLUMNS as COLUMNS

    columns = ", ".join(COLUMNS)
    psql(f"\\copy (SELECT {columns} FROM contacts_contact) TO '{dump}'")
    _empty_contacts()
    started = time.perf_counter()
    psql(f"\\copy contacts_contact ({columns}) FROM '{dump}'")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep-file", type=Path, help="write the CSV here and keep it")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    django_setup()
    database_prepare()
    from campaigns.models import Campaign
    from contacts.models import ExclusionEntry
    from contacts.phones import InvalidPhoneNumber, phone_normalize

    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path = args.keep_file or workdir / "contacts.csv"
    started = time.perf_counter()
    to_exclude = csv_generate(path, args.rows)
    size_mb = path.stat().st_size / 1024 / 1024
    print(f"{args.rows} rows, {size_mb:.1f} MB, in {time.perf_counter() - started:.1f} s: {path}")

    ExclusionEntry.objects.all().delete()
    entries, seen = [], set()
    for number in to_exclude:
        try:
            e164 = phone_normalize(number)
        except InvalidPhoneNumber:
            continue
        if e164 not in seen:
            seen.add(e164)
            entries.append(ExclusionEntry(phone_number=e164, reason="bench"))
    ExclusionEntry.objects.bulk_create(entries, batch_size=5000)
    print(f"{len(entries)} numbers on the exclusion list", flush=True)

    imports, copies, loads, campaigns = [], [], [], []
    try:
        for run in range(1, args.runs + 1):
            _empty_contacts()
            campaign = _fresh_campaign(run)
            campaigns.append(campaign.pk)
            load_before = os.getloadavg()[0]
            measured = child_run(__file__, str(campaign.pk), str(path), what="import")
            load_after = os.getloadavg()[0]
            copy_seconds = _copy_baseline(workdir / "dump.copy")
            imports.append(measured)
            copies.append(copy_seconds)
            loads.append((load_before, load_after))
            print(
                f"run {run}: import {measured['seconds']:.1f} s (CPU {measured['cpu']:.1f} s, "
                f"peak {measured['peak_mb']:.0f} MB), COPY {copy_seconds:.1f} s, "
                f"load {load_before:.2f} → {load_after:.2f}",
                flush=True,
            )
    finally:
        _empty_contacts()
        Campaign.objects.filter(pk__in=campaigns).delete()
        call_stats_rebuild()  # the other campaigns' attempts went with the contacts
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()

    last = imports[-1]
    print(
        f"\nrows {last['rows']}: accepted {last['accepted']} ({last['excluded']} excluded), "
        f"rejected {last['rejected']} {last['rejected_by_code']}"
    )
    rows = [
        Row(
            "contact_import (1 file, 1 transaction)",
            [r["seconds"] for r in imports],
            cpu=[r["cpu"] for r in imports],
            peak_mb=[r["peak_mb"] for r in imports],
        ),
        Row("baseline: psql \\copy of the stored rows", copies),
    ]
    baseline = statistics.median(copies)
    for line in seconds_table(
        rows, baseline=baseline, baseline_name="COPY", cpu_header="CPU s", digits=1
    ):
        print(line)
    print(
        "load average (1 min) before → after each import: "
        + ", ".join(f"{a:.2f} → {b:.2f}" for a, b in loads)
    )
    print("targets (docs/architecture.md §9): ≤ 60 s, peak memory ≤ 200 MB")


if __name__ == "__main__":
    main()
