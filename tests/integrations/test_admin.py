"""The SalesforceConnection admin: pages load, tokens stay hidden, the check action."""

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.urls import reverse

from integrations.client import SalesforceAuthError, request_token
from integrations.models import SalesforceConnection
from sf_emulator.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin_user = get_user_model().objects.create_superuser(
        username="support", password="x", email="support@example.com"
    )
    client.force_login(admin_user)
    return client


@pytest.fixture
def stored_connection(account):
    return SalesforceConnection.objects.create(
        account=account,
        org_id="00D000000000001EAA",
        instance_url="https://acme.my.salesforce.com",
        login_url="https://login.salesforce.com",
        salesforce_user_id="005000000000001AAA",
        salesforce_username="admin@acme.example",
        access_token="plain-access",
        refresh_token="",
    )


def test_changelist_search_and_filter(admin_client, stored_connection):
    url = reverse("admin:integrations_salesforceconnection_changelist")

    listed = admin_client.get(url)
    searched = admin_client.get(url, {"q": "00D000000000001"})
    missed = admin_client.get(url, {"q": "nothing-like-this"})
    filtered = admin_client.get(url, {"state__exact": "disconnected"})

    assert listed.status_code == 200
    assert "admin@acme.example" in listed.content.decode()
    assert "admin@acme.example" in searched.content.decode()
    assert "admin@acme.example" not in missed.content.decode()
    assert "admin@acme.example" not in filtered.content.decode()


def test_change_page_hides_tokens(admin_client, stored_connection):
    url = reverse(
        "admin:integrations_salesforceconnection_change", args=[stored_connection.pk]
    )

    text = admin_client.get(url).content.decode()

    assert "plain-access" not in text
    assert "gAAAAA" not in text
    assert "stored" in text
    assert "missing" in text


def test_check_connection_reports_usage(admin_client, connected_account):
    connection = connected_account.salesforce_connection
    url = reverse("admin:integrations_salesforceconnection_changelist")

    response = admin_client.post(
        url,
        {"action": "check_connection", "_selected_action": [connection.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert f"org {connection.org_id} responded" in text
    assert "API requests used today: 1 of 15000" in text
    connection.refresh_from_db()
    assert connection.api_usage_max == 15000


def test_check_connection_reports_failure(admin_client, stored_connection):
    stored_connection.state = SalesforceConnection.State.NEEDS_RECONNECT
    stored_connection.save()
    url = reverse("admin:integrations_salesforceconnection_changelist")

    response = admin_client.post(
        url,
        {"action": "check_connection", "_selected_action": [stored_connection.pk]},
        follow=True,
    )

    text = response.content.decode()
    # The admin capitalises the first letter of every message.
    assert "Acme: check failed" in text
    assert "state &#x27;needs reconnect&#x27;" in text


def test_delete_revokes_grant(admin_client, connected_account, emulator):
    connection = connected_account.salesforce_connection
    refresh_token = connection.refresh_token
    url = reverse(
        "admin:integrations_salesforceconnection_delete", args=[connection.pk]
    )

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not SalesforceConnection.objects.exists()
    with pytest.raises(SalesforceAuthError) as raised:
        request_token(
            connection.login_url,
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
            },
        )
    assert raised.value.error_code == "invalid_grant"


def test_bulk_delete_reports_failed_revoke(admin_client, stored_connection, settings):
    settings.SALESFORCE_CA_BUNDLE = ""
    url = reverse("admin:integrations_salesforceconnection_changelist")

    with responses.RequestsMock() as mocked:
        mocked.post(
            "https://login.salesforce.com/services/oauth2/revoke",
            body=requests.ConnectionError("connection refused"),
        )
        response = admin_client.post(
            url,
            {
                "action": "delete_selected",
                "_selected_action": [stored_connection.pk],
                "post": "yes",
            },
            follow=True,
        )

    text = response.content.decode()
    assert "did not confirm that the token was revoked" in text
    assert not SalesforceConnection.objects.exists()
