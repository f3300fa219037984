"""Admin of blocklists, settings and decisions, and the settings page's section."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from contact_checks.models import ContactCheckSettings, ContactDecision, CrmBlocklist
from tests.contact_checks.conftest import set_filters

pytestmark = pytest.mark.django_db

CUSTOMERS = {
    "rules": [
        {
            "name": "Customers",
            "outcome": "block",
            "objects": ["Lead"],
            "when": {"field": "Status", "operator": "equals", "value": "Customer"},
        }
    ],
    "otherwise": "allow",
}


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(
        username="support", password="x", email="support@example.com"
    )
    client.force_login(user)
    return client


@pytest.fixture
def decision(account):
    return ContactDecision.objects.create(
        campaign=account.campaigns.get(),
        email="ada@example.com",
        decision="blocked",
        reason_code="crm_match",
        reason="Lead 00Q000000000001AAA has this email.",
        rule="do_not_contact_flag",
        matched_object="Lead",
        matched_ids="00Q000000000001AAA,003000000000001AAA",
        org_id="00D000000000001EAA",
        checked_at=timezone.now(),
    )


def post_blocklist(admin_client, campaign, filters, blocklist=None):
    url = (
        reverse("admin:contact_checks_crmblocklist_change", args=[blocklist.pk])
        if blocklist
        else reverse("admin:contact_checks_crmblocklist_add")
    )
    return admin_client.post(
        url,
        {"campaign": campaign.pk, "filters": json.dumps(filters)},
        follow=True,
    )


def test_every_page_loads(admin_client, account, decision):
    blocklist = set_filters(account.campaigns.get(), CUSTOMERS)
    settings_row = ContactCheckSettings.objects.create(account=account)
    pages = [
        reverse("admin:contact_checks_crmblocklist_changelist"),
        reverse("admin:contact_checks_crmblocklist_add"),
        reverse("admin:contact_checks_crmblocklist_change", args=[blocklist.pk]),
        reverse("admin:contact_checks_contactchecksettings_changelist"),
        reverse(
            "admin:contact_checks_contactchecksettings_change", args=[settings_row.pk]
        ),
        reverse("admin:contact_checks_contactdecision_changelist"),
        reverse("admin:contact_checks_contactdecision_change", args=[decision.pk]),
    ]

    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_decisions_read_only_and_searchable(admin_client, decision):
    change = reverse("admin:contact_checks_contactdecision_change", args=[decision.pk])
    changelist = reverse("admin:contact_checks_contactdecision_changelist")

    page = admin_client.get(change).content.decode()
    found = admin_client.get(changelist, {"q": "003000000000001AAA"})
    missed = admin_client.get(changelist, {"q": "003000000000009AAA"})
    blocked = admin_client.get(changelist, {"decision__exact": "blocked"})
    allowed = admin_client.get(changelist, {"decision__exact": "allowed"})

    assert 'name="_save"' not in page
    assert "Lead 00Q000000000001AAA has this email." in page
    assert (
        admin_client.get(
            reverse("admin:contact_checks_contactdecision_add")
        ).status_code
        == 403
    )
    assert "ada@example.com" in found.content.decode()
    assert "ada@example.com" not in missed.content.decode()
    assert "ada@example.com" in blocked.content.decode()
    assert "ada@example.com" not in allowed.content.decode()


def test_malformed_filters_are_not_saved(admin_client, account):
    campaign = account.campaigns.get()
    filters = {"rules": [{"name": "R", "outcome": "deny", "when": {}}]}

    page = post_blocklist(admin_client, campaign, filters).content.decode()

    assert not CrmBlocklist.objects.exists()
    assert (
        "rules[0].outcome: &#x27;deny&#x27; is not allowed; use one of "
        "&#x27;block&#x27;, &#x27;allow&#x27;." in page
    )
    assert "rules[0].when: a condition is either a comparison" in page


def test_save_checks_filters_against_org(admin_client, connected_account):
    campaign = connected_account.campaigns.get()

    page = post_blocklist(admin_client, campaign, CUSTOMERS).content.decode()

    blocklist = CrmBlocklist.objects.get()
    org_id = connected_account.salesforce_connection.org_id
    assert f"CRM blocklist of acme / Q3 outbound fits org {org_id}." in page
    assert (blocklist.org_problem, blocklist.org_id) == ("", org_id)
    assert blocklist.org_checked_at is not None
    change = admin_client.get(
        reverse("admin:contact_checks_crmblocklist_change", args=[blocklist.pk])
    )
    assert "Block Leads when Status equals &quot;Customer&quot;" in (
        change.content.decode()
    )


def test_save_shows_org_problem(admin_client, connected_account):
    campaign = connected_account.campaigns.get()
    blocklist = set_filters(campaign, CUSTOMERS)
    typo = json.loads(json.dumps(CUSTOMERS))
    typo["rules"][0]["when"]["field"] = "Statuss"

    page = post_blocklist(admin_client, campaign, typo, blocklist).content.decode()

    blocklist.refresh_from_db()
    assert blocklist.org_problem == (
        "rules[0] ('Customers'): Lead has no field 'Statuss' that the connected "
        "user can read; check the API name."
    )
    assert "does not fit org" in page
    assert "so checks of the campaign answer &#x27;unknown&#x27;" in page


def test_save_without_connection_unchecked(admin_client, account):
    page = post_blocklist(admin_client, account.campaigns.get(), CUSTOMERS)

    assert "not checked against the org" in page.content.decode()
    assert CrmBlocklist.objects.get().org_checked_at is None


def test_settings_page_shows_filters_and_their_problem(client, account):
    campaign = account.campaigns.get()
    blocklist = set_filters(campaign, CUSTOMERS)
    blocklist.org_problem = "rules[0] ('Customers'): Lead has no field 'Status'."
    blocklist.save()
    ContactCheckSettings.objects.create(account=account, block_opted_out_emails=False)
    client.force_login(account.member)

    page = client.get(reverse("integrations:salesforce_settings")).content.decode()

    assert 'id="do-not-contact"' in page
    assert "Block Leads when Status equals &quot;Customer&quot;" in page
    assert "Any other Lead or Contact: allow." in page
    assert "Lead has no field &#x27;Status&#x27;." in page
    assert "Email Opt Out in Salesforce is not checked for this account" in page


def test_settings_page_without_filters(client, account):
    campaign = account.campaigns.get()
    campaign.do_not_contact_crm = True
    campaign.save()
    client.force_login(account.member)

    page = client.get(reverse("integrations:salesforce_settings")).content.decode()

    assert "No filters: every lead whose email is a Lead or Contact" in page
    assert "are never emailed, in every campaign" in page
