"""The Salesforce client end to end against the emulator over HTTPS."""

import pytest

from integrations.client import (
    SalesforceAuthError,
    SalesforceLimitError,
    SalesforceRequestError,
    client_for_account,
    revoke_token,
)
from integrations.models import SalesforceConnection

pytestmark = pytest.mark.django_db


def test_create_then_query(connected_account):
    client = client_for_account(connected_account)
    records = [
        {
            "attributes": {"type": "Lead"},
            "LastName": "Lovelace",
            "Company": "Analytical Engines",
            "Email": "ada@example.com",
        },
        {"attributes": {"type": "Lead"}, "LastName": "No Company"},
    ]

    created, failed = client.create_records(records)
    found = client.query("SELECT Id, Email FROM Lead WHERE Email = 'ADA@example.com'")

    assert created.success
    assert [record["Id"] for record in found] == [created.id]
    assert not failed.success
    assert failed.errors[0].status_code == "REQUIRED_FIELD_MISSING"
    assert "Company" in failed.errors[0].fields
    assert client.api_calls == 2


def test_unknown_field_is_request_error(connected_account):
    client = client_for_account(connected_account)

    with pytest.raises(SalesforceRequestError) as raised:
        client.query("SELECT Department FROM Lead")

    assert raised.value.error_code == "INVALID_FIELD"
    assert raised.value.status == 400


def test_expired_session_refreshed(connected_account, emulator):
    connection = connected_account.salesforce_connection
    old_token = connection.access_token
    client = client_for_account(connected_account)
    emulator.control.set_faults(connection.org_id, expire_sessions=True)

    limits = client.limits()

    assert "DailyApiRequests" in limits
    assert client.refresh_calls == 1
    connection.refresh_from_db()
    assert connection.access_token != old_token
    assert connection.state == SalesforceConnection.State.CONNECTED


def test_revoked_refresh_token_needs_reconnect(connected_account, emulator):
    connection = connected_account.salesforce_connection
    revoke_token(connection.login_url, connection.refresh_token)
    emulator.control.set_faults(connection.org_id, expire_sessions=True)
    client = client_for_account(connected_account)

    with pytest.raises(SalesforceAuthError) as raised:
        client.describe("Lead")

    assert raised.value.error_code == "invalid_grant"
    connection.refresh_from_db()
    assert connection.state == SalesforceConnection.State.NEEDS_RECONNECT
    assert "invalid_grant" in connection.last_error


def test_exhausted_api_limit(connected_account, emulator):
    connection = connected_account.salesforce_connection
    emulator.control.set_faults(connection.org_id, api_limit_remaining=0)
    client = client_for_account(connected_account)

    with pytest.raises(SalesforceLimitError) as raised:
        client.query("SELECT Id FROM Lead")

    assert raised.value.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert raised.value.status == 403
    assert client.api_calls == 1


def test_usage_stored_from_header(connected_account):
    client = client_for_account(connected_account)

    client.describe("Contact")
    client.save_usage()

    connection = SalesforceConnection.objects.get(account=connected_account)
    assert connection.api_usage_max == 15000
    assert connection.api_usage_used >= 1
