"""The call stats buckets in the admin: visible to admins, never edited there."""

import pytest
from django.contrib import admin
from django.urls import reverse

from calls.models import CallOutcome, CallStatsBucket
from calls.tests.factories import CallAttemptFactory

pytestmark = pytest.mark.django_db


def test_admins_see_the_buckets_read_only(client, admin_user):
    CallAttemptFactory(outcome=CallOutcome.BUSY)
    bucket = CallStatsBucket.objects.get()
    client.force_login(admin_user)

    changelist = client.get(reverse("admin:calls_callstatsbucket_changelist"))
    assert changelist.status_code == 200
    assert str(bucket.campaign) in changelist.content.decode()
    change = client.get(reverse("admin:calls_callstatsbucket_change", args=[bucket.pk]))
    assert change.status_code == 200

    request = type("R", (), {"user": admin_user})()
    model_admin = admin.site._registry[CallStatsBucket]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
