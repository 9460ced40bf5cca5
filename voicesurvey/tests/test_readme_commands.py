"""The README's `python manage.py …` commands run as written outside `make run`: in a clean
environment (no SECRET_KEY, no DEBUG, a Python without Django on the PATH), after `make run`'s
first step has written the development .env (scripts/dev-env)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _clean_env(tmp_path: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "PYENV_ROOT", "PYENV_VERSION")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    return env


def test_dev_env_writes_a_development_env_once(tmp_path):
    target = tmp_path / ".env"
    subprocess.run([ROOT / "scripts" / "dev-env", target], check=True, capture_output=True)
    assert "DEBUG=true" in target.read_text().splitlines()
    target.write_text("DEBUG=false\n")  # a file of one's own is left alone
    subprocess.run([ROOT / "scripts" / "dev-env", target], check=True, capture_output=True)
    assert target.read_text() == "DEBUG=false\n"


def test_without_the_env_file_the_error_says_how_to_get_one(tmp_path):
    env = _clean_env(tmp_path) | {"READ_DOT_ENV_FILE": "false"}
    result = subprocess.run(
        [ROOT / ".venv" / "bin" / "python", "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "make run" in result.stderr


@pytest.mark.skipif(not shutil.which("python"), reason="no `python` on the PATH")
def test_readme_commands_run_as_written_with_the_env_file(tmp_path):
    """`python` here is the PATH's, which has no Django: manage.py moves to the .venv. The
    settings read DEBUG=true from the .env scripts/dev-env wrote (in a temporary folder,
    named by ENV_FILE: the project's own .env is the developer's)."""
    env_file = tmp_path / ".env"
    subprocess.run([ROOT / "scripts" / "dev-env", env_file], check=True, capture_output=True)
    env = _clean_env(tmp_path) | {"ENV_FILE": str(env_file)}
    for command in (
        ["check"],
        ["migrate", "--no-input", "-v0"],
        ["run_scheduler", "--once"],
        ["help", "simulate"],
    ):
        result = subprocess.run(
            ["python", "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (command, result.stderr[-2000:])
