"""scripts/dependency_audit.py (`make audit`, `.ci/run`): the pinned requirements against the
advisory sources that answer, saying what was checked and what could not be, never a clean
result that checked nothing. The sources are faked here: no network in tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "dependency_audit.py"
_spec = importlib.util.spec_from_file_location("dependency_audit", _PATH)
assert _spec is not None
assert _spec.loader is not None
audit = importlib.util.module_from_spec(_spec)
sys.modules["dependency_audit"] = audit  # dataclasses look their module up
_spec.loader.exec_module(audit)

PYPI = "https://pypi.org"
OSV = "https://api.osv.dev"


@pytest.fixture
def requirements(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(
        "# runtime\nDjango==5.2.19\npsycopg[binary,pool]==3.3.9  # extras\nleft-alone>=1.0\n"
    )
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\nruff==0.17.6\n")
    monkeypatch.delenv("PYPI_URL", raising=False)
    monkeypatch.delenv("OSV_URL", raising=False)
    return tmp_path


def _advisory(id_: str, fixed_in: list[str]) -> dict:
    return {"id": id_, "aliases": ["CVE-2026-1"], "fixed_in": fixed_in, "summary": "bad"}


def _fetcher(answers: dict[str, object]):
    """A fake `fetch`: an answer per URL; an exception instance is raised; a URL not listed
    did not resolve."""
    asked: list[str] = []

    def fetch(url: str, body=None):
        asked.append(url)
        answer = answers.get(url, audit.Unreachable(f"{url}: Name or service not known"))
        if isinstance(answer, Exception):
            raise answer
        return answer

    fetch.asked = asked  # type: ignore[attr-defined]
    return fetch


def test_pins_are_read_with_extras_and_includes():
    here = Path(__file__).resolve().parents[2]
    pins = audit.read_pins([here / "requirements-dev.txt"])
    names = {pin.name for pin in pins}
    assert {"django", "psycopg", "django-storages", "moto", "ruff"} <= names
    assert all(pin.version[0].isdigit() for pin in pins)


def test_nothing_reachable_says_so_and_does_not_fail(requirements, capsys):
    status = audit.main([], fetch=_fetcher({}))

    out = capsys.readouterr().out
    assert status == 0
    assert "no advisory source reachable: OSV API (https://api.osv.dev)" in out
    assert "PyPI JSON (https://pypi.org)" in out
    assert "NOT AUDITED: this is not a clean result." in out
    assert "no known vulnerabilities" not in out


def test_only_the_project_json_answers_pins_at_the_latest_release_are_checked(requirements, capsys):
    not_served = audit.NotServed("404")
    fetch = _fetcher(
        {
            f"{PYPI}/pypi/django/5.2.19/json": not_served,
            f"{PYPI}/pypi/psycopg/3.3.9/json": not_served,
            f"{PYPI}/pypi/ruff/0.17.6/json": not_served,
            f"{PYPI}/pypi/django/json": {"info": {"version": "6.1.3"}, "vulnerabilities": []},
            f"{PYPI}/pypi/psycopg/json": {"info": {"version": "3.3.9"}, "vulnerabilities": []},
            f"{PYPI}/pypi/ruff/json": {
                "info": {"version": "0.17.6"},
                "vulnerabilities": [_advisory("PYSEC-2026-9", [])],
            },
        }
    )

    status = audit.main([], fetch=fetch)

    out = capsys.readouterr().out
    assert status == 0  # an advisory without a fixed release warns
    assert "checked: 2 of 3 pins" in out
    assert "django==5.2.19: older than the latest release (6.1.3)" in out
    assert "warning (no fixed release): ruff==0.17.6 [requirements-dev.txt] PYSEC-2026-9" in out
    assert "not pinned, not checked: left-alone>=1.0 (requirements.txt)" in out


def test_a_vulnerability_with_a_fix_fails_the_audit(requirements, capsys):
    fetch = _fetcher(
        {
            f"{PYPI}/pypi/django/5.2.19/json": {
                "vulnerabilities": [_advisory("PYSEC-2026-1", ["5.2.20"])]
            },
            f"{PYPI}/pypi/psycopg/3.3.9/json": {"vulnerabilities": []},
            f"{PYPI}/pypi/ruff/0.17.6/json": {"vulnerabilities": []},
        }
    )

    status = audit.main([], fetch=fetch)

    out = capsys.readouterr().out
    assert status == 1
    assert (
        "VULNERABLE: django==5.2.19 [requirements.txt] PYSEC-2026-1 (CVE-2026-1), fixed in "
        "5.2.20: bad"
    ) in out
    assert "checked: 3 of 3 pins" in out


def test_osv_when_it_answers_checks_every_pin_exactly(requirements, capsys):
    fetch = _fetcher(
        {
            f"{OSV}/v1/querybatch": {
                "results": [{"vulns": [{"id": "GHSA-xxxx"}]}, {}, {}],
            },
            f"{OSV}/v1/vulns/GHSA-xxxx": {
                "id": "GHSA-xxxx",
                "summary": "SQL injection",
                "affected": [
                    {
                        "package": {"name": "Django", "ecosystem": "PyPI"},
                        "ranges": [{"events": [{"introduced": "5.2"}, {"fixed": "5.2.20"}]}],
                    }
                ],
            },
        }
    )

    status = audit.main([], fetch=fetch)

    out = capsys.readouterr().out
    assert status == 1
    assert "VULNERABLE: django==5.2.19 [requirements.txt] GHSA-xxxx, fixed in 5.2.20" in out
    assert "checked: 3 of 3 pins" in out
    assert not any(url.startswith(PYPI) for url in fetch.asked)  # type: ignore[attr-defined]


def test_an_absent_network_costs_one_probe_per_source(requirements, capsys):
    fetch = _fetcher({})
    audit.main([], fetch=fetch)
    assert fetch.asked == [  # type: ignore[attr-defined]
        f"{OSV}/v1/querybatch",
        f"{PYPI}/pypi/django/5.2.19/json",
    ]
