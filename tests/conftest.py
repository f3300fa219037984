"""Fixtures shared by the whole suite: an Artisan account, the emulator, a connection.

One emulator process serves the whole test session. Every test that needs an
org gets a fresh one from `emulator_org`, so records and faults never leak
between tests.
"""

import pytest
from django.contrib.auth import get_user_model

from integrations.client import fetch_userinfo, new_session, request_token
from integrations.connections import Authorization, store_authorization
from outreach.models import Account, Campaign
from sf_emulator.consent import authorization_code
from sf_emulator.process import EmulatorProcess
from sf_emulator.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

SCOPE = ["api", "refresh_token", "id", "openid"]
# The emulator accepts allauth's callback path on the Django test client's host.
TEST_CALLBACK_URL = "http://testserver/accounts/salesforce/login/callback/"


@pytest.fixture(scope="session")
def emulator():
    """One emulator process for the test session, stopped when it ends."""
    with EmulatorProcess() as process:
        yield process


@pytest.fixture
def emulator_org(emulator) -> dict:
    """A fresh org: org_id, instance_url, username, password, user_id."""
    return emulator.control.create_org(name="Test Org")


@pytest.fixture
def salesforce_settings(settings, emulator):
    """Point the Salesforce settings and allauth's provider at the emulator."""
    settings.SALESFORCE_LOGIN_URL = emulator.base_url
    settings.SALESFORCE_CA_BUNDLE = emulator.ca_path
    settings.SALESFORCE_CLIENT_ID = DEFAULT_CLIENT_ID
    settings.SALESFORCE_CLIENT_SECRET = DEFAULT_CLIENT_SECRET
    settings.SOCIALACCOUNT_PROVIDERS = {
        "salesforce": {
            "APP": {
                "client_id": DEFAULT_CLIENT_ID,
                "secret": DEFAULT_CLIENT_SECRET,
                "key": emulator.base_url,
            },
            "SCOPE": SCOPE,
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    return settings


@pytest.fixture
def account(db):
    """An Artisan account with one campaign and one member, `account.member`."""
    account = Account.objects.create(slug="acme", name="Acme Inc.")
    Campaign.objects.create(account=account, name="Q3 outbound")
    member = get_user_model().objects.create_user(
        username="alice", password="correct horse battery staple"
    )
    account.members.add(member)
    account.member = member
    return account


def authorize_org(emulator, org: dict) -> Authorization:
    """Authorize the org's admin at the emulator as the OAuth callback would.

    Uses the authorization-code grant, because only it returns the refresh
    token that a real connection has (the password grant returns none).
    """
    session = new_session()
    code = authorization_code(
        session,
        emulator.base_url,
        ca_path=emulator.ca_path,
        client_id=DEFAULT_CLIENT_ID,
        redirect_uri=TEST_CALLBACK_URL,
        username=org["username"],
        password=org["password"],
        scope=" ".join(SCOPE),
    )
    token_response = request_token(
        emulator.base_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "redirect_uri": TEST_CALLBACK_URL,
        },
        session=session,
    )
    userinfo = fetch_userinfo(
        emulator.base_url, token_response["access_token"], session=session
    )
    return Authorization.from_token_response(
        emulator.base_url, token_response, userinfo
    )


@pytest.fixture
def connected_account(account, emulator, emulator_org, salesforce_settings):
    """`account`, connected to `emulator_org` (`account.salesforce_connection`)."""
    store_authorization(
        account, authorize_org(emulator, emulator_org), user=account.member
    )
    account.refresh_from_db()
    return account
