"""Login host normalisation, token responses and OAuth error explanations."""

import pytest

from integrations.connections import (
    Authorization,
    AuthorizationError,
    InvalidLoginHostError,
    LoginHost,
    explain_oauth_error,
    is_sandbox_login_url,
    login_host_choice_for,
    normalise_login_url,
    store_authorization,
)
from integrations.models import SalesforceConnection

EMULATOR = "https://localhost:8765"


@pytest.fixture(autouse=True)
def configured_login_url(settings):
    settings.SALESFORCE_LOGIN_URL = EMULATOR


@pytest.mark.parametrize(
    ("choice", "my_domain", "expected"),
    [
        (LoginHost.PRODUCTION, "", "https://login.salesforce.com"),
        (LoginHost.SANDBOX, "", "https://test.salesforce.com"),
        (LoginHost.CONFIGURED, "", EMULATOR),
        (
            LoginHost.MY_DOMAIN,
            "acme.my.salesforce.com",
            "https://acme.my.salesforce.com",
        ),
        (
            LoginHost.MY_DOMAIN,
            "https://Acme.my.salesforce.com/",
            "https://acme.my.salesforce.com",
        ),
        (
            LoginHost.MY_DOMAIN,
            "https://acme.lightning.force.com/lightning/o/Lead/list?filterName=Recent",
            "https://acme.my.salesforce.com",
        ),
        (
            LoginHost.MY_DOMAIN,
            "https://acme.my.salesforce-setup.com/lightning/setup/SetupOneHome/home",
            "https://acme.my.salesforce.com",
        ),
        (
            LoginHost.MY_DOMAIN,
            "https://acme--uat.sandbox.lightning.force.com/lightning/page/home",
            "https://acme--uat.sandbox.my.salesforce.com",
        ),
        (
            LoginHost.MY_DOMAIN,
            "acme-dev-ed.develop.my.salesforce.com",
            "https://acme-dev-ed.develop.my.salesforce.com",
        ),
        (
            LoginHost.MY_DOMAIN,
            "https://test.salesforce.com",
            "https://test.salesforce.com",
        ),
        (LoginHost.MY_DOMAIN, EMULATOR, EMULATOR),
    ],
)
def test_login_url_normalised(choice, my_domain, expected):
    assert normalise_login_url(choice, my_domain) == expected


@pytest.mark.parametrize(
    ("my_domain", "reason"),
    [
        ("", "Enter your My Domain"),
        ("http://acme.my.salesforce.com", "does not use https"),
        ("https://acme.my.salesforce.com:8443", "port"),
        ("https://user:pw@acme.my.salesforce.com", "user name"),
        ("https://evil.example.com", "not a Salesforce host"),
        ("https://acme.my.salesforce.com.evil.example", "not a Salesforce host"),
        ("https://na123.salesforce.com", "instance host"),
        ("https://acme--c.vf.force.com/apex/Page", "Visualforce"),
        ("https://acme.my.site.com/s/", "Experience Cloud"),
        ("https://a.b.c.lightning.force.com", "another Salesforce host"),
        ("https://localhost:9999", "port"),
        ("https://acme.my.salesforce.com:0", "port"),
        ("https://a@b.my.salesforce.com", "user name"),
        ("https://evil.com/.my.salesforce.com", "not a Salesforce host"),
        ("https://evil.com#.my.salesforce.com", "not a Salesforce host"),
        ("https://x.my.salesforce.com.evil.com", "not a Salesforce host"),
        ("https://acme.my.salesforce.com\\@evil.com", "user name"),
        ("https://-acme.my.salesforce.com", "not a valid My Domain"),
        ("https://a_b.my.salesforce.com", "not a valid My Domain"),
        ("https://\u0430cme.my.salesforce.com", "other than ASCII"),
        ("https://\u212acme.my.salesforce.com", "other than ASCII"),
        ("javascript:alert(1)", "not a valid address"),
        ("https://acme.my.salesforce.com:abc", "not a valid address"),
        ("https://acme.my.salesforce.com:99999", "not a valid address"),
        ("https://[acme.my.salesforce.com", "not a valid address"),
        ("https://acme.my.salesforce.com\uff03x", "not a valid address"),
    ],
)
def test_invalid_my_domain_rejected_with_reason(my_domain, reason):
    with pytest.raises(InvalidLoginHostError, match=reason):
        normalise_login_url(LoginHost.MY_DOMAIN, my_domain)


def test_unknown_choice_rejected():
    with pytest.raises(InvalidLoginHostError, match="Unknown login host choice"):
        normalise_login_url("staging")


@pytest.mark.parametrize(
    ("login_url", "sandbox"),
    [
        ("https://test.salesforce.com", True),
        ("https://acme--uat.sandbox.my.salesforce.com", True),
        ("https://login.salesforce.com", False),
        ("https://acme.my.salesforce.com", False),
        (EMULATOR, False),
    ],
)
def test_sandbox_told_from_login_host(login_url, sandbox):
    assert is_sandbox_login_url(login_url) is sandbox


def test_login_host_choice_round_trips():
    assert login_host_choice_for("https://test.salesforce.com") == (
        LoginHost.SANDBOX,
        "",
    )
    assert login_host_choice_for(EMULATOR + "/") == (LoginHost.CONFIGURED, "")
    assert login_host_choice_for("https://acme.my.salesforce.com") == (
        LoginHost.MY_DOMAIN,
        "https://acme.my.salesforce.com",
    )


TOKEN_RESPONSE = {
    "access_token": "00D000000000001!access",
    "refresh_token": "refresh",
    "instance_url": "https://acme.my.salesforce.com/",
    "id": "https://login.salesforce.com/id/00D000000000001EAA/005000000000001AAA",
    "token_type": "Bearer",
    "issued_at": "1676372418560",
}


def test_authorization_from_identity_url():
    authorization = Authorization.from_token_response(
        "https://login.salesforce.com/", TOKEN_RESPONSE, {"preferred_username": "a@b.c"}
    )

    assert authorization.org_id == "00D000000000001EAA"
    assert authorization.user_id == "005000000000001AAA"
    assert authorization.instance_url == "https://acme.my.salesforce.com"
    assert authorization.login_url == "https://login.salesforce.com"
    assert authorization.username == "a@b.c"
    assert "refresh" not in repr(authorization)


def test_authorization_ids_from_userinfo():
    response = {**TOKEN_RESPONSE, "id": ""}
    userinfo = {
        "organization_id": "00D000000000002EAA",
        "user_id": "005000000000002AAA",
    }

    authorization = Authorization.from_token_response(EMULATOR, response, userinfo)

    assert authorization.org_id == "00D000000000002EAA"
    assert authorization.user_id == "005000000000002AAA"


def test_authorization_without_refresh_token_rejected():
    response = {**TOKEN_RESPONSE, "refresh_token": ""}

    with pytest.raises(AuthorizationError, match="no refresh token"):
        Authorization.from_token_response(EMULATOR, response)


def test_authorization_without_instance_url_rejected():
    response = {**TOKEN_RESPONSE, "instance_url": None, "id": "garbage"}

    with pytest.raises(AuthorizationError, match="instance_url, org id, user id"):
        Authorization.from_token_response(EMULATOR, response)


@pytest.mark.django_db
def test_store_sets_sandbox_and_clears_error(account):
    SalesforceConnection.objects.create(
        account=account,
        org_id="00D000000000001EAA",
        instance_url="https://old.my.salesforce.com",
        login_url="https://login.salesforce.com",
        salesforce_user_id="005000000000001AAA",
        state=SalesforceConnection.State.NEEDS_RECONNECT,
        last_error="invalid_grant",
        previous_org_id="00D000000000009EAA",
    )
    authorization = Authorization.from_token_response(
        "https://test.salesforce.com", TOKEN_RESPONSE
    )

    stored = store_authorization(account, authorization, user=account.member)

    assert stored.is_sandbox is True
    assert stored.state == SalesforceConnection.State.CONNECTED
    assert stored.last_error == ""
    assert stored.previous_org_id == ""
    assert stored.instance_url == "https://acme.my.salesforce.com"


def test_app_not_installed_explanation(settings):
    settings.SALESFORCE_CONNECTED_APP_NAME = "Artisan Test App"
    settings.SALESFORCE_PACKAGE_INSTALL_URL = "https://example.test/install"

    explanation = explain_oauth_error(
        "invalid_client", "app must be installed into org"
    )

    assert "not installed" in explanation.title
    assert "Approve Uninstalled Connected Apps" in explanation.explanation
    assert "Setup → Connected Apps OAuth Usage" in explanation.fixes[0]
    assert "Artisan Test App" in explanation.fixes[0]
    assert "package" in explanation.fixes[1]
    assert explanation.package_install_url == "https://example.test/install"


@pytest.mark.parametrize(
    ("error", "title"),
    [
        ("access_denied", "The connection was cancelled"),
        ("invalid_grant", "Salesforce rejected the authorization"),
        ("invalid_client", "misconfigured"),
        ("redirect_uri_mismatch", "misconfigured"),
        ("inactive_user", "user is inactive"),
        ("invalid_state", "expired"),
        ("something_new", "Salesforce rejected the connection"),
    ],
)
def test_oauth_errors_explained(error, title):
    assert title in explain_oauth_error(error, "details").title
