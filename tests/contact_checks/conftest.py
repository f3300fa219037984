"""Fixtures of the Do Not Contact tests: an org with the picklist values the
tests filter on, records in it, and an API client with a key of the account."""

import pytest
from django.core.cache import cache

from api.keys import create_api_key
from contact_checks.models import CrmBlocklist
from tests.api.conftest import ApiClient

LEAD_STATUSES = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
    "Customer",
]
ACCOUNT_TYPES = ["Prospect", "Customer - Direct", "Partner", "Other"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Clear cached Salesforce responses.

    Stored describes can stay, because each test uses a new org.
    """
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def emulator_org(emulator) -> dict:
    """A fresh org whose Lead Status has "Customer" and Account Type "Partner"."""
    return emulator.control.create_org(
        name="Do Not Contact Org",
        picklists={
            "Lead.Status": {
                "values": LEAD_STATUSES,
                "default": "Open - Not Contacted",
                "converted": "Closed - Converted",
            },
            "Account.Type": {"values": ACCOUNT_TYPES},
        },
    )


@pytest.fixture
def sf(emulator, emulator_org):
    """simple-salesforce logged in to the test's org, to create records."""
    return emulator.control.simple_salesforce(emulator_org)


@pytest.fixture
def campaign(connected_account):
    return connected_account.campaigns.get()


@pytest.fixture
def api(client, connected_account) -> ApiClient:
    _, key = create_api_key(connected_account, name="outreach engine")
    return ApiClient(client, key)


def create_lead(sf, email, **values) -> str:
    values.setdefault("LastName", "Lovelace")
    values.setdefault("Company", "Analytical Engines")
    return sf.Lead.create({"Email": email, **values})["id"]


def create_contact(sf, email, **values) -> str:
    values.setdefault("LastName", "Hopper")
    return sf.Contact.create({"Email": email, **values})["id"]


def create_many(sf, sobject: str, records: list[dict]) -> list[str]:
    """Create records with sObject Collections, 200 a request."""
    ids = []
    for start in range(0, len(records), 200):
        chunk = records[start : start + 200]
        results = sf.restful(
            "composite/sobjects",
            method="POST",
            json={
                "allOrNone": True,
                "records": [{"attributes": {"type": sobject}, **r} for r in chunk],
            },
        )
        ids.extend(result["id"] for result in results)
    return ids


def set_filters(campaign, filters: dict, *, flag: bool = True) -> CrmBlocklist:
    campaign.do_not_contact_crm = flag
    campaign.save(update_fields=["do_not_contact_crm"])
    blocklist, _ = CrmBlocklist.objects.update_or_create(
        campaign=campaign, defaults={"filters": filters}
    )
    return blocklist


def check(api, campaign, emails):
    response = api.post(
        f"/api/v1/campaigns/{campaign.pk}/contact-check", {"emails": emails}
    )
    assert response.status_code == 200, response.content
    return response.json()


def by_email(body) -> dict:
    return {result["email"]: result for result in body["results"]}
