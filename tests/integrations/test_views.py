"""The Salesforce settings page: account membership rules and the export settings."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from exports.models import ExportConfig
from integrations.models import SalesforceConnection
from outreach.models import Account, Campaign

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/settings/integrations/salesforce/"
EXPORT_URL = "/settings/integrations/salesforce/export/"
DISCONNECT_URL = "/settings/integrations/salesforce/disconnect/"
CONNECT_URL = "/settings/integrations/salesforce/connect/"


@pytest.fixture
def other_account(db):
    other = Account.objects.create(slug="globex", name="Globex Corp.")
    Campaign.objects.create(account=other, name="Globex launch")
    return other


def test_anonymous_redirected_to_login(client):
    response = client.get(SETTINGS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_account_gets_403(client):
    loner = get_user_model().objects.create_user(username="loner", password="x")
    client.force_login(loner)

    response = client.get(SETTINGS_URL)

    assert response.status_code == 403
    assert "not a member of any Artisan account" in response.content.decode()


def test_member_sees_own_account(client, account, other_account):
    client.force_login(account.member)

    response = client.get(SETTINGS_URL)
    text = response.content.decode()

    assert response.status_code == 200
    assert "Salesforce for Acme Inc." in text
    assert "Globex" not in text
    assert "Not connected" in text
    assert 'name="account"' in text


def test_other_account_hidden(client, account, other_account):
    client.force_login(account.member)

    response = client.get(SETTINGS_URL, {"account": "globex"})

    assert response.status_code == 404


def test_other_account_not_editable(client, account, other_account):
    client.force_login(account.member)

    response = client.post(
        EXPORT_URL,
        {"account": "globex", "object_mapping": "contact", "export_trigger": "all"},
    )

    assert response.status_code == 404
    assert not ExportConfig.objects.filter(account=other_account).exists()


def test_several_accounts_offer_selector(client, account, other_account):
    other_account.members.add(account.member)
    client.force_login(account.member)

    first = client.get(SETTINGS_URL).content.decode()
    chosen = client.get(SETTINGS_URL, {"account": "globex"}).content.decode()

    assert 'id="account-select"' in first
    assert "Salesforce for Acme Inc." in first
    assert "Salesforce for Globex Corp." in chosen
    assert "Globex launch" in chosen
    assert "Q3 outbound" not in chosen


def test_export_settings_saved(client, account):
    campaign = account.campaigns.get()
    second = Campaign.objects.create(
        account=account, name="Re-engage", do_not_contact_crm=True
    )
    client.force_login(account.member)

    response = client.post(
        EXPORT_URL,
        {
            "account": "acme",
            "object_mapping": "contact",
            "export_trigger": "engaged",
            "do_not_contact_campaigns": [campaign.pk],
        },
    )

    assert response.status_code == 302
    config = ExportConfig.objects.get(account=account)
    assert config.object_mapping == "contact"
    assert config.export_trigger == "engaged"
    campaign.refresh_from_db()
    second.refresh_from_db()
    assert campaign.do_not_contact_crm is True
    assert second.do_not_contact_crm is False
    page = client.get(response["Location"]).content.decode()
    assert "Saved the export settings." in page


def test_export_settings_page_shows_saved_values(client, account):
    ExportConfig.objects.create(account=account, object_mapping="contact")
    client.force_login(account.member)

    text = client.get(SETTINGS_URL).content.decode()

    assert 'value="contact" required id="id_object_mapping_1" checked' in text


def test_invalid_export_settings_rejected(client, account):
    client.force_login(account.member)

    response = client.post(
        EXPORT_URL,
        {"account": "acme", "object_mapping": "opportunity", "export_trigger": "all"},
    )
    text = client.get(response["Location"]).content.decode()

    assert "The export settings were not saved" in text
    assert "opportunity" in text
    assert ExportConfig.objects.get(account=account).object_mapping == "lead"


def test_foreign_campaign_cannot_be_toggled(client, account, other_account):
    foreign = other_account.campaigns.get()
    client.force_login(account.member)

    client.post(
        EXPORT_URL,
        {
            "account": "acme",
            "object_mapping": "lead",
            "export_trigger": "all",
            "do_not_contact_campaigns": [foreign.pk],
        },
    )

    foreign.refresh_from_db()
    assert foreign.do_not_contact_crm is False


def test_connection_details_shown(client, account):
    SalesforceConnection.objects.create(
        account=account,
        org_id="00D000000000001EAA",
        instance_url="https://acme.my.salesforce.com",
        login_url="https://test.salesforce.com",
        is_sandbox=True,
        salesforce_user_id="005000000000001AAA",
        salesforce_username="admin@acme.example",
        state=SalesforceConnection.State.NEEDS_RECONNECT,
        last_error="Refreshing the access token failed with invalid_grant.",
        access_token="plain-access",
        refresh_token="plain-refresh",
    )
    client.force_login(account.member)

    text = client.get(SETTINGS_URL).content.decode()

    assert "needs reconnect" in text
    assert "00D000000000001EAA" in text
    assert "https://acme.my.salesforce.com" in text
    assert "admin@acme.example" in text
    assert "sandbox" in text
    assert "Refreshing the access token failed with invalid_grant." in text
    assert "Reconnect Salesforce" in text
    assert 'value="sandbox" selected' in text
    assert "plain-access" not in text
    assert "plain-refresh" not in text


def test_disconnect_without_connection(client, account):
    client.force_login(account.member)

    response = client.post(DISCONNECT_URL, {"account": "acme"})
    text = client.get(response["Location"]).content.decode()

    assert "Salesforce was not connected." in text


def test_settings_page_requires_get(client, account):
    client.force_login(account.member)

    assert client.post(SETTINGS_URL).status_code == 405


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (CONNECT_URL, {"account": "acme", "login_host": "production"}),
        (DISCONNECT_URL, {"account": "acme"}),
        (EXPORT_URL, {"account": "acme", "object_mapping": "lead"}),
    ],
)
def test_posts_need_csrf_token(account, url, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(account.member)

    response = browser.post(url, data)

    assert response.status_code == 403


def test_other_account_not_disconnected(client, account, other_account):
    SalesforceConnection.objects.create(
        account=other_account,
        org_id="00D000000000002EAA",
        instance_url="https://globex.my.salesforce.com",
        login_url="https://login.salesforce.com",
        salesforce_user_id="005000000000002AAA",
    )
    client.force_login(account.member)

    response = client.post(DISCONNECT_URL, {"account": "globex"})

    assert response.status_code == 404
    stored = SalesforceConnection.objects.get(account=other_account)
    assert stored.state == SalesforceConnection.State.CONNECTED


def test_other_account_not_connected(client, account, other_account):
    client.force_login(account.member)

    response = client.post(
        CONNECT_URL, {"account": "globex", "login_host": "production"}
    )

    assert response.status_code == 404
    assert "integrations_salesforce_flows" not in client.session
