"""Migration 0002: DRF's plain-text tokens become knox's hashed, expiring tokens, and each old
token keeps working as it was written (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

BEFORE = [
    ("voicesurvey", "0001_initial"),
    ("knox", "0009_extend_authtoken_field"),
    ("authtoken", "0004_alter_tokenproxy_options"),
]
AFTER = [("voicesurvey", "0002_api_tokens_to_knox")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_old_tokens_move_to_knox_and_keep_working():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("voicesurvey", "User").objects.create(
        username="svc", role="campaign_manager"
    )
    old.get_model("authtoken", "Token").objects.create(key="a" * 40, user_id=user.pk)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from knox.models import AuthToken
    from rest_framework.authtoken.models import Token

    assert not Token.objects.exists()  # no plain text left
    stored = AuthToken.objects.get(user_id=user.pk)
    assert stored.expiry is not None
    assert "a" * 40 not in stored.digest
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "a" * 40)
    assert client.get("/api/me").json()["username"] == "svc"
