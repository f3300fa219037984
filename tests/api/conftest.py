"""Fixtures of the API tests: a key of the `account` fixture and a client using it."""

import pytest

from api.keys import create_api_key
from outreach.models import Account, Campaign


@pytest.fixture
def api_key(account) -> str:
    """A plaintext key of `account`."""
    _, key = create_api_key(account, name="outreach engine")
    return key


class ApiClient:
    """Django's test client, posting JSON with a Bearer key."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key

    def post(self, path: str, body):
        return self.client.post(
            path,
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.key}"},
        )

    def post_leads(self, leads: list, campaign="Q3 outbound"):
        return self.post("/api/v1/leads", {"campaign": campaign, "leads": leads})

    def post_messages(self, messages: list):
        return self.post("/api/v1/messages", {"messages": messages})


@pytest.fixture
def api(client, api_key) -> ApiClient:
    return ApiClient(client, api_key)


@pytest.fixture
def other_account(db) -> Account:
    """A second account with a campaign, `other_account.campaign`."""
    other = Account.objects.create(slug="globex", name="Globex")
    other.campaign = Campaign.objects.create(account=other, name="Q3 outbound")
    return other
