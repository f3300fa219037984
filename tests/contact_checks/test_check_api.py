"""POST /api/v1/campaigns/{id}/contact-check against the emulator over HTTPS."""

import pytest

from api.keys import create_api_key
from contact_checks.lookup import email_chunks
from contact_checks.models import ContactCheckSettings, ContactDecision
from integrations.client import SalesforceClient
from outreach.models import Account, Campaign, Lead
from tests.api.conftest import ApiClient
from tests.contact_checks.conftest import (
    by_email,
    check,
    create_contact,
    create_lead,
    create_many,
    set_filters,
)

pytestmark = pytest.mark.django_db

CUSTOMERS_ONLY = {
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
PARTNERS_ALLOWED = {
    "rules": [
        {
            "name": "Partners",
            "outcome": "allow",
            "when": {"field": "Account.Type", "operator": "equals", "value": "Partner"},
        }
    ]
}


@pytest.fixture
def soql_sent(monkeypatch) -> list[str]:
    """Every SOQL statement the service sends to Salesforce, in order."""
    sent = []
    original = SalesforceClient.query

    def recording_query(self, soql, **kwargs):
        sent.append(soql)
        return original(self, soql, **kwargs)

    monkeypatch.setattr(SalesforceClient, "query", recording_query)
    return sent


def api_calls(emulator, org) -> int:
    return emulator.control.api_calls(org["org_id"])["total"]


# --- the campaign flag -------------------------------------------------------


def test_flag_on_blocks_leads_and_contacts_found(api, campaign, sf):
    lead_id = create_lead(sf, "ada@example.com")
    contact_id = create_contact(sf, "grace@example.com")
    set_filters(campaign, {}, flag=True)

    body = check(api, campaign, ["ADA@example.com ", "grace@example.com", "new@x.io"])

    ada, grace, new = body["results"]
    assert (ada["decision"], ada["reason_code"], ada["rule"]) == (
        "blocked",
        "crm_match",
        "do_not_contact_flag",
    )
    assert (ada["matched_object"], ada["matched_ids"]) == ("Lead", [lead_id])
    assert ada["email"] == "ADA@example.com "
    assert (grace["decision"], grace["matched_object"]) == ("blocked", "Contact")
    assert grace["matched_ids"] == [contact_id]
    assert (new["decision"], new["reason_code"], new["matched_ids"]) == (
        "allowed",
        "no_match",
        [],
    )
    assert body["totals"] == {"allowed": 1, "blocked": 2, "unknown": 0}
    assert body["org_id"] == campaign.account.salesforce_connection.org_id


def test_flag_off_allows_everyone_found(api, campaign, sf):
    create_lead(sf, "ada@example.com")
    create_contact(sf, "grace@example.com")

    body = check(api, campaign, ["ada@example.com", "grace@example.com", "new@x.io"])

    assert [r["decision"] for r in body["results"]] == ["allowed"] * 3
    assert [r["reason_code"] for r in body["results"]] == [
        "do_not_contact_off",
        "do_not_contact_off",
        "no_match",
    ]


def test_every_matching_record_counts(api, campaign, sf):
    lead_ids = sorted(create_lead(sf, "twin@example.com") for _ in range(2))
    contact_id = create_contact(sf, "twin@example.com", HasOptedOutOfEmail=True)
    set_filters(campaign, CUSTOMERS_ONLY)

    [result] = check(api, campaign, ["twin@example.com"])["results"]

    assert result["decision"] == "blocked"
    assert (result["reason_code"], result["matched_object"]) == ("opted_out", "Contact")
    assert result["matched_ids"] == [*lead_ids, contact_id]


# --- blocklist filters ---------------------------------------------------------


def test_block_only_customers(api, campaign, sf, soql_sent):
    customer = create_lead(sf, "customer@example.com", Status="Customer")
    create_lead(sf, "open@example.com", Status="Open - Not Contacted")
    set_filters(campaign, CUSTOMERS_ONLY)

    results = by_email(
        check(api, campaign, ["customer@example.com", "open@example.com"])
    )

    assert results["customer@example.com"]["decision"] == "blocked"
    assert results["customer@example.com"]["rule"] == "blocklist:Customers"
    assert results["customer@example.com"]["matched_ids"] == [customer]
    assert results["open@example.com"]["decision"] == "allowed"
    assert results["open@example.com"]["rule"] == "blocklist:otherwise"
    assert soql_sent[-1] == (
        "SELECT Id FROM Lead WHERE Email IN "
        "('customer@example.com','open@example.com') AND Status = 'Customer'"
    )


def test_allow_rule_reads_the_contacts_account(api, campaign, sf):
    partner = sf.Account.create({"Name": "Partner Co", "Type": "Partner"})["id"]
    prospect = sf.Account.create({"Name": "Prospect Co", "Type": "Prospect"})["id"]
    create_contact(sf, "partner@example.com", AccountId=partner)
    create_contact(sf, "prospect@example.com", AccountId=prospect)
    create_contact(sf, "private@example.com")
    create_lead(sf, "lead@example.com")
    set_filters(campaign, PARTNERS_ALLOWED)

    results = by_email(
        check(
            api,
            campaign,
            [
                "partner@example.com",
                "prospect@example.com",
                "private@example.com",
                "lead@example.com",
            ],
        )
    )

    assert results["partner@example.com"]["decision"] == "allowed"
    assert results["partner@example.com"]["rule"] == "blocklist:Partners"
    for email in ("prospect@example.com", "private@example.com", "lead@example.com"):
        assert results[email]["decision"] == "blocked", email
        assert results[email]["rule"] == "blocklist:otherwise"


def test_lead_account_is_converted_account(api, campaign, sf, emulator, emulator_org):
    lead_id = create_lead(sf, "converted@example.com")
    converted = emulator.control.convert_lead(emulator_org["org_id"], lead_id)
    sf.Account.update(converted["account_id"], {"Type": "Partner"})
    set_filters(campaign, PARTNERS_ALLOWED)

    [result] = check(api, campaign, ["converted@example.com"])["results"]

    assert result["decision"] == "allowed"
    assert result["matched_ids"] == [lead_id, converted["contact_id"]]
    assert result["reason"].startswith(f"Lead {lead_id} matches blocklist rule")


def test_quotes_backslashes_and_keywords_stay_literal(api, campaign, sf, soql_sent):
    injected = "x' OR Email != '"
    target = create_lead(sf, "o'brien@example.com", LastName=injected)
    create_lead(sf, "x'or'a'='a@example.com", LastName="Plain")
    create_lead(sf, "100%_sure@example.com", Title="50%_off deal")
    create_lead(sf, "percent@example.com", Title="50 percent off")
    set_filters(
        campaign,
        {
            "rules": [
                {
                    "name": "Injected",
                    "outcome": "block",
                    "objects": ["Lead"],
                    "when": {
                        "field": "LastName",
                        "operator": "equals",
                        "value": injected,
                    },
                },
                {
                    "name": "Offer",
                    "outcome": "block",
                    "objects": ["Lead"],
                    "when": {
                        "field": "Title",
                        "operator": "contains",
                        "value": "50%_off",
                    },
                },
            ],
            "otherwise": "allow",
        },
    )
    emails = [
        "o'brien@example.com",
        "x'or'a'='a@example.com",
        "100%_sure@example.com",
        "percent@example.com",
        "back\\slash@example.com",
        "' OR Id != '",
    ]

    results = by_email(check(api, campaign, emails))

    assert results["o'brien@example.com"]["decision"] == "blocked"
    assert results["o'brien@example.com"]["rule"] == "blocklist:Injected"
    assert results["o'brien@example.com"]["matched_ids"] == [target]
    assert results["x'or'a'='a@example.com"]["rule"] == "blocklist:otherwise"
    assert results["100%_sure@example.com"]["rule"] == "blocklist:Offer"
    assert results["percent@example.com"]["rule"] == "blocklist:otherwise"
    # Not valid addresses, so unknown; the look-up still carries them literally.
    for email in ("back\\slash@example.com", "' OR Id != '"):
        assert results[email]["reason_code"] == "invalid_email", email
    assert soql_sent[0] == (
        r"SELECT Id, Email, HasOptedOutOfEmail FROM Lead WHERE Email IN "
        r"('o\'brien@example.com','x\'or\'a\'=\'a@example.com',"
        r"'100%_sure@example.com','percent@example.com',"
        r"'back\\slash@example.com','\' OR Id != \'')"
    )
    assert soql_sent[2] == (
        r"SELECT Id FROM Lead WHERE Email IN ('o\'brien@example.com',"
        r"'x\'or\'a\'=\'a@example.com','100%_sure@example.com',"
        r"'percent@example.com') AND LastName = 'x\' OR Email != \''"
    )
    assert soql_sent[3] == (
        r"SELECT Id FROM Lead WHERE Email IN ('x\'or\'a\'=\'a@example.com',"
        r"'100%_sure@example.com','percent@example.com') "
        r"AND Title LIKE '%50\%\_off%'"
    )
    assert len(soql_sent) == 4


# --- cost, caching and failures ------------------------------------------------


def test_1000_emails_of_40_characters_make_six_chunks():
    emails = [f"first.last.name.{i:04d}@example-company.com" for i in range(1000)]

    assert {len(email) for email in emails} == {40}
    assert len(email_chunks(emails)) == 6


def test_batch_of_1000_within_call_bound(api, campaign, sf, emulator, emulator_org):
    emails = [f"prospect.{i:04d}@example-company.com" for i in range(1000)]
    partner = sf.Account.create({"Name": "Partner Co", "Type": "Partner"})["id"]
    create_many(
        sf,
        "Lead",
        [
            {
                "Email": email,
                "LastName": "Lead",
                "Company": "Co",
                "Status": "Customer" if i % 2 else "Open - Not Contacted",
            }
            for i, email in enumerate(emails[::25])
        ],
    )
    create_many(
        sf,
        "Contact",
        [
            {"Email": email, "LastName": "Contact", "AccountId": partner}
            for email in emails[3::25]
        ],
    )
    set_filters(
        campaign,
        {"rules": [CUSTOMERS_ONLY["rules"][0], PARTNERS_ALLOWED["rules"][0]]},
    )
    emulator.control.reset_api_calls(emulator_org["org_id"])
    chunks = len(email_chunks(emails))
    rules = 2
    bound = 3 + 2 * chunks * (1 + rules)

    body = check(api, campaign, emails)

    spent = api_calls(emulator, emulator_org)
    assert chunks <= 6
    assert spent <= bound, (spent, bound)
    # Customers are blocked by their rule, other Leads by `otherwise`, and the
    # Contacts of the partner account are allowed.
    assert body["totals"] == {"allowed": 960, "blocked": 40, "unknown": 0}
    print(f"1,000 emails, 2 rules: {spent} Salesforce calls (bound {bound})")


def test_answers_are_cached_and_report_their_age(
    api, campaign, sf, emulator, emulator_org
):
    create_lead(sf, "ada@example.com")
    set_filters(campaign, CUSTOMERS_ONLY)
    first = check(api, campaign, ["ada@example.com", "new@example.com"])
    spent = api_calls(emulator, emulator_org)

    again = check(api, campaign, ["ada@example.com", "new@example.com"])

    assert api_calls(emulator, emulator_org) == spent
    assert [r["checked_at"] for r in again["results"]] == [
        r["checked_at"] for r in first["results"]
    ]
    assert all(0 <= r["cache_age_seconds"] <= 5 for r in again["results"])
    assert [r["decision"] for r in again["results"]] == ["allowed", "allowed"]


def test_server_errors_answer_unknown_never_allowed(
    api, campaign, sf, emulator, emulator_org, monkeypatch
):
    monkeypatch.setattr(SalesforceClient, "backoff_base_seconds", 0)
    create_lead(sf, "ada@example.com")
    emulator.control.set_faults(
        emulator_org["org_id"], server_errors={"count": 50, "status": 503}
    )

    body = check(api, campaign, ["ada@example.com", "new@example.com"])

    assert [r["decision"] for r in body["results"]] == ["unknown", "unknown"]
    assert {r["reason_code"] for r in body["results"]} == {"salesforce_error"}
    assert "HTTP 503" in body["results"][0]["reason"]
    assert body["totals"]["allowed"] == 0


def test_not_connected_answers_unknown(api_for_unconnected, account):
    campaign = account.campaigns.get()
    campaign.do_not_contact_crm = True
    campaign.save()

    body = check(api_for_unconnected, campaign, ["ada@example.com"])

    [result] = body["results"]
    assert (result["decision"], result["reason_code"]) == ("unknown", "not_connected")
    assert "has no Salesforce connection" in result["reason"]
    assert body["org_id"] is None


@pytest.fixture
def api_for_unconnected(client, account):
    _, key = create_api_key(account)
    return ApiClient(client, key)


# --- email opt-out -------------------------------------------------------------


def test_opt_out_blocks_even_with_the_flag_off(api, campaign, sf):
    create_lead(sf, "optout@example.com", HasOptedOutOfEmail=True)
    create_contact(sf, "contact-optout@example.com", HasOptedOutOfEmail=True)
    create_lead(sf, "fine@example.com")

    body = check(
        api,
        campaign,
        ["optout@example.com", "contact-optout@example.com", "fine@example.com"],
    )

    assert [(r["decision"], r["rule"]) for r in body["results"]] == [
        ("blocked", "email_opt_out"),
        ("blocked", "email_opt_out"),
        ("allowed", None),
    ]


def test_account_setting_disables_opt_out(api, campaign, sf, emulator, emulator_org):
    create_lead(sf, "optout@example.com", HasOptedOutOfEmail=True)
    ContactCheckSettings.objects.create(
        account=campaign.account, block_opted_out_emails=False
    )
    spent = api_calls(emulator, emulator_org)

    [result] = check(api, campaign, ["optout@example.com"])["results"]

    assert (result["decision"], result["reason_code"]) == ("allowed", "check_off")
    assert api_calls(emulator, emulator_org) == spent


def test_hidden_opt_out_answers_unknown(api, campaign, sf, monkeypatch, soql_sent):
    original = SalesforceClient.describe

    def describe_as_restricted_user(self, sobject):
        described = original(self, sobject)
        described["fields"] = [
            field
            for field in described["fields"]
            if field["name"] != "HasOptedOutOfEmail"
        ]
        return described

    monkeypatch.setattr(SalesforceClient, "describe", describe_as_restricted_user)
    create_lead(sf, "ada@example.com", HasOptedOutOfEmail=True)

    body = check(api, campaign, ["ada@example.com", "new@example.com"])

    ada, new = body["results"]
    assert (ada["decision"], ada["reason_code"]) == ("unknown", "opt_out_hidden")
    assert "field-level security hides HasOptedOutOfEmail on Lead" in ada["reason"]
    assert new["decision"] == "allowed"
    assert soql_sent[0].startswith("SELECT Id, Email FROM Lead WHERE")


# --- invalid filters -----------------------------------------------------------


def test_filters_unfit_for_org_answer_unknown(api, campaign, sf):
    create_lead(sf, "ada@example.com")
    blocklist = set_filters(
        campaign,
        {
            "rules": [
                {
                    "name": "Typo",
                    "outcome": "block",
                    "objects": ["Lead"],
                    "when": {"field": "Statuss", "operator": "is_empty"},
                }
            ]
        },
    )

    body = check(api, campaign, ["ada@example.com", "new@example.com"])

    assert [r["decision"] for r in body["results"]] == ["unknown", "unknown"]
    assert {r["reason_code"] for r in body["results"]} == {"invalid_filter"}
    assert "Lead has no field 'Statuss'" in body["results"][0]["reason"]
    blocklist.refresh_from_db()
    assert "Lead has no field 'Statuss'" in blocklist.org_problem
    assert blocklist.org_id == body["org_id"]


def test_filters_stored_invalid_answer_unknown(api, campaign):
    set_filters(campaign, {"rules": [{"name": "R", "outcome": "deny"}]})

    [result] = check(api, campaign, ["ada@example.com"])["results"]

    assert (result["decision"], result["reason_code"]) == ("unknown", "invalid_filter")
    assert "rules[0].outcome: 'deny' is not allowed" in result["reason"]


# --- the endpoint ----------------------------------------------------------------


def test_decisions_are_recorded_with_the_artisan_lead(api, campaign, sf):
    lead_id = create_lead(sf, "ada@example.com")
    artisan_lead = Lead.objects.create(campaign=campaign, email="Ada@Example.com")
    set_filters(campaign, {})

    check(api, campaign, ["ada@example.com", "new@example.com"])

    ada, new = ContactDecision.objects.order_by("id")
    assert (ada.email, ada.decision, ada.lead) == (
        "ada@example.com",
        "blocked",
        artisan_lead,
    )
    assert (ada.matched_object, ada.matched_ids, ada.rule) == (
        "Lead",
        lead_id,
        "do_not_contact_flag",
    )
    assert ada.org_id == campaign.account.salesforce_connection.org_id
    assert (new.decision, new.lead, new.reason_code) == ("allowed", None, "no_match")


def test_campaign_of_another_account_is_not_found(api, connected_account):
    other = Account.objects.create(slug="globex", name="Globex")
    foreign = Campaign.objects.create(account=other, name="Theirs")

    response = api.post(
        f"/api/v1/campaigns/{foreign.pk}/contact-check", {"emails": ["a@b.io"]}
    )
    missing = api.post("/api/v1/campaigns/999999/contact-check", {"emails": ["a@b.io"]})

    assert response.status_code == 404
    assert f"Campaign {foreign.pk} is not a campaign" in response.json()["detail"]
    assert missing.status_code == 404
    assert not ContactDecision.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"emails": []}, {"emails": ["a@b.io"] * 1001}, {"emails": "a@b.io"}, {}],
    ids=["none", "1001", "not a list", "missing"],
)
def test_batch_size_and_shape_are_validated(api, campaign, body):
    response = api.post(f"/api/v1/campaigns/{campaign.pk}/contact-check", body)

    assert response.status_code == 422


def test_api_key_required(client, campaign):
    response = client.post(
        f"/api/v1/campaigns/{campaign.pk}/contact-check",
        {"emails": ["a@b.io"]},
        content_type="application/json",
    )

    assert response.status_code == 401


def test_endpoint_in_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json()

    operation = document["paths"]["/api/v1/campaigns/{campaign_id}/contact-check"]
    assert set(operation["post"]["responses"]) >= {"200", "401", "404"}
    assert "/api/v1/leads" in document["paths"]


def test_invalid_email_answers_unknown(api, campaign, sf):
    set_filters(campaign, {}, flag=True)

    body = check(api, campaign, ["not-an-email", "ok@example.com"])

    invalid, valid = body["results"]
    assert (invalid["decision"], invalid["reason_code"]) == ("unknown", "invalid_email")
    assert "'not-an-email' is not a valid email address" in invalid["reason"]
    assert (valid["decision"], valid["reason_code"]) == ("allowed", "no_match")
