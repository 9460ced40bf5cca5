#!/usr/bin/env python3
"""Known vulnerabilities in the pinned requirements, from whatever advisory source answers.

    python scripts/dependency_audit.py [requirements.txt requirements-dev.txt …]

Why not just pip-audit: on machines that reach only a package index (CI here), pip-audit's
sources do not answer. Its OSV service needs api.osv.dev; its PyPI service asks PyPI's
per-version JSON (/pypi/NAME/VERSION/json), which an index mirror may not serve — and then
pip-audit skips every package and still prints "No known vulnerabilities found", a clean
result that checked nothing. This script tries each source in turn and says what it could and
could not check:

1. OSV's API (api.osv.dev/v1/querybatch): advisories for each pinned version, exactly.
2. PyPI's per-version JSON: its `vulnerabilities` (from OSV) for the pinned version, exactly.
3. PyPI's project JSON (/pypi/NAME/json): its `vulnerabilities` are those of the latest
   release only, so they answer for a pin that *is* the latest release; older pins are
   listed as not checked.

Exit status: 1 when a checked pin has a known vulnerability with a fixed release (upgrade
it); 0 otherwise — advisories without a fix are printed as warnings, and when no source is
reachable it says "no advisory source reachable" with what was tried, without failing: an
absent network is not a vulnerability. Standard library only. PYPI_URL (default
https://pypi.org) and OSV_URL (default https://api.osv.dev) point elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_SECONDS = 10
DEFAULT_FILES = ("requirements.txt", "requirements-dev.txt")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


class Unreachable(Exception):
    """The source did not answer (no name resolution, refused, timed out, 5xx)."""


class NotServed(Exception):
    """The source answered, but not for this (404)."""


# fetch(url, body) -> parsed JSON; raises Unreachable or NotServed.
Fetch = Callable[[str, "dict | None"], dict]


def http_fetch(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotServed(f"{exc.code} for {url}") from None
        raise Unreachable(f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{url}: {reason}") from None


@dataclass(frozen=True)
class Pin:
    name: str  # normalised (PEP 503)
    version: str
    file: str


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str


@dataclass
class Report:
    tried: list[str] = field(default_factory=list)  # "source: outcome", in order
    checked: dict[Pin, str] = field(default_factory=dict)  # pin → source that answered
    not_checked: dict[Pin, str] = field(default_factory=dict)  # pin → why
    findings: dict[Pin, list[Advisory]] = field(default_factory=dict)
    unpinned: list[str] = field(default_factory=list)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(paths: Iterable[Path], unpinned: list[str] | None = None) -> list[Pin]:
    """`name==version` lines of requirement files, following `-r other.txt`; other lines
    that name a package are returned in `unpinned`."""
    pins: dict[str, Pin] = {}
    seen: set[Path] = set()

    def read(path: Path) -> None:
        if path in seen:
            return
        seen.add(path)
        for raw in path.read_text().splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-r ", "--requirement ")):
                read(path.parent / line.split(None, 1)[1])
                continue
            if line.startswith("-"):
                continue
            match = _PIN.match(line)
            if match:
                name = normalise(match[1])
                pins.setdefault(name, Pin(name, match[3], path.name))
            elif unpinned is not None:
                unpinned.append(f"{line} ({path.name})")

    for path in paths:
        read(path)
    return list(pins.values())


def _advisories(entries: Iterable[dict]) -> list[Advisory]:
    return [
        Advisory(
            id=entry.get("id", "?"),
            aliases=tuple(entry.get("aliases") or ()),
            fixed_in=tuple(entry.get("fixed_in") or ()),
            summary=(entry.get("summary") or entry.get("details") or "").strip().split("\n")[0],
        )
        for entry in entries
        if not entry.get("withdrawn")
    ]


def _osv_fixed(vulnerability: dict, name: str) -> tuple[str, ...]:
    fixed = []
    for affected in vulnerability.get("affected", []):
        if normalise(affected.get("package", {}).get("name", "")) != name:
            continue
        for rng in affected.get("ranges", []):
            fixed += [event["fixed"] for event in rng.get("events", []) if "fixed" in event]
    return tuple(fixed)


def audit_osv(pins: list[Pin], fetch: Fetch, osv_url: str, report: Report) -> bool:
    """All pins in one batch; True when OSV answered (every pin is then checked)."""
    queries = [
        {"package": {"name": p.name, "ecosystem": "PyPI"}, "version": p.version} for p in pins
    ]
    try:
        answer = fetch(f"{osv_url}/v1/querybatch", {"queries": queries})
    except (Unreachable, NotServed) as exc:
        report.tried.append(f"OSV API ({osv_url}): {exc}")
        return False
    report.tried.append(f"OSV API ({osv_url}): answered")
    for pin, result in zip(pins, answer.get("results", []), strict=False):
        report.checked[pin] = "OSV"
        ids = [v["id"] for v in result.get("vulns", [])]
        found = []
        for vuln_id in ids:  # the batch answer has ids only: each advisory is read for its fix
            try:
                vuln = fetch(f"{osv_url}/v1/vulns/{vuln_id}", None)
            except (Unreachable, NotServed):
                vuln = {"id": vuln_id}
            found.append(
                Advisory(
                    id=vuln_id,
                    aliases=tuple(vuln.get("aliases") or ()),
                    fixed_in=_osv_fixed(vuln, pin.name),
                    summary=(vuln.get("summary") or "").strip(),
                )
            )
        if found:
            report.findings[pin] = found
    return True


def _pypi_one(pin: Pin, fetch: Fetch, pypi_url: str) -> tuple[str, list[Advisory] | None, str]:
    """(source or "", advisories or None when not checked, why not / detail)."""
    try:
        data = fetch(f"{pypi_url}/pypi/{pin.name}/{pin.version}/json", None)
        return "PyPI (version)", _advisories(data.get("vulnerabilities", [])), ""
    except NotServed:
        pass
    try:
        data = fetch(f"{pypi_url}/pypi/{pin.name}/json", None)
    except NotServed:
        return "", None, "not on the index"
    latest = data.get("info", {}).get("version", "")
    if latest != pin.version:
        return "", None, f"older than the latest release ({latest})"
    return "PyPI (latest)", _advisories(data.get("vulnerabilities", [])), ""


def audit_pypi(pins: list[Pin], fetch: Fetch, pypi_url: str, report: Report) -> bool:
    """Each pin from PyPI's JSON; False when PyPI does not answer at all."""
    try:  # one probe first, so that an absent network costs one timeout, not one per pin
        results = [_pypi_one(pins[0], fetch, pypi_url)]
    except Unreachable as exc:
        report.tried.append(f"PyPI JSON ({pypi_url}): {exc}")
        return False
    with ThreadPoolExecutor(max_workers=8) as pool:

        def one(pin: Pin) -> tuple[str, list[Advisory] | None, str]:
            try:
                return _pypi_one(pin, fetch, pypi_url)
            except Unreachable as exc:
                return "", None, str(exc)

        results += list(pool.map(one, pins[1:]))
    by_version = sum(source == "PyPI (version)" for source, _, _ in results)
    report.tried.append(
        f"PyPI JSON ({pypi_url}): answered; per-version advisories for {by_version} of "
        f"{len(pins)} pins"
        + ("" if by_version else " (/pypi/NAME/VERSION/json is not served)")
        + ", the latest release's for the rest"
    )
    for pin, (source, advisories, why) in zip(pins, results, strict=True):
        if advisories is None:
            report.not_checked[pin] = why
            continue
        report.checked[pin] = source
        if advisories:
            report.findings[pin] = advisories
    return True


def audit(pins: list[Pin], *, fetch: Fetch = http_fetch, pypi_url: str, osv_url: str) -> Report:
    report = Report()
    if pins and not audit_osv(pins, fetch, osv_url, report):
        audit_pypi(pins, fetch, pypi_url, report)
    return report


def render(report: Report, pins: list[Pin], files: list[str]) -> tuple[str, int]:
    """The report as text, and the exit status."""
    lines = [f"dependency audit: {len(pins)} pinned packages in {', '.join(files)}"]
    lines += [f"  tried {entry}" for entry in report.tried]
    if not report.checked:
        tried = "; ".join(report.tried) or "nothing to check"
        lines.append(f"no advisory source reachable: {tried}")
        lines.append("NOT AUDITED: this is not a clean result.")
        return "\n".join(lines), 0
    lines.append(f"checked: {len(report.checked)} of {len(pins)} pins")
    if report.not_checked:
        lines.append(
            f"not checked: {len(report.not_checked)} pins (no reachable source has advisories "
            "for them):"
        )
        lines += [
            f"  {pin.name}=={pin.version}: {why}"
            for pin, why in sorted(report.not_checked.items(), key=lambda i: i[0].name)
        ]
    for entry in report.unpinned:
        lines.append(f"  not pinned, not checked: {entry}")
    status = 0
    for pin, advisories in sorted(report.findings.items(), key=lambda item: item[0].name):
        for advisory in advisories:
            fixed = ", ".join(advisory.fixed_in)
            kind = "VULNERABLE" if fixed else "warning (no fixed release)"
            aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
            lines.append(
                f"{kind}: {pin.name}=={pin.version} [{pin.file}] {advisory.id}{aliases}"
                + (f", fixed in {fixed}" if fixed else "")
                + (f": {advisory.summary[:160]}" if advisory.summary else "")
            )
            if fixed:
                status = 1
    if not report.findings:
        lines.append(f"no known vulnerabilities in the {len(report.checked)} checked pins")
    return "\n".join(lines), status


def main(argv: list[str], *, fetch: Fetch = http_fetch) -> int:
    files = argv or [f for f in DEFAULT_FILES if Path(f).is_file()]
    unpinned: list[str] = []
    pins = read_pins([Path(f) for f in files], unpinned)
    report = audit(
        pins,
        fetch=fetch,
        pypi_url=os.environ.get("PYPI_URL", "https://pypi.org").rstrip("/"),
        osv_url=os.environ.get("OSV_URL", "https://api.osv.dev").rstrip("/"),
    )
    report.unpinned = unpinned
    text, status = render(report, pins, files)
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
