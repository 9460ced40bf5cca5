"""Reading an uploaded CSV file row by row, for the contact and the exclusion imports
(docs/architecture.md §6.1).

`csv_open` checks the file as a whole first (size, text or binary, encoding, header), so that
a file-level problem is one `CsvImportError` before anything is written; then `CsvTable.rows()`
streams the records. Nothing here holds the file in memory: the encoding is decided by one
streamed pass over the bytes (UTF-8, with or without BOM, is strict all the way through, else
the file is Windows-1252 or latin-1), then the same file is decoded as it is read.

Quoted fields may hold line breaks, so one stray quote could swallow the rest of a file into
one field. `_LineSource` feeds the reader and tells an unclosed quote from a legitimate
multi-line field (its docstring has the rule): the row where the quote opened is rejected as
`unclosed_quote` and the lines after it are read again as rows of their own.
"""

from __future__ import annotations

import _csv
import codecs
import contextlib
import csv
import io
import itertools
import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings

from contacts.attributes import attribute_name_normalize, header_attributes
from contacts.phones import InvalidPhoneNumber, phone_normalize
from voicesurvey.permissions import mask_phone_number

MAX_LISTED_ERRORS = 1000
# Rejected rows kept whole (their cells as read), for the report's "download the rejected
# rows" CSV: at most this many, and at most this many characters of cells in all.
MAX_REJECTED_ROWS = 10_000
MAX_REJECTED_CHARS = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
_HEAD = 64 * 1024

# Bytes Windows-1252 leaves undefined: a non-UTF-8 file containing one is read as latin-1.
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
# C0 control characters that have no business in a text file (tab, CR, LF, FF are fine).
_CONTROL_BYTES = bytes([*range(1, 9), 11, *range(14, 32)])
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_DELIMITERS = ("\t", ";", ",")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_QUOTED = re.compile(r'"[^"]*"')
_HEADER_SEPARATORS = re.compile(r"[\s\-.]+")
# A cell that reads as a phone number at a glance: at least 6 digits in phone punctuation.
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]*(?:\d[\s().\-/]*){6,}")
_UNCLOSED_QUOTE_REASON = (
    'A quote (") opened on this line is never closed. The row is skipped; the lines after it '
    "are read as rows of their own."
)


class CsvImportError(Exception):
    """The file as a whole cannot be imported; nothing was. `message` is for people, `code`
    for programs: empty, no_rows, too_large, binary, encoding, no_header, no_phone_column,
    ambiguous_columns, campaign_final."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# The codes of rejected rows, as people read them.
REJECTION_LABELS = {
    "missing_phone": "no phone number",
    "invalid_phone": "invalid phone number",
    "unclosed_quote": "unclosed quote",
    "invalid_email": "invalid email",
    "unknown_language": "unknown language",
    "invalid_boolean": "not yes or no",
    "too_long": "too long",
    "duplicate_in_file": "duplicate in the file",
    "already_in_campaign": "already in the campaign",
}


@dataclass(frozen=True)
class RowError:
    """One rejected row: its line in the file (the header is line 1), the column concerned
    ("" for the row as a whole), a code and a sentence."""

    line: int
    field: str
    code: str
    reason: str
    value: str = ""  # the offending cell as read, a phone number masked ("" for the row)


@dataclass(frozen=True)
class RejectedRow:
    """A rejected row kept whole: its line, its cells as read (in header order; none for a
    row that could not be read as cells) and why it was rejected."""

    line: int
    cells: list[str]
    reason: str


@dataclass
class RowErrors:
    """Rejected rows: every one counted, the first MAX_LISTED_ERRORS kept. Rows are read in
    file order, so the kept ones are the first by line."""

    count: int = 0
    listed: list[RowError] = field(default_factory=list)
    by_code: Counter = field(default_factory=Counter)
    # The first MAX_REJECTED_ROWS rejected rows whole; `complete` False when some were not kept.
    kept: list[RejectedRow] = field(default_factory=list)
    kept_complete: bool = True
    # Set by CsvTable.rows: the cells of the row being checked, and each field's position.
    record: list[str] | None = None
    positions: dict[str, int] = field(default_factory=dict)
    _kept_chars: int = 0

    def add(self, line: int, field_name: str, code: str, reason: str) -> None:
        self.count += 1
        self.by_code[code] += 1
        record = self.record or []
        position = self.positions.get(field_name)
        value = record[position] if position is not None and position < len(record) else ""
        if len(self.listed) < MAX_LISTED_ERRORS:
            # The report shows the value; a phone number only masked (the download has it).
            shown = mask_phone_number(value) if field_name == "phone_number" else value[:200]
            self.listed.append(RowError(line, field_name, code, reason, shown))
        size = sum(len(cell) for cell in record)
        if len(self.kept) < MAX_REJECTED_ROWS and self._kept_chars + size <= MAX_REJECTED_CHARS:
            self.kept.append(RejectedRow(line, list(record), reason))
            self._kept_chars += size
        else:
            self.kept_complete = False


def header_key(name: str) -> str:
    """A header cell as compared with the aliases: "E-mail " → "e_mail", "Phone Number" →
    "phone_number"."""
    return _HEADER_SEPARATORS.sub("_", name.strip().strip('"').strip().lower()).strip("_")


class _UnclosedQuote(Exception):
    """Raised by _LineSource, through the csv reader, when the quoted field being read turns
    out to be an unclosed quote."""


class _LineSource:
    """The file's lines for the csv reader, numbered as in the file, one record's worth kept.

    The csv module asks for another line only while a quoted field is open at the end of the
    previous one. A line asked for that way is part of a multi-line quoted field, unless the
    quote was never meant to be closed. **The rule**: the quote is unclosed, and the row where
    it opened is rejected as `unclosed_quote`, when

    - a line it would take in *looks like a record*: read on its own it is complete (no quote
      left open), has as many cells as the header and a phone number in the phone column
      (text in a legitimate multi-line field almost never does; its own closing quote alone
      makes the line incomplete); or
    - the file ends before the quote is closed; or
    - the field grows past the csv module's limit (128 KB) across several lines.

    The lines after the rejected one are then given to the reader again, so each is read as a
    row of its own (or as the start of one). Only the lines of the record being read are held,
    at most about the field limit, so the file is still streamed. A legitimate multi-line field
    (an address, a note) is read as before."""

    def __init__(self, lines: Iterator[str], *, first_line: int, delimiter: str):
        self._lines = lines
        self._next_number = first_line
        self._delimiter = delimiter
        self._again: deque[tuple[int, str]] = deque()  # lines to read again, in file order
        self._record: list[tuple[int, str]] = []  # the current record's lines
        self._width = 0  # the header's cells; 0 while the header itself is read
        self._phone_position = 0

    def check_records(self, *, width: int, phone_position: int) -> None:
        """From now on (the header is read), look out for unclosed quotes."""
        self._width, self._phone_position = width, phone_position

    def start_record(self) -> None:
        self._record.clear()

    @property
    def record_line(self) -> int:
        """The line where the current record starts."""
        return self._record[0][0] if self._record else self._next_number

    @property
    def record_spans_lines(self) -> bool:
        return len(self._record) > 1

    def read_again_after_first(self) -> None:
        """Give back the current record's lines but its first, to be read again."""
        self._again.extendleft(reversed(self._record[1:]))
        self._record.clear()

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        inside_quote = bool(self._record) and self._width > 0
        if self._again:
            number, line = self._again.popleft()
        else:
            try:
                line = next(self._lines)
            except StopIteration:
                if inside_quote:  # the file ends inside the quoted field
                    raise _UnclosedQuote from None
                raise
            number = self._next_number
            self._next_number += 1
        self._record.append((number, line))
        if inside_quote and self._looks_like_record(line):
            raise _UnclosedQuote
        return line

    def _looks_like_record(self, line: str) -> bool:
        try:
            cells = next(csv.reader([line], delimiter=self._delimiter, strict=True))
        except (csv.Error, StopIteration):
            return False
        return (
            len(cells) == self._width
            and _PHONE_LIKE.fullmatch(cells[self._phone_position].strip()) is not None
        )


@dataclass
class CsvTable:
    """An open, checked CSV file. `rows()` yields (line, values): the values of the wanted
    fields in the order they were asked for, "" for a column the file does not have, then
    those of the attribute columns, in the order of `attribute_columns`."""

    encoding: str
    delimiter: str
    columns: dict[str, str]  # field → the header cell that gives it
    attribute_columns: list[str]  # attribute names (contacts/attributes.py), in header order
    ignored_columns: list[str]  # header cells read as nothing, in header order
    ignored_column_reasons: dict[str, str]  # ignored header cell → why
    total_lines: int  # roughly: newlines in the file, for progress bars
    _reader: _csv.Reader  # what csv.reader() returns, reading from _lines
    _lines: _LineSource
    _positions: list[int | None]
    header: list[str]  # the header row's cells, stripped
    _field_positions: dict[str, int]  # field → its column's position

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES[self.delimiter]

    def rows(self, errors: RowErrors) -> Iterator[tuple[int, list[str]]]:
        """Records that are not blank, stripped. A record the csv module cannot read (a field
        over its 128 KB limit) and a row with an unclosed quote are added to `errors` and
        skipped."""
        reader, lines, positions = self._reader, self._lines, self._positions
        errors.positions = self._field_positions
        while True:
            lines.start_record()
            errors.record = None
            try:
                record = next(reader)
            except StopIteration:
                return
            except _UnclosedQuote:
                errors.add(lines.record_line, "", "unclosed_quote", _UNCLOSED_QUOTE_REASON)
                lines.read_again_after_first()
                continue
            except csv.Error:
                if lines.record_spans_lines:  # a quote ran on for 128 KB: never closed
                    errors.add(lines.record_line, "", "unclosed_quote", _UNCLOSED_QUOTE_REASON)
                    lines.read_again_after_first()
                else:
                    errors.add(
                        lines.record_line,
                        "",
                        "too_long",
                        "A field of this row is far too long to read.",
                    )
                continue
            width = len(record)
            values = [record[p].strip() if p is not None and p < width else "" for p in positions]
            if any(values) or any(cell.strip() for cell in record):
                errors.record = record
                yield lines.record_line, values


@contextlib.contextmanager
def csv_open(
    *,
    file,
    fields: dict[str, tuple[str, ...]],
    required: str,
    label: str,
    attributes: bool = False,
) -> Iterator[CsvTable]:
    """Check `file` (a binary file object: an upload or an open file) and open it as a table
    of `fields` (field → header aliases, the field's own name first). `required` must have a
    column; `label` names it in messages ("phone number"). With `attributes`, the columns that
    are no field are read too, as attributes (contacts/attributes.py), up to its limit.
    Raises CsvImportError."""
    size = _size(file)
    if size > settings.MAX_UPLOAD_MB * 1024 * 1024:
        raise _too_large(size)
    encoding, total_lines = _scan(file)
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        yield _open_table(text, encoding, total_lines, fields, required, label, attributes)
    finally:
        # Give the file back to its owner open: closing the wrapper would close it.
        with contextlib.suppress(ValueError):
            text.detach()


def _too_large(size: int) -> CsvImportError:
    limit_mb = settings.MAX_UPLOAD_MB
    return CsvImportError(
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB. "
        "Split it into smaller files.",
        code="too_large",
    )


# Room for the multipart envelope (boundaries, headers, the CSRF field) around the file.
_MULTIPART_ALLOWANCE = 64 * 1024


def upload_size_error(content_length: str | int | None) -> CsvImportError | None:
    """For views, before they read a request's body: the error `csv_open` would raise, when
    the request's Content-Length already says the file is over MAX_UPLOAD_MB."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return None
    if length > settings.MAX_UPLOAD_MB * 1024 * 1024 + _MULTIPART_ALLOWANCE:
        return _too_large(length)
    return None


def _size(stream) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _scan(stream) -> tuple[str, int]:
    """One streamed pass over the bytes: is this text, and in which encoding (decided for the
    whole file, not its first kilobytes)? Returns (encoding, newline count)."""
    head = stream.read(_HEAD)
    _head_check(head)
    bom = head.startswith(codecs.BOM_UTF8)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    utf8, cp1252 = True, True
    newlines = carriage_returns = 0
    blank = True
    chunk = head[len(codecs.BOM_UTF8) :] if bom else head
    while chunk:
        if b"\x00" in chunk:
            raise _not_text()
        blank = blank and chunk.isspace()
        newlines += chunk.count(b"\n")
        carriage_returns += chunk.count(b"\r")
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if cp1252 and any(byte in chunk for byte in _CP1252_UNDEFINED):
            cp1252 = False
        chunk = stream.read(_CHUNK)
    if blank:
        raise CsvImportError("The file is empty.", code="empty")
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return ("utf-8-sig" if bom else "utf-8"), newlines or carriage_returns
    # What Excel writes on Western-European Windows; latin-1 reads any byte.
    return ("cp1252" if cp1252 else "latin-1"), newlines or carriage_returns


def _head_check(head: bytes) -> None:
    """Refuse at once, from the first bytes, what is plainly not a CSV file: UTF-16 text, a
    spreadsheet or another known binary format, or bytes thick with control characters."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvImportError(
            'The file is UTF-16 text. Save it as "CSV UTF-8" (or plain CSV) and upload it again.',
            code="encoding",
        )
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            raise CsvImportError(
                f"This is {kind}, not a CSV file. Save the sheet as CSV (comma- or "
                "semicolon-separated) and upload that.",
                code="binary",
            )
    controls = sum(head.count(byte) for byte in _CONTROL_BYTES)
    if controls > max(8, len(head) // 100):
        raise _not_text()


def _not_text() -> CsvImportError:
    return CsvImportError(
        "This is not a text file (it contains binary data). Upload a CSV file.", code="binary"
    )


def _open_table(
    text: io.TextIOWrapper,
    encoding: str,
    total_lines: int,
    fields: dict[str, tuple[str, ...]],
    required: str,
    label: str,
    attributes: bool,
) -> CsvTable:
    # Blank lines before the header are counted, not kept, so that line numbers stay the
    # file's (the reader counts from the header on).
    blank_lines, header_text = 0, ""
    for raw in text:
        if raw.strip():
            header_text = raw
            break
        blank_lines += 1
    delimiter = _sniff_delimiter(header_text)
    lines = _LineSource(
        itertools.chain([header_text], text), first_line=blank_lines + 1, delimiter=delimiter
    )
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', strict=False)
    try:
        header = next(cells for cells in reader if any(c.strip() for c in cells))
    except StopIteration as exc:
        raise CsvImportError("The file is empty.", code="empty") from exc
    except csv.Error as exc:
        raise CsvImportError(
            "The first line cannot be read as a header row.", code="no_header"
        ) from exc
    columns, kept, ignored = _header_sorted(header, fields, attributes)
    if required not in columns:
        raise _no_required_column(header, fields[required], required, label)
    lines.check_records(width=len(header), phone_position=columns[required])
    return CsvTable(
        encoding=encoding,
        delimiter=delimiter,
        columns={name: header[position].strip() for name, position in columns.items()},
        attribute_columns=[name for _, name in kept],
        ignored_columns=[header[position].strip()[:60] for position in sorted(ignored)],
        ignored_column_reasons={
            header[position].strip()[:60]: why for position, why in sorted(ignored.items())
        },
        total_lines=total_lines,
        _reader=reader,
        _lines=lines,
        _positions=[columns.get(name) for name in fields] + [position for position, _ in kept],
        header=[cell.strip() for cell in header],
        _field_positions=dict(columns),
    )


def _header_sorted(
    header: list[str], fields: dict[str, tuple[str, ...]], attributes: bool
) -> tuple[dict[str, int], list[tuple[int, str]], dict[int, str]]:
    """The header's columns sorted out: (field → position, [(position, attribute name)],
    {position: why it is ignored})."""
    aliases = {
        header_key(alias): name for name, names in fields.items() for alias in (name, *names)
    }
    columns: dict[str, int] = {}
    ignored: dict[int, str] = {}  # position → why
    extra: list[tuple[int, str]] = []  # (position, cell) of the columns that name no field
    for position, cell in enumerate(header):
        name = aliases.get(header_key(cell))
        if name is None:
            if cell.strip():
                extra.append((position, cell))
            continue
        if name in columns:
            first = header[columns[name]].strip()
            if header_key(first) == name:  # the field's own name wins over an alias
                ignored[position] = _read_from(name, first)
                continue
            if header_key(cell) != name:
                raise CsvImportError(
                    f"Two columns could be the {name.replace('_', ' ')}: {first!r} and "
                    f"{cell.strip()!r}. Rename or remove one of them.",
                    code="ambiguous_columns",
                )
            ignored[columns[name]] = _read_from(name, cell.strip())
        columns[name] = position
    # A column named like a field once its punctuation and accents are gone ("Phone #",
    # "E/mail") is that field, when no column matched it by its spelling; it is never an
    # attribute, which would be a second copy of the field.
    named_like = {attribute_name_normalize(alias): name for alias, name in aliases.items()}
    others: list[tuple[int, str]] = []
    for position, cell in extra:
        name = named_like.get(attribute_name_normalize(cell))
        if name is None:
            others.append((position, cell))
        elif name in columns:
            ignored[position] = _read_from(name, header[columns[name]].strip())
        else:
            columns[name] = position
    kept: list[tuple[int, str]] = []
    if attributes:
        sorted_out = header_attributes(others)
        kept = sorted_out.kept
        ignored.update(sorted_out.ignored)
    else:
        ignored.update((position, "Not a column this import reads.") for position, _ in others)
    return columns, kept, ignored


def _read_from(field_name: str, cell: str) -> str:
    return f"The {field_name.replace('_', ' ')} is read from the column {cell[:60]!r}."


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter is the header's: the header's cells are names, which contain none of
    them, where data rows may (a comma inside an address, a semicolon in a note)."""
    unquoted = _QUOTED.sub("", header_line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties: tab, then semicolon
    return best if counts[best] else ","


def _no_required_column(header, aliases, required: str, label: str) -> CsvImportError:
    cells = [c.strip() for c in header if c.strip()]
    for cell in cells:
        try:
            phone_normalize(cell)
        except InvalidPhoneNumber:
            continue
        return CsvImportError(
            "The first line looks like data, not a header. The file must start with a header "
            f"row naming its columns, with one for the {label} ({required}).",
            code="no_header",
        )
    found = ", ".join(repr(c[:40]) for c in cells[:20]) or "none"
    names = ", ".join((required, *aliases[:4]))
    return CsvImportError(
        f"No {label} column. Name it {names} (any case). Columns found: {found}.",
        code="no_phone_column",
    )


# --- what both imports share: the phone column, file-level answers and the report ----------------

# Header aliases, compared after `header_key` ("E-mail" → "e_mail"). The first few phone
# aliases are the ones error messages suggest.
PHONE_ALIASES = (
    "phone",
    "telephone",
    "mobile",
    "number",
    "tel",
    "phone_no",
    "phonenumber",
    "mobile_number",
    "mobile_phone",
    "cell",
    "cellphone",
    "cell_phone",
    "msisdn",
    "telefono",
    "cellulare",
    "numero",
)

Progress = Callable[[int, int], None]  # (lines read, lines in the file)


@dataclass(frozen=True)
class ImportReport:
    """What a CSV import did, whatever it imports: the rows read, the rejected ones counted by
    code and the first MAX_LISTED_ERRORS of them listed by line, and how the file was read.
    The contact and exclusion imports extend it with what they wrote."""

    rows: int  # data rows read (blank lines not counted)
    rejected: int
    rejected_by_code: dict[str, int]  # every rejected row, counted by RowError.code
    errors: list[RowError]  # the first MAX_LISTED_ERRORS rejected rows, by line
    encoding: str  # utf-8, utf-8-sig (with BOM), cp1252 or latin-1
    delimiter: str  # comma, semicolon or tab
    ignored_columns: list[str]  # header cells read as nothing, in header order
    ignored_column_reasons: dict[str, str]  # ignored header cell → why
    header: list[str]  # the file's header cells, for the rejected rows' CSV
    rejected_rows: list[RejectedRow]  # the first MAX_REJECTED_ROWS rejected rows, whole
    rejected_rows_complete: bool  # False when some rejected rows were not kept

    @property
    def errors_not_listed(self) -> int:
        return self.rejected - len(self.errors)

    @staticmethod
    def read_from(table: CsvTable, errors: RowErrors) -> dict:
        """The fields every report takes from the file and its rejected rows."""
        return {
            "rejected": errors.count,
            "rejected_by_code": dict(errors.by_code.most_common()),
            "errors": errors.listed,
            "encoding": table.encoding,
            "delimiter": table.delimiter_name,
            "ignored_columns": table.ignored_columns,
            "ignored_column_reasons": table.ignored_column_reasons,
            "header": table.header,
            "rejected_rows": errors.kept,
            "rejected_rows_complete": errors.kept_complete,
        }


def no_rows_error() -> CsvImportError:
    return CsvImportError(
        "The file has a header but no rows under it: there is nothing to import.", code="no_rows"
    )


def upload_file_name(file) -> str:
    """The uploaded file's own name, for the audit log (no path)."""
    return os.path.basename(getattr(file, "name", "") or "")[:255]


def phone_problem(raw: str) -> tuple[str, str] | None:
    """Why a phone cell cannot be a number before it is even parsed: (code, message)."""
    if not raw:
        return "missing_phone", "No phone number."
    if "\n" in raw or "\r" in raw:
        return (
            "unclosed_quote",
            'A quote (") opened on this line is never closed, so the lines after it were read '
            "as part of this row.",
        )
    return None
