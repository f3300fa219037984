"""Admin of API keys: pages load, the hash is never shown, revoking reports counts."""

import pytest
from django.contrib.auth import get_user_model

from api.keys import create_api_key
from api.models import ApiKey


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client.force_login(admin)
    return client


@pytest.fixture
def keys(account):
    """Two keys of `account`: `[active, revoked]`."""
    active, _ = create_api_key(account, name="production engine")
    revoked, _ = create_api_key(account, name="old engine")
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at="2026-01-05T09:30:00Z")
    return [active, revoked]


def test_pages_load_without_the_hash(admin_client, keys):
    active, _ = keys
    pages = [
        "/admin/api/apikey/",
        "/admin/api/apikey/?state=active",
        "/admin/api/apikey/?state=revoked",
        "/admin/api/apikey/?q=production",
        f"/admin/api/apikey/{active.pk}/change/",
    ]

    for path in pages:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        content = response.content.decode()
        for key in keys:
            assert key.key_hash not in content, path


def test_list_filters_by_state(admin_client, keys):
    active, revoked = keys

    content = admin_client.get("/admin/api/apikey/?state=revoked").content.decode()

    assert revoked.prefix in content
    assert active.prefix not in content


def test_change_page_shows_prefix_and_account(admin_client, keys):
    active, _ = keys

    content = admin_client.get(f"/admin/api/apikey/{active.pk}/change/").content
    content = content.decode()

    assert active.prefix in content
    assert "Acme Inc." in content
    assert 'name="prefix"' not in content
    assert 'name="key_hash"' not in content


def test_add_page_is_forbidden(admin_client, keys):
    assert admin_client.get("/admin/api/apikey/add/").status_code == 403


def test_revoke_action_reports_counts(admin_client, keys):
    active, revoked = keys

    response = admin_client.post(
        "/admin/api/apikey/",
        {"action": "revoke_selected_keys", "_selected_action": [active.pk, revoked.pk]},
        follow=True,
    )

    content = response.content.decode()
    assert "Revoked 1 of 2 selected key(s). 1 had been revoked already." in content
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 0
