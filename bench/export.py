"""Benchmark: export one campaign to CSV, to local storage and to an S3 server, beside a raw
COPY of the same query measured in the same run (docs/architecture.md §9: 1M contacts ≤ 5 s, peak
memory ≤ 150 MB).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_export_bench \\
        .venv/bin/python bench/export.py [--contacts 1000000] [--campaigns 1] [--runs 3] \\
        [--campaign ID|NAME] [--s3-port 8071]

The database is created if missing, migrated and, unless it already holds `--contacts`
contacts in `--campaigns` campaigns, seeded with seed_demo (~2-4 min for a million), then
vacuumed and analysed. The campaign exported is the largest unless `--campaign` names one.
The export jobs the script creates are deleted at the end (their files went with the
temporary folder and the S3 bucket).

Each measured export runs in a fresh child process, so its peak memory (ru_maxrss, which
includes Python and Django, ~70 MB) and its CPU time (user + system: what the export costs
this process, whatever else the machine is doing) are its own. The S3 target is moto's
server in a separate process (`moto_server`), so the stored file's memory and the server's
CPU are not the exporter's.
Baselines, same query, same run:
  - psql `\\copy (…) TO /dev/null`: the database and libpq alone;
  - Python COPY to /dev/null: the same through psycopg, with no storage.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import (
    Row,
    child_report,
    child_run,
    cpu_seconds,
    database_prepare,
    demo_data_ensure,
    demo_options,
    django_setup,
    peak_memory_mb,
    process_cpu_seconds,
    psql,
    seconds_table,
)


def _campaign(value: str | None):
    from django.db.models import Count

    from campaigns.models import Campaign
    from voicesurvey.cli import lookup_by_id_or_name

    if value:
        return lookup_by_id_or_name(Campaign.objects.all(), value, noun="campaign")
    return Campaign.objects.annotate(n=Count("contacts")).order_by("-n").first()


def child(mode: str, campaign_value: str) -> None:
    """One measurement, its figures printed for the parent (`child_run`)."""
    django_setup()
    from django.db import connection

    from exports.models import ExportStatus
    from exports.selectors import export_rows
    from exports.services import export_generate, export_start

    campaign = _campaign(campaign_value)
    connection.ensure_connection()
    cpu_before = cpu_seconds()
    if mode == "python-copy":
        sql, params = export_rows(campaign=campaign).query.sql_with_params()
        started = time.perf_counter()
        with open(os.devnull, "wb") as sink, connection.cursor() as cursor:
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for data in copy:
                    sink.write(data)
            rows = cursor.rowcount
        seconds = time.perf_counter() - started
    else:
        job, _ = export_start(campaign=campaign, actor=None, enqueue=False)
        started = time.perf_counter()
        job = export_generate(job=job)
        seconds = time.perf_counter() - started
        if job.status != ExportStatus.COMPLETED:
            raise SystemExit(f"export failed: {job.error_message}")
        rows = job.total_records
    cpu = cpu_seconds() - cpu_before
    child_report(seconds=seconds, cpu=cpu, peak_mb=peak_memory_mb(), rows=rows)


def _psql_copy_seconds(campaign_id: str) -> tuple[float, int]:
    """The same query through psql's \\copy to /dev/null: no Python at all."""
    from django.db import connection

    from campaigns.models import Campaign
    from exports.selectors import export_rows

    sql, params = export_rows(campaign=Campaign.objects.get(pk=campaign_id)).query.sql_with_params()
    with connection.cursor() as cursor:
        literal_sql = cursor.mogrify(sql, params)  # psql takes no parameters
    started = time.perf_counter()
    output = psql(f"\\copy ({literal_sql}) TO '/dev/null' WITH (FORMAT csv)")
    seconds = time.perf_counter() - started
    # psql prints "COPY n" for \copy.
    rows = int(output.strip().split()[-1]) if output.strip() else -1
    return seconds, rows


def _wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"moto_server did not listen on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    demo_options(parser, contacts=1_000_000, campaigns=1)
    parser.add_argument("--campaign", help="id or unique name (default: the largest campaign)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--s3-port", type=int, default=8071)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.campaign)
        return

    django_setup()
    database_prepare()
    demo_data_ensure(contacts=args.contacts, campaigns=args.campaigns, reseed=args.reseed)
    from django.utils import timezone

    from contacts.models import Contact
    from exports.models import ExportJob

    campaign = _campaign(args.campaign)
    contacts = Contact.objects.filter(campaign=campaign).count()
    print(f"campaign {campaign.pk} ({campaign.name!r}): {contacts} contacts", flush=True)

    media = Path(tempfile.mkdtemp(prefix="bench-export-"))
    started = timezone.now()
    moto = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("moto_server")),
            "-H",
            "127.0.0.1",
            "-p",
            str(args.s3_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(args.s3_port)
        import boto3

        endpoint = f"http://127.0.0.1:{args.s3_port}"
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket=bucket)
        targets = {
            "python-copy": {},
            "local": {"MEDIA_ROOT": str(media)},
            "s3": {
                "AWS_STORAGE_BUCKET_NAME": bucket,
                "AWS_S3_ENDPOINT_URL": endpoint,
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_S3_ADDRESSING_STYLE": "path",
            },
        }
        results: dict[str, list] = {"psql-copy": [], **{name: [] for name in targets}}
        for run in range(1, args.runs + 1):
            seconds, rows = _psql_copy_seconds(str(campaign.pk))
            results["psql-copy"].append(
                {"seconds": seconds, "rows": rows, "peak_mb": None, "cpu": None}
            )
            for name, env in targets.items():
                server_before = process_cpu_seconds(moto.pid)
                result = child_run(
                    __file__, name, "--campaign", str(campaign.pk), env=env, what=f"{name} run"
                )
                if name == "s3":
                    result["server_cpu"] = process_cpu_seconds(moto.pid) - server_before
                results[name].append(result)
            line = ", ".join(f"{name} {r[-1]['seconds']:.2f} s" for name, r in results.items())
            print(f"run {run}: {line}", flush=True)
            for key in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=key["Key"])
    finally:
        moto.terminate()
        moto.wait(10)
        shutil.rmtree(media, ignore_errors=True)
        ExportJob.objects.filter(campaign=campaign, created_at__gte=started).delete()

    rows = results["local"][0]["rows"]
    baseline = statistics.median(r["seconds"] for r in results["psql-copy"])
    print(f"\n{rows} rows exported (contacts in a final state) of {contacts} contacts")
    labels = {
        "psql-copy": "baseline: psql \\copy → /dev/null",
        "python-copy": "baseline: psycopg COPY → /dev/null",
        "local": "export → local storage",
        "s3": "export → S3 (moto_server)",
    }
    table = [
        Row(
            labels[name],
            [r["seconds"] for r in runs],
            cpu=[r["cpu"] for r in runs if r["cpu"] is not None],
            peak_mb=[r["peak_mb"] for r in runs if r["peak_mb"] is not None],
        )
        for name, runs in results.items()
    ]
    for line in seconds_table(
        table, baseline=baseline, baseline_name="COPY", cpu_header="our CPU s", digits=2
    ):
        print(line)
    server_cpus = [r["server_cpu"] for r in results["s3"]]
    print(
        f"S3 server (moto_server, a Python process on the same cores) CPU per export: median "
        f"{statistics.median(server_cpus):.2f} s"
    )
    print("targets (docs/architecture.md §9): export ≤ 5 s, peak memory ≤ 150 MB")


if __name__ == "__main__":
    main()
