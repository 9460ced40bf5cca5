#!/usr/bin/env python
import os
import sys
from pathlib import Path


def _use_project_venv() -> None:
    """`python manage.py …` with a Python that lacks Django (the system's) re-runs itself with
    the project's .venv, which `make run` creates, so that the README's commands work as
    written without activating it."""
    venv_python = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
    try:
        import django  # noqa: F401
    except ImportError:
        if venv_python.is_file() and not os.environ.get("VOICESURVEY_IN_VENV"):
            os.environ["VOICESURVEY_IN_VENV"] = "1"  # once: never a loop
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        raise


def main() -> None:
    _use_project_venv()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voicesurvey.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
