"""The CSV writer: a campaign's export rows (exports.selectors.export_table: one row per
contact, or one per answer) streamed into a binary file in chunks, never the whole campaign in
memory.

On PostgreSQL the query runs as `COPY (…) TO STDOUT WITH (FORMAT csv)`: the server formats the
CSV and we only pass bytes along. Elsewhere (SQLite) the same query is iterated in chunks and
written by the same CSV rules as COPY's. Either way the cells are the query's, so the files
are the same byte for byte.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable
from typing import Protocol

from django.db import connection, transaction
from django.db.models import QuerySet

from campaigns.models import Campaign
from exports.selectors import export_table

# What is handed to storage per write: S3 sends each 5 MB of it as one multipart part.
CHUNK_BYTES = 1024 * 1024
_ITERATOR_CHUNK_ROWS = 2000

Progress = Callable[[int], object]


class ByteSink(Protocol):
    """Where the CSV goes: a storage file, a local file, or the background writer."""

    def write(self, data: bytes, /) -> object: ...


def export_csv_write(
    *,
    campaign: Campaign,
    out: ByteSink,
    progress: Progress | None = None,
    per_answer: bool = False,
) -> int:
    """Write the header and every export row of `campaign` (one per contact in a final state,
    or with `per_answer` one per answer) to `out` as UTF-8 CSV (LF line ends). `progress(n)`
    hears of every n rows written. Returns the number of rows."""
    table = export_table(campaign=campaign, per_answer=per_answer)
    with _BackgroundWriter(out) as sink:
        sink.write((",".join(map(_csv_cell, table.columns)) + "\n").encode())
        if connection.vendor == "postgresql":
            return _write_with_copy(table.rows, sink, progress)
        return _write_with_python(table.rows, sink, progress)


class _BackgroundWriter:
    """Passes chunks to `out.write` from a second thread, so that the database and storage
    work at the same time (an S3 part upload blocks its writer for as long as it takes).
    At most QUEUE_CHUNKS chunks wait in memory; an error in either thread stops both and is
    raised in the caller's. Only this thread touches `out` until the block ends."""

    QUEUE_CHUNKS = 4
    _DONE = object()

    def __init__(self, out: ByteSink):
        self._out = out
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUE_CHUNKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-writer", daemon=True)

    def __enter__(self) -> _BackgroundWriter:
        self._thread.start()
        return self

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def _run(self) -> None:
        while (data := self._queue.get()) is not self._DONE:
            if self._error is None:
                try:
                    self._out.write(data)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc
            # After an error keep taking chunks, so a producer waiting on a full queue is freed.

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc is not None and self._error is None:
            self._error = exc  # the caller failed: write nothing more
        self._queue.put(self._DONE)
        self._thread.join()
        if exc is None and self._error is not None:
            raise self._error


def _write_with_copy(queryset: QuerySet, out: ByteSink, progress: Progress | None) -> int:
    sql, params = queryset.query.sql_with_params()
    buffer = bytearray()
    rows_in_buffer = 0
    # A savepoint, so that an interrupted COPY (a storage error mid-stream cancels it) rolls
    # back only itself when a caller has a transaction open.
    with transaction.atomic(), connection.cursor() as cursor:
        # No JIT: compiling the query's expressions (a CASE per question and language, the
        # formula guards of every text cell) costs the server more than it saves on a long
        # export (1–2 s of 2.5M rows, bench/export.py). SET LOCAL: until the transaction ends.
        cursor.execute("SET LOCAL jit = off")
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for data in copy:
                buffer += data
                # libpq hands COPY data over one row at a time; only the progress bar relies
                # on it, the total below comes from the server.
                rows_in_buffer += 1
                if len(buffer) >= CHUNK_BYTES:
                    out.write(bytes(buffer))
                    buffer.clear()
                    if progress:
                        progress(rows_in_buffer)
                    rows_in_buffer = 0
        if buffer:
            out.write(bytes(buffer))
        if progress and rows_in_buffer:
            progress(rows_in_buffer)
        # psycopg reads the row count from the server's "COPY n" command tag.
        return cursor.rowcount


# Python's csv module is not used: with LF line ends it leaves a lone CR unquoted, which
# splits the row for every reader. These two functions are COPY's CSV rules: a value with a
# comma, quote, CR or LF is quoted (quotes doubled), an empty string is `""`, NULL is empty.
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # PostgreSQL writes a float8 of 1.0 as `1`
    text = str(value)
    if not text or _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_with_python(queryset: QuerySet, out: ByteSink, progress: Progress | None) -> int:
    lines: list[str] = []
    size = rows = 0
    for row in queryset.iterator(chunk_size=_ITERATOR_CHUNK_ROWS):
        line = ",".join(map(_csv_cell, row)) + "\n"
        lines.append(line)
        size += len(line)
        rows += 1
        if size >= CHUNK_BYTES:
            out.write("".join(lines).encode())
            if progress:
                progress(len(lines))
            lines.clear()
            size = 0
    if lines:
        out.write("".join(lines).encode())
        if progress:
            progress(len(lines))
    return rows
