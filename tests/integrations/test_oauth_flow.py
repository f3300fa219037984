"""The OAuth web-server flow against the emulator, from Connect to a stored connection.

The Django side runs in the Django test client, whose host the emulator accepts
as a callback. The emulator's consent page is filled in over HTTPS with
requests, as a person would in a browser.
"""

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection as db_connection
from django.urls import reverse
from responses import matchers

from integrations.client import (
    SalesforceAuthError,
    SalesforceClient,
    new_session,
    request_token,
)
from integrations.models import SalesforceConnection
from sf_emulator import consent
from sf_emulator.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

pytestmark = pytest.mark.django_db

CONNECT_URL = "/settings/integrations/salesforce/connect/"
DISCONNECT_URL = "/settings/integrations/salesforce/disconnect/"
PRODUCTION = "https://login.salesforce.com"
TOKEN_ENDPOINT = f"{PRODUCTION}/services/oauth2/token"
USERINFO_ENDPOINT = f"{PRODUCTION}/services/oauth2/userinfo"
REVOKE_ENDPOINT = f"{PRODUCTION}/services/oauth2/revoke"
GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def start_connect(client, emulator, **fields):
    response = client.post(
        CONNECT_URL, {"account": "acme", "login_host": "configured", **fields}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(emulator.base_url)
    return response["Location"]


def connect(client, emulator, org, *, allow=True):
    """Click Connect, approve on the consent page, follow the callback."""
    authorize_url = start_connect(client, emulator)
    callback_url = consent.approve(
        new_session(),
        authorize_url,
        ca_path=emulator.ca_path,
        username=org["username"],
        password=org["password"],
        allow=allow,
    )
    assert callback_url.startswith("http://testserver/accounts/salesforce/login/")
    return client.get(callback_url.removeprefix("http://testserver"))


def refresh_grant(emulator, refresh_token):
    return request_token(
        emulator.base_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )


@pytest.fixture
def member_client(client, account, salesforce_settings):
    client.force_login(account.member)
    return client


def test_connect_stores_connection(member_client, account, emulator, emulator_org):
    users_before = get_user_model().objects.count()

    response = connect(member_client, emulator, emulator_org)

    assert response.status_code == 302
    assert response["Location"] == "/settings/integrations/salesforce/?account=acme"
    stored = SalesforceConnection.objects.get(account=account)
    assert stored.state == SalesforceConnection.State.CONNECTED
    assert stored.org_id == emulator_org["org_id"]
    assert stored.instance_url == emulator_org["instance_url"].rstrip("/")
    assert stored.login_url == emulator.base_url
    assert stored.salesforce_user_id == emulator_org["user_id"]
    assert stored.salesforce_username == emulator_org["username"]
    assert stored.authorized_by == account.member
    assert stored.is_sandbox is False
    assert stored.previous_org_id == ""
    assert get_user_model().objects.count() == users_before
    assert int(member_client.session["_auth_user_id"]) == account.member.pk


def test_connected_tokens_work(member_client, account, emulator, emulator_org):
    connect(member_client, emulator, emulator_org)
    stored = SalesforceConnection.objects.get(account=account)

    limits = SalesforceClient(stored).limits()
    refreshed = refresh_grant(emulator, stored.refresh_token)

    assert "DailyApiRequests" in limits
    assert refreshed["access_token"]


def test_tokens_never_stored_in_plain_text(
    member_client, account, emulator, emulator_org
):
    connect(member_client, emulator, emulator_org)
    stored = SalesforceConnection.objects.get(account=account)
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM integrations_salesforceconnection"
        )
        [(raw_access, raw_refresh)] = cursor.fetchall()
        cursor.execute("SELECT COUNT(*) FROM socialaccount_socialtoken")
        [(social_tokens,)] = cursor.fetchall()

    assert stored.access_token and stored.refresh_token
    assert stored.access_token not in raw_access
    assert stored.refresh_token not in raw_refresh
    assert raw_access.startswith("gAAAAA")
    assert raw_refresh.startswith("gAAAAA")
    assert social_tokens == 0
    assert SocialToken.objects.count() == 0
    assert SocialAccount.objects.count() == 0
    for session in Session.objects.all():
        decoded = json.dumps(session.get_decoded())
        assert stored.access_token not in decoded
        assert stored.refresh_token not in decoded


def test_connect_logs_no_secret(member_client, account, emulator, emulator_org, caplog):
    with caplog.at_level(logging.DEBUG):
        connect(member_client, emulator, emulator_org)
        stored = SalesforceConnection.objects.get(account=account)
        access_token, refresh_token = stored.access_token, stored.refresh_token
        SalesforceClient(stored).limits()
        member_client.post(DISCONNECT_URL, {"account": "acme"})

    assert "Salesforce POST /services/oauth2/token" in caplog.text
    assert access_token not in caplog.text
    assert refresh_token not in caplog.text
    assert DEFAULT_CLIENT_SECRET not in caplog.text


def test_app_not_installed_explained(
    member_client, account, emulator, emulator_org, settings
):
    settings.SALESFORCE_PACKAGE_INSTALL_URL = (
        "https://login.salesforce.com/packaging/installPackage.apexp?p0=04t000000000001"
    )
    emulator.control.set_faults(emulator_org["org_id"], app_installed=False)

    response = connect(member_client, emulator, emulator_org)
    page = member_client.get(response["Location"])

    assert response["Location"] == "/settings/integrations/salesforce/?account=acme"
    assert not SalesforceConnection.objects.filter(account=account).exists()
    text = page.content.decode()
    assert "not installed in your Salesforce org" in text
    assert "Setup → Connected Apps OAuth Usage" in text
    assert settings.SALESFORCE_CONNECTED_APP_NAME in text
    assert "installPackage.apexp?p0=04t000000000001" in text
    assert "app must be installed into org" in text


def test_app_not_installed_without_package(
    member_client, emulator, emulator_org, settings
):
    settings.SALESFORCE_PACKAGE_INSTALL_URL = ""
    emulator.control.set_faults(emulator_org["org_id"], app_installed=False)

    response = connect(member_client, emulator, emulator_org)
    text = member_client.get(response["Location"]).content.decode()

    assert "Setup → Connected Apps OAuth Usage" in text
    assert "Install the package" not in text


def test_error_shown_only_once(member_client, emulator, emulator_org):
    emulator.control.set_faults(emulator_org["org_id"], app_installed=False)
    response = connect(member_client, emulator, emulator_org)

    first = member_client.get(response["Location"]).content.decode()
    second = member_client.get(response["Location"]).content.decode()

    assert "not installed in your Salesforce org" in first
    assert "not installed in your Salesforce org" not in second


def test_denied_access_explained(member_client, account, emulator, emulator_org):
    response = connect(member_client, emulator, emulator_org, allow=False)
    text = member_client.get(response["Location"]).content.decode()

    assert "The connection was cancelled" in text
    assert "access_denied" in text
    assert not SalesforceConnection.objects.filter(account=account).exists()


def test_reused_code_explained(member_client, account, emulator, emulator_org):
    authorize_url = start_connect(member_client, emulator)
    callback_url = consent.approve(
        new_session(),
        authorize_url,
        ca_path=emulator.ca_path,
        username=emulator_org["username"],
        password=emulator_org["password"],
    )
    callback_path = callback_url.removeprefix("http://testserver")
    member_client.get(callback_path)
    SalesforceConnection.objects.all().delete()

    replay = member_client.get(callback_path)
    text = member_client.get(replay["Location"]).content.decode()

    assert "The connection attempt expired" in text
    assert not SalesforceConnection.objects.exists()


def test_forged_callback_error_not_shown(member_client, account):
    # A link to the callback with an unknown state was not sent by Salesforce
    # for a flow this browser started, so its error text must not be shown.
    response = member_client.get(
        "/accounts/salesforce/login/callback/",
        {
            "state": "not-a-flow",
            "error": "invalid_client",
            "error_description": "Account suspended, call +1 555 0100",
        },
    )
    text = member_client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "The connection attempt expired" in text
    assert "call +1 555 0100" not in text
    assert "not installed" not in text


def test_callback_error_text_truncated(member_client, account):
    authorize_url = member_client.post(
        CONNECT_URL, {"account": "acme", "login_host": "production"}
    )["Location"]
    [state] = parse_qs(urlsplit(authorize_url).query)["state"]

    response = member_client.get(
        "/accounts/salesforce/login/callback/",
        {"state": state, "error": "server_error", "error_description": "x" * 5000},
    )
    text = member_client.get(response["Location"]).content.decode()

    assert "error_description=" + "x" * 300 in text
    assert "x" * 301 not in text


def test_reconnect_same_org_keeps_row(member_client, account, emulator, emulator_org):
    connect(member_client, emulator, emulator_org)
    first = SalesforceConnection.objects.get(account=account)
    first_refresh_token = first.refresh_token

    connect(member_client, emulator, emulator_org)
    second = SalesforceConnection.objects.get(account=account)

    assert second.pk == first.pk
    assert second.org_id == first.org_id
    assert second.previous_org_id == ""
    assert second.refresh_token != first_refresh_token
    with pytest.raises(SalesforceAuthError) as raised:
        refresh_grant(emulator, first_refresh_token)
    assert raised.value.error_code == "invalid_grant"


def test_reconnect_other_org_shows_notice(
    member_client, account, emulator, emulator_org
):
    connect(member_client, emulator, emulator_org)
    other_org = emulator.control.create_org(name="Other Org")

    response = connect(member_client, emulator, other_org)
    stored = SalesforceConnection.objects.get(account=account)
    text = member_client.get(response["Location"]).content.decode()

    assert stored.org_id == other_org["org_id"]
    assert stored.previous_org_id == emulator_org["org_id"]
    assert (
        f"Links to org {emulator_org['org_id']} are kept; exporting now starts "
        f"fresh for org {other_org['org_id']}." in text
    )


def test_disconnect_revokes(member_client, account, emulator, emulator_org):
    connect(member_client, emulator, emulator_org)
    revoked_token = SalesforceConnection.objects.get(account=account).refresh_token

    response = member_client.post(DISCONNECT_URL, {"account": "acme"})
    stored = SalesforceConnection.objects.get(account=account)
    text = member_client.get(response["Location"]).content.decode()

    assert stored.state == SalesforceConnection.State.DISCONNECTED
    assert stored.access_token == ""
    assert stored.refresh_token == ""
    assert stored.org_id == emulator_org["org_id"]
    assert "revoked Artisan" in text
    with pytest.raises(SalesforceAuthError) as raised:
        refresh_grant(emulator, revoked_token)
    assert raised.value.error_code == "invalid_grant"


def test_reconnect_after_disconnect_same_org(
    member_client, account, emulator, emulator_org
):
    connect(member_client, emulator, emulator_org)
    member_client.post(DISCONNECT_URL, {"account": "acme"})

    connect(member_client, emulator, emulator_org)
    stored = SalesforceConnection.objects.get(account=account)

    assert stored.state == SalesforceConnection.State.CONNECTED
    assert stored.previous_org_id == ""
    assert SalesforceClient(stored).limits()


def test_callback_without_login_connects_nothing(
    client, account, emulator, emulator_org, salesforce_settings
):
    client.force_login(account.member)
    authorize_url = start_connect(client, emulator)
    callback_url = consent.approve(
        new_session(),
        authorize_url,
        ca_path=emulator.ca_path,
        username=emulator_org["username"],
        password=emulator_org["password"],
    )
    client.logout()

    response = client.get(callback_url.removeprefix("http://testserver"))

    assert response.status_code in (302, 200)
    assert not SalesforceConnection.objects.exists()
    assert "_auth_user_id" not in client.session


def test_token_exchange_uses_flow_login_host(
    member_client, account, emulator, emulator_org, settings
):
    # Nothing listens on port 9, so a token exchange or userinfo request sent
    # to allauth's configured host instead of the flow's would fail.
    settings.SOCIALACCOUNT_PROVIDERS["salesforce"]["APP"]["key"] = "https://127.0.0.1:9"

    connect(member_client, emulator, emulator_org)

    stored = SalesforceConnection.objects.get(account=account)
    assert stored.login_url == emulator.base_url


def test_invalid_my_domain_rejected(member_client, account):
    response = member_client.post(
        CONNECT_URL,
        {
            "account": "acme",
            "login_host": "my_domain",
            "my_domain": "https://evil.example.com",
        },
    )
    text = member_client.get(response["Location"]).content.decode()

    assert response["Location"] == "/settings/integrations/salesforce/?account=acme"
    assert "is not a Salesforce host" in text


@pytest.mark.parametrize(
    "my_domain",
    ["javascript:alert(1)", "https://acme.my.salesforce.com:abc", "https://[acme"],
)
def test_malformed_my_domain_rejected(member_client, account, my_domain):
    response = member_client.post(
        CONNECT_URL,
        {"account": "acme", "login_host": "my_domain", "my_domain": my_domain},
    )
    text = member_client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert response["Location"] == "/settings/integrations/salesforce/?account=acme"
    assert "is not a valid address" in text


def test_my_domain_used_as_authorize_host(member_client, account):
    response = member_client.post(
        CONNECT_URL,
        {
            "account": "acme",
            "login_host": "my_domain",
            "my_domain": "https://acme.lightning.force.com/lightning/page/home",
        },
    )

    assert response.status_code == 302
    assert response["Location"].startswith(
        "https://acme.my.salesforce.com/services/oauth2/authorize?"
    )
    assert "api" in response["Location"]
    assert "refresh_token" in response["Location"]
    assert "code_challenge=" in response["Location"]


def test_pkce_on_without_setting(member_client, account, settings):
    del settings.SOCIALACCOUNT_PROVIDERS["salesforce"]["OAUTH_PKCE_ENABLED"]

    response = member_client.post(
        CONNECT_URL, {"account": "acme", "login_host": "production"}
    )

    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43


def test_anonymous_connect_redirects_to_login(client, account):
    response = client.post(CONNECT_URL, {"account": "acme", "login_host": "production"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db(transaction=True)
def test_scripted_consent_against_live_server(
    live_server, account, emulator, emulator_org, salesforce_settings
):
    browser = requests.Session()
    browser.trust_env = False

    final = consent.connect_through_consent(
        session=browser,
        site_url=live_server.url,
        site_username="alice",
        site_password="correct horse battery staple",
        salesforce_username=emulator_org["username"],
        salesforce_password=emulator_org["password"],
        ca_path=emulator.ca_path,
    )

    assert final.status_code == 200
    assert f"Connected Salesforce org {emulator_org['org_id']}" in final.text
    stored = SalesforceConnection.objects.get(account=account)
    assert stored.org_id == emulator_org["org_id"]


@pytest.mark.django_db(transaction=True)
def test_scripted_login_wrong_password(live_server, account):
    browser = requests.Session()
    browser.trust_env = False

    with pytest.raises(consent.ConsentError, match="Logging in to"):
        consent.log_in(browser, live_server.url, username="alice", password="wrong")


@pytest.fixture
def production_callback(member_client, settings):
    """Click Connect for production and return the callback path of that flow."""
    settings.SALESFORCE_CA_BUNDLE = ""
    authorize_url = member_client.post(
        CONNECT_URL, {"account": "acme", "login_host": "production"}
    )["Location"]
    [state] = parse_qs(urlsplit(authorize_url).query)["state"]
    return f"/accounts/salesforce/login/callback/?code=the-code&state={state}"


@pytest.fixture
def mocked(production_callback):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def production_token_response():
    return {
        "access_token": "00D000000000001!access",
        "refresh_token": "the-refresh",
        "instance_url": "https://acme.my.salesforce.com",
        "id": f"{PRODUCTION}/id/00D000000000001EAA/005000000000001AAA",
        "token_type": "Bearer",
        "issued_at": "1676372418560",
    }


def test_code_exchanged_with_pkce(member_client, account, production_callback, mocked):
    mocked.post(TOKEN_ENDPOINT, json=production_token_response())
    mocked.get(
        USERINFO_ENDPOINT,
        json={
            "user_id": "005000000000001AAA",
            "organization_id": "00D000000000001EAA",
            "preferred_username": "admin@acme.example",
        },
        match=[
            matchers.header_matcher({"Authorization": "Bearer 00D000000000001!access"})
        ],
    )

    response = member_client.get(production_callback)

    assert response["Location"] == "/settings/integrations/salesforce/?account=acme"
    form = parse_qs(mocked.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == ["the-code"]
    assert form["redirect_uri"] == [
        "http://testserver/accounts/salesforce/login/callback/"
    ]
    assert len(form["code_verifier"][0]) >= 43
    stored = SalesforceConnection.objects.get(account=account)
    assert stored.login_url == PRODUCTION
    assert stored.refresh_token == "the-refresh"
    session = json.dumps(member_client.session.load())
    assert "the-refresh" not in session
    assert "!access" not in session


def test_unreachable_token_endpoint_explained(
    member_client, account, production_callback, mocked, caplog
):
    mocked.post(TOKEN_ENDPOINT, body=requests.ConnectionError("Connection refused"))

    response = member_client.get(production_callback)
    text = member_client.get(response["Location"]).content.decode()

    assert "Salesforce could not be reached" in text
    assert "Details for Artisan support: error=salesforce_unavailable" in text
    assert not SalesforceConnection.objects.exists()


def test_html_token_response_explained(
    member_client, account, production_callback, mocked, caplog
):
    mocked.post(TOKEN_ENDPOINT, status=502, body=GATEWAY_PAGE, content_type="text/html")

    response = member_client.get(production_callback)
    text = member_client.get(response["Location"]).content.decode()

    assert "Salesforce could not be reached" in text
    assert "Bad Gateway" not in text
    assert "Bad Gateway" not in caplog.text
    assert not SalesforceConnection.objects.exists()


def test_rejected_code_explained(member_client, account, production_callback, mocked):
    mocked.post(
        TOKEN_ENDPOINT,
        status=400,
        json={
            "error": "invalid_grant",
            "error_description": "expired authorization code",
        },
    )

    response = member_client.get(production_callback)
    text = member_client.get(response["Location"]).content.decode()

    assert "Salesforce rejected the authorization" in text
    assert "error=invalid_grant" in text
    assert "expired authorization code" in text


def test_failed_userinfo_revokes_grant(
    member_client, account, production_callback, mocked
):
    mocked.post(TOKEN_ENDPOINT, json=production_token_response())
    mocked.get(USERINFO_ENDPOINT, status=503, body="")
    mocked.post(
        REVOKE_ENDPOINT,
        body="",
        match=[matchers.urlencoded_params_matcher({"token": "the-refresh"})],
    )

    response = member_client.get(production_callback)
    text = member_client.get(response["Location"]).content.decode()

    assert "Salesforce could not be reached" in text
    assert not SalesforceConnection.objects.exists()


def test_grant_without_refresh_token_revoked(
    member_client, account, production_callback, mocked
):
    mocked.post(
        TOKEN_ENDPOINT, json={**production_token_response(), "refresh_token": ""}
    )
    mocked.get(USERINFO_ENDPOINT, json={"user_id": "005000000000001AAA"})
    mocked.post(
        REVOKE_ENDPOINT,
        body="",
        match=[matchers.urlencoded_params_matcher({"token": "00D000000000001!access"})],
    )

    response = member_client.get(production_callback)
    text = member_client.get(response["Location"]).content.decode()

    assert "returned no refresh token" in text
    assert not SalesforceConnection.objects.exists()
