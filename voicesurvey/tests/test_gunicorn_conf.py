"""gunicorn.conf.py, as `gunicorn voicesurvey.wsgi` reads it from the project root: its access
log names paths without their query strings, so a phone number searched for never lands there.

A real gunicorn on a database of its own (a migrated SQLite file), asked over HTTP."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
NUMBER = "393471234567"

pytestmark = pytest.mark.slow

SEED = f"""
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from voicesurvey.models import Role
from voicesurvey.services import api_token_create, user_create
admin = user_create(username="ops", role=Role.ADMIN, email="ops@example.com", password="x")
campaign = CampaignFactory()
ContactFactory(campaign=campaign, phone_number="+{NUMBER}")
print(campaign.pk, api_token_create(user=admin, actor=admin)[1])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="voicesurvey.settings_test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    migrated = subprocess.run([*manage, "migrate", "--no-input"], **run)
    assert migrated.returncode == 0, migrated.stderr
    seeded = subprocess.run([*manage, "shell", "-c", SEED], **run)
    assert seeded.returncode == 0, seeded.stderr
    campaign_id, token = seeded.stdout.split()[-2:]
    return env, campaign_id, token


def test_the_access_log_has_the_path_but_not_the_searched_number(tmp_path, environment):
    env, campaign_id, token = environment
    port, access_log = _free_port(), tmp_path / "access.log"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "voicesurvey.wsgi",  # no -c: gunicorn reads ./gunicorn.conf.py, as in production
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            f"--access-logfile={access_log}",
            # gunicorn 27 puts a control socket in ~/.gunicorn by default, one per host: this
            # server gets its own, so it neither takes nor breaks another one's.
            f"--control-socket={tmp_path / 'gunicorn.ctl'}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        path = f"/api/campaigns/{campaign_id}/contacts"
        search = f"?search=%2B{NUMBER}"
        response = _get(port, path + search, token=token, referer=f"http://x/{path}{search}")
        assert response.status == 200
        assert json.loads(response.read())["count"] == 1  # the search did reach the app
        lines = _wait_for_lines(access_log)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    [line] = [line for line in lines if path in line]
    assert f'"GET {path} HTTP/1.1" 200' in line
    assert NUMBER not in line
    assert "search" not in line
    assert NUMBER not in stderr


def _get(port: int, target: str, *, token: str, referer: str) -> http.client.HTTPResponse:
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request(
                "GET",
                target,
                headers={"Authorization": f"Token {token}", "Referer": referer},
            )
            return connection.getresponse()
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_for_lines(log: Path) -> list[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if log.exists() and log.read_text():
            return log.read_text().splitlines()
        time.sleep(0.1)
    raise AssertionError("gunicorn wrote no access log line")
