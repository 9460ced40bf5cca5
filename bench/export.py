"""Benchmark: export one campaign to CSV, to local storage and to an S3 server, beside a raw
COPY of the same query measured in the same run (docs/architecture.md §9: 1M contacts ≤ 5 s, peak
memory ≤ 150 MB). `--format` measures the other formats (docs/exports.md): `long` (one row per
answer; 2.5M answers ≤ 10 s, ≤ 150 MB), `xlsx` and `long_xlsx` (Excel; 500k rows ≤ 60 s,
≤ 200 MB).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_export_bench \\
        .venv/bin/python bench/export.py [--contacts 1000000] [--campaigns 1] [--runs 3] \\
        [--campaign ID|NAME] [--s3-port 8071] [--format csv|long|xlsx|long_xlsx] \\
        [--answers 2500000]

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
  - Python COPY to /dev/null: the same through psycopg, with no storage;
  - for an Excel format, the CSV of the same rows written to local storage by the same job
    machinery (what the workbook costs beyond it).

Answers for the long formats: the demo data has an Answer row per question of each completed
survey (three a survey). When the campaign has fewer than `--answers`, the script adds
synthetic ones to its completed surveys (questions 4, 5 … with key `synthetic_N`, no question
text) in one `INSERT … SELECT generate_series` on the server: a bulk insert like COPY, without
the rows passing through Python. They stay in the benchmark database for the next run.
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
    vacuum_analyze,
)


def _campaign(value: str | None):
    from django.db.models import Count

    from campaigns.models import Campaign
    from voicesurvey.cli import lookup_by_id_or_name

    if value:
        return lookup_by_id_or_name(Campaign.objects.all(), value, noun="campaign")
    return Campaign.objects.annotate(n=Count("contacts")).order_by("-n").first()


def child(mode: str, campaign_value: str, export_format: str) -> None:
    """One measurement, its figures printed for the parent (`child_run`)."""
    django_setup()
    from django.db import connection

    from exports.models import ExportFormat, ExportStatus
    from exports.selectors import export_table
    from exports.services import export_generate, export_start

    campaign = _campaign(campaign_value)
    chosen = ExportFormat(export_format)
    connection.ensure_connection()
    cpu_before = cpu_seconds()
    if mode == "python-copy":
        table = export_table(campaign=campaign, per_answer=chosen.per_answer)
        sql, params = table.rows.query.sql_with_params()
        started = time.perf_counter()
        with open(os.devnull, "wb") as sink, connection.cursor() as cursor:
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                for data in copy:
                    sink.write(data)
            rows = cursor.rowcount
        seconds = time.perf_counter() - started
    else:
        job, _ = export_start(campaign=campaign, actor=None, export_format=chosen, enqueue=False)
        started = time.perf_counter()
        job = export_generate(job=job)
        seconds = time.perf_counter() - started
        if job.status != ExportStatus.COMPLETED:
            raise SystemExit(f"export failed: {job.error_message}")
        rows = job.total_records
    cpu = cpu_seconds() - cpu_before
    child_report(seconds=seconds, cpu=cpu, peak_mb=peak_memory_mb(), rows=rows)


def _psql_copy_seconds(campaign_id: str, per_answer: bool) -> tuple[float, int]:
    """The same query through psql's \\copy to /dev/null: no Python at all."""
    from django.db import connection

    from campaigns.models import Campaign
    from exports.selectors import export_table

    table = export_table(campaign=Campaign.objects.get(pk=campaign_id), per_answer=per_answer)
    sql, params = table.rows.query.sql_with_params()
    with connection.cursor() as cursor:
        literal_sql = cursor.mogrify(sql, params)  # psql takes no parameters
    started = time.perf_counter()
    output = psql(f"\\copy ({literal_sql}) TO '/dev/null' WITH (FORMAT csv)")
    seconds = time.perf_counter() - started
    # psql prints "COPY n" for \copy.
    rows = int(output.strip().split()[-1]) if output.strip() else -1
    return seconds, rows


def _answers_ensure(campaign, target: int) -> int:
    """At least `target` answers in the campaign's completed surveys (see the docstring)."""
    from django.db import connection
    from django.db.models import Max

    from calls.models import Answer, SurveyResponse

    answers = Answer.objects.filter(
        response__campaign=campaign, response__completed_at__isnull=False
    )
    have = answers.count()
    responses = SurveyResponse.objects.filter(campaign=campaign, completed_at__isnull=False)
    surveys = responses.count()
    if have >= target or not surveys:
        return have
    extra = -(-(target - have) // surveys)  # per survey, rounded up
    first = (answers.aggregate(last=Max("position"))["last"] or 0) + 1
    print(f"adding {extra * surveys:,} synthetic answers to {surveys:,} surveys…", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO calls_answer
                (response_id, position, key, question_type, status, value, raw, mode,
                 confidence, asked)
            SELECT r.id, g.p, 'synthetic_' || g.p, 'free_text', 'answered',
                   'synthetic answer ' || g.p, 'synthetic words ' || g.p, 'speech',
                   0.5 + (g.p %% 5) / 10.0, 1
            FROM calls_surveyresponse r CROSS JOIN generate_series(%s, %s) AS g(p)
            WHERE r.campaign_id = %s AND r.completed_at IS NOT NULL
            """,
            [first, first + extra - 1, campaign.pk],
        )
    vacuum_analyze()
    return answers.count()


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
    parser.add_argument(
        "--format", default="csv", choices=["csv", "long", "xlsx", "long_xlsx"], dest="fmt"
    )
    parser.add_argument(
        "--answers",
        type=int,
        default=2_500_000,
        help="long formats: top the campaign's answers up to this many (synthetic)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.campaign, args.fmt)
        return

    django_setup()
    database_prepare()
    demo_data_ensure(contacts=args.contacts, campaigns=args.campaigns, reseed=args.reseed)
    from django.utils import timezone

    from contacts.models import Contact
    from exports.models import ExportFormat, ExportJob

    campaign = _campaign(args.campaign)
    contacts = Contact.objects.filter(campaign=campaign).count()
    print(f"campaign {campaign.pk} ({campaign.name!r}): {contacts} contacts", flush=True)
    chosen = ExportFormat(args.fmt)
    if chosen.per_answer:
        answers = _answers_ensure(campaign, args.answers)
        print(f"{answers:,} answers in completed surveys", flush=True)
    # For Excel, the baselines are the CSV of the same rows.
    same_rows_csv = ExportFormat.LONG if chosen.per_answer else ExportFormat.CSV

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
        local = {"MEDIA_ROOT": str(media)}
        targets = {
            "python-copy": {},
            **({"csv-local": local} if chosen.is_excel else {}),
            "local": local,
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
            seconds, rows = _psql_copy_seconds(str(campaign.pk), chosen.per_answer)
            results["psql-copy"].append(
                {"seconds": seconds, "rows": rows, "peak_mb": None, "cpu": None}
            )
            for name, env in targets.items():
                server_before = process_cpu_seconds(moto.pid)
                fmt = same_rows_csv if name in ("python-copy", "csv-local") else chosen
                result = child_run(
                    __file__,
                    "local" if name == "csv-local" else name,
                    "--campaign",
                    str(campaign.pk),
                    "--format",
                    fmt.value,
                    env=env,
                    what=f"{name} run",
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
    what = "answers" if chosen.per_answer else "contacts in a final state"
    print(f"\n{rows} rows exported ({what}, format {chosen.value}) of {contacts} contacts")
    labels = {
        "psql-copy": "baseline: psql \\copy → /dev/null",
        "python-copy": "baseline: psycopg COPY → /dev/null",
        "csv-local": f"baseline: {same_rows_csv.value} export → local storage",
        "local": f"{chosen.value} export → local storage",
        "s3": f"{chosen.value} export → S3 (moto_server)",
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
    targets = {
        "csv": "export ≤ 5 s for 1M contacts, peak memory ≤ 150 MB",
        "long": "2.5M answers ≤ 10 s, peak memory ≤ 150 MB",
        "xlsx": "500k rows ≤ 60 s, peak memory ≤ 200 MB",
        "long_xlsx": "500k rows ≤ 60 s, peak memory ≤ 200 MB",
    }
    print(f"targets (docs/architecture.md §9, docs/exports.md): {targets[chosen.value]}")


if __name__ == "__main__":
    main()
