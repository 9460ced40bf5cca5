"""The role matrix of docs/architecture.md §7: the helpers, a page, an API endpoint and an
admin-only view."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from voicesurvey.models import AuditLog, Role
from voicesurvey.permissions import (
    ROLE_CAPABILITIES,
    Capability,
    mask_phone_number,
    phone_number_for,
    user_has_capability,
)

C = Capability
# The design's table, written out independently of ROLE_CAPABILITIES.
MATRIX = {
    C.VIEW: {"admin", "campaign_manager", "viewer"},
    C.MANAGE_CAMPAIGNS: {"admin", "campaign_manager"},
    C.EXPORT: {"admin", "campaign_manager"},
    C.MANAGE_EXCLUSIONS: {"admin", "campaign_manager"},
    C.ADMINISTER: {"admin"},
    C.SEE_PHONE_NUMBERS: {"admin", "campaign_manager"},
}


@pytest.mark.parametrize("capability", list(Capability))
@pytest.mark.parametrize("role", list(Role))
def test_role_capabilities_follow_the_design(role, capability):
    assert (capability in ROLE_CAPABILITIES[role]) == (role in MATRIX[capability])


@pytest.mark.django_db
def test_inactive_and_anonymous_users_can_do_nothing(admin_user):
    from django.contrib.auth.models import AnonymousUser

    admin_user.is_active = False
    assert not user_has_capability(admin_user, C.VIEW)
    assert not user_has_capability(AnonymousUser(), C.VIEW)


def test_phone_masking():
    assert mask_phone_number("+393471234567") == "+39 *** *** 4567"
    assert mask_phone_number("+12125550123") == "+1 *** *** 0123"
    assert mask_phone_number("") == ""


@pytest.mark.django_db
def test_viewers_see_masked_numbers(viewer_user, manager_user):
    assert phone_number_for(viewer_user, "+393471234567") == "+39 *** *** 4567"
    assert phone_number_for(manager_user, "+393471234567") == "+393471234567"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_api_me_matrix(persona_api, persona, status):
    response = persona_api.get("/api/me")
    assert response.status_code == status
    if status == 200:
        assert response.json()["role"] == persona.role
        assert set(response.json()["capabilities"]) == set(ROLE_CAPABILITIES[persona.role])
    else:
        assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_api_token_authentication(manager_user, api_client):
    from knox.models import AuthToken

    _token, text = AuthToken.objects.create(user=manager_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    assert api_client.get("/api/me").json()["username"] == "max"
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_campaign_list_page_matrix(persona_client, persona, status):
    response = persona_client.get("/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 403), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_metrics_matrix(persona_client, persona, status):
    assert persona_client.get("/metrics").status_code == status


@pytest.mark.django_db
def test_metrics_token(client, settings):
    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


@pytest.mark.django_db
def test_denied_access_is_audit_logged(viewer_user, client):
    from django.test import RequestFactory
    from rest_framework.request import Request

    from voicesurvey.permissions import CanManageCampaigns, require_capability

    api_request = Request(RequestFactory().post("/api/campaigns"))
    api_request.user = viewer_user
    assert CanManageCampaigns().has_permission(api_request, view=None) is False

    @require_capability(C.ADMINISTER)
    def admin_only_page(request):
        raise AssertionError("must not run")

    page_request = RequestFactory().get("/somewhere")
    page_request.user = viewer_user
    with pytest.raises(PermissionDenied):
        admin_only_page(page_request)

    denials = AuditLog.objects.filter(action="access.denied", actor=viewer_user)
    assert [d.details["capability"] for d in denials.order_by("id")] == [
        "manage_campaigns",
        "administer",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["contacts:table", "exports:panel", "campaign_stats_panel", "contacts:upload"]
)
def test_a_signed_out_htmx_request_sends_its_whole_page_to_login(client, name):
    """A panel refreshing itself, a filter or an upload after the session expired: htmx must
    load the login page whole (HX-Redirect), back to the page it was on, not swap it into
    the panel."""
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory()
    page = f"/campaigns/{campaign.pk}?state=pending"
    method = client.post if name == "contacts:upload" else client.get
    response = method(
        reverse(name, args=[campaign.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )
    assert response.status_code == 401
    back_to = f"/campaigns/{campaign.pk}%3Fstate%3Dpending"
    assert response["HX-Redirect"] == f"/accounts/login/?next={back_to}"
    # Without htmx, the usual redirect to the login page.
    response = method(reverse(name, args=[campaign.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
