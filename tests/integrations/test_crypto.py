"""Tokens under a wrong or rotated TOKEN_ENCRYPTION_KEY: clear errors, no 500s."""

import pytest
import responses
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection as db_connection
from django.urls import reverse

from integrations.client import SalesforceAuthError, client_for_account
from integrations.connections import (
    Authorization,
    disconnect,
    store_authorization,
)
from integrations.models import SalesforceConnection

pytestmark = pytest.mark.django_db

LOGIN = "https://login.salesforce.com"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def stored_connection(account, settings):
    settings.TOKEN_ENCRYPTION_KEY = OLD_KEY
    settings.SALESFORCE_CA_BUNDLE = ""
    return SalesforceConnection.objects.create(
        account=account,
        org_id="00D000000000001EAA",
        instance_url="https://acme.my.salesforce.com",
        login_url=LOGIN,
        salesforce_user_id="005000000000001AAA",
        access_token="old-access",
        refresh_token="old-refresh",
    )


@pytest.fixture
def wrong_key(stored_connection, settings):
    """The deployment lost the key that encrypted `stored_connection`'s tokens."""
    settings.TOKEN_ENCRYPTION_KEY = NEW_KEY
    return stored_connection


def raw_tokens():
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_salesforceconnection"
        )
        return cursor.fetchone()


def test_settings_page_renders_with_wrong_key(client, account, wrong_key):
    client.force_login(account.member)

    response = client.get(reverse("integrations:salesforce_settings"))

    assert response.status_code == 200
    assert "00D000000000001EAA" in response.content.decode()


def test_client_reports_wrong_key(account, wrong_key):
    with pytest.raises(SalesforceAuthError) as raised:
        client_for_account(account)

    assert raised.value.error_code == "TOKEN_UNREADABLE"
    assert "TOKEN_ENCRYPTION_KEY" in str(raised.value)


def test_disconnect_with_wrong_key(account, wrong_key):
    result = disconnect(account)

    stored = SalesforceConnection.objects.get(pk=wrong_key.pk)
    assert result.was_connected is True
    assert "could not be decrypted" in result.revoke_problem
    assert stored.state == SalesforceConnection.State.DISCONNECTED
    assert stored.access_token == ""
    assert stored.refresh_token == ""


def test_reconnect_with_wrong_key(account, wrong_key):
    authorization = Authorization(
        login_url=LOGIN,
        instance_url="https://acme.my.salesforce.com",
        org_id="00D000000000001EAA",
        user_id="005000000000001AAA",
        username="admin@acme.example",
        access_token="new-access",
        refresh_token="new-refresh",
    )

    # The old refresh token cannot be read, so no revoke request is sent; an
    # unregistered request would fail inside responses' mock.
    with responses.RequestsMock():
        stored = store_authorization(account, authorization)

    stored = SalesforceConnection.objects.get(pk=stored.pk)
    assert stored.state == SalesforceConnection.State.CONNECTED
    assert stored.refresh_token == "new-refresh"


def test_admin_pages_with_wrong_key(client, wrong_key):
    admin_user = get_user_model().objects.create_superuser(
        username="support", password="x", email="support@example.com"
    )
    client.force_login(admin_user)

    listed = client.get(reverse("admin:integrations_salesforceconnection_changelist"))
    changed = client.get(
        reverse("admin:integrations_salesforceconnection_change", args=[wrong_key.pk])
    )

    assert listed.status_code == 200
    assert changed.status_code == 200
    assert "cannot be decrypted" in changed.content.decode()


def test_rotated_key_still_decrypts(stored_connection, settings):
    settings.TOKEN_ENCRYPTION_KEY = f"{NEW_KEY},{OLD_KEY}"

    stored = SalesforceConnection.objects.get(pk=stored_connection.pk)

    assert stored.access_token == "old-access"
    assert stored.refresh_token == "old-refresh"


def test_reencrypt_tokens_moves_rows_to_first_key(stored_connection, settings):
    settings.TOKEN_ENCRYPTION_KEY = f"{NEW_KEY},{OLD_KEY}"

    call_command("reencrypt_tokens")

    settings.TOKEN_ENCRYPTION_KEY = NEW_KEY
    stored = SalesforceConnection.objects.get(pk=stored_connection.pk)
    assert stored.access_token == "old-access"
    assert stored.refresh_token == "old-refresh"
    assert Fernet(NEW_KEY).decrypt(raw_tokens()[1].encode()) == b"old-refresh"


def test_reencrypt_tokens_skips_unreadable_rows(wrong_key, capsys):
    before = raw_tokens()

    call_command("reencrypt_tokens")

    assert raw_tokens() == before
    output = capsys.readouterr()
    assert "0 connection(s) re-encrypted" in output.out
    assert f"connection {wrong_key.pk}" in output.err


@pytest.mark.parametrize("key", ["", "not-a-fernet-key", f"{OLD_KEY},short"])
def test_invalid_key_fails_system_check(settings, key):
    settings.TOKEN_ENCRYPTION_KEY = key

    with pytest.raises(SystemCheckError, match="TOKEN_ENCRYPTION_KEY"):
        call_command("check")


def test_listing_connections_needs_no_key(wrong_key):
    listed = list(SalesforceConnection.objects.select_related("account"))

    assert [connection.org_id for connection in listed] == ["00D000000000001EAA"]
    assert listed[0].readable_token("refresh_token") is None
