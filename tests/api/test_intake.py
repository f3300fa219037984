"""POST /api/v1/leads and /api/v1/messages: per-item validation, idempotency, scope."""

from datetime import UTC, datetime

import pytest

from api import intake
from outreach.models import Campaign, Lead, Message


def lead_item(email="ada@example.com", **values):
    return {
        "email": email,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "job_title": "Analyst",
        "company_name": "Analytical Engines",
        "website": "https://engines.example",
        **values,
    }


def message_item(identifier="<m1@mail.example>", **values):
    return {
        "lead_email": "ada@example.com",
        "message_identifier": identifier,
        "channel": "email",
        "direction": "outbound",
        "subject": "Quick question",
        "body_text": "Hello Ada",
        "from_address": "rep@artisan.example",
        "to_address": "ada@example.com",
        "sent_at": "2026-01-05T09:30:00Z",
        **values,
    }


def errors_of(result) -> dict[str, str]:
    return {error["field"]: error["message"] for error in result["errors"]}


@pytest.fixture
def campaign(account) -> Campaign:
    return account.campaigns.get()


@pytest.fixture
def ada(campaign) -> Lead:
    return Lead.objects.create(
        campaign=campaign, email="Ada@Example.com", first_name="Ada"
    )


# --- leads -----------------------------------------------------------------


def test_leads_mixed_batch_stores_valid_items(api, campaign):
    items = [
        lead_item("ada@example.com"),
        lead_item("not-an-email"),
        {"first_name": "Nobody"},
        lead_item("grace@example.com", sentiment=5),
        lead_item("ADA@example.com "),
        lead_item("linus@example.com", sentiment=True),
        "linus@example.com",
        lead_item("ken@example.com", first_name="K" * 201),
        lead_item("dennis@example.com", sentimnet=3),
        lead_item("  "),
        lead_item("barbara@example.com", replied="yes"),
        lead_item("margaret@example.com", sentiment=3),
    ]

    response = api.post_leads(items)

    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert [result["index"] for result in results] == list(range(len(items)))
    assert [result["status"] for result in results] == [
        "created",
        *["rejected"] * 10,
        "created",
    ]
    assert body["totals"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 10,
    }
    assert errors_of(results[1]) == {
        "email": "email 'not-an-email' is not a valid email address: "
        "expected name@domain."
    }
    assert errors_of(results[2]) == {"email": "email is required but missing."}
    assert errors_of(results[3]) == {
        "sentiment": "sentiment 5 is not valid: use 1 (negative), 2 (neutral), "
        "3 (positive) or null."
    }
    assert errors_of(results[4]) == {
        "email": "email 'ADA@example.com' repeats the one of item 0: send each "
        "email once per batch."
    }
    assert errors_of(results[5])["sentiment"].startswith("sentiment True is not valid")
    assert errors_of(results[6]) == {
        "item": "Expected a JSON object, got 'linus@example.com'."
    }
    assert errors_of(results[7]) == {
        "first_name": "first_name: String should have at most 200 characters, got "
        "'KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK'… (201 characters)."
    }
    assert errors_of(results[8])["sentimnet"].startswith(
        "sentimnet is not a field of this item. The fields are email, first_name"
    )
    assert errors_of(results[9]) == {
        "email": "email is empty: send the lead's email address."
    }
    assert errors_of(results[10]) == {
        "replied": "replied: Input should be a valid boolean, got 'yes'."
    }
    assert results[1]["email"] == "not-an-email"
    assert "lead_id" not in results[1]
    assert "errors" not in results[0]
    stored = {lead.email: lead for lead in Lead.objects.filter(campaign=campaign)}
    assert sorted(stored) == ["ada@example.com", "margaret@example.com"]
    assert results[0]["lead_id"] == stored["ada@example.com"].pk
    assert stored["ada@example.com"].company_name == "Analytical Engines"
    assert stored["margaret@example.com"].sentiment == 3


def test_leads_accept_emails_longer_than_salesforce_allows(api, campaign):
    email = f"{'a' * 90}@example.com"

    response = api.post_leads([lead_item(email)])

    assert response.json()["results"][0]["status"] == "created"
    assert Lead.objects.get().email == email


def test_leads_second_post_is_unchanged(api, campaign):
    items = [lead_item(f"lead{i}@example.com", sentiment=2) for i in range(5)]
    first = api.post_leads(items).json()
    updated_at = dict(Lead.objects.values_list("pk", "updated_at"))

    second = api.post_leads(items).json()

    assert first["totals"]["created"] == 5
    assert second["totals"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 5,
        "rejected": 0,
    }
    assert [r["lead_id"] for r in second["results"]] == [
        r["lead_id"] for r in first["results"]
    ]
    assert Lead.objects.count() == 5
    assert dict(Lead.objects.values_list("pk", "updated_at")) == updated_at


def test_leads_update_by_email_ignoring_case(api, ada):
    response = api.post_leads([lead_item("  ADA@example.COM ", job_title="CTO")])

    [result] = response.json()["results"]
    assert result["status"] == "updated"
    assert result["lead_id"] == ada.pk
    ada.refresh_from_db()
    assert ada.job_title == "CTO"
    assert ada.email == "Ada@Example.com"
    assert Lead.objects.count() == 1


def test_leads_omitted_and_null_fields_are_kept(api, ada):
    Lead.objects.filter(pk=ada.pk).update(job_title="CTO", sentiment=2, replied=True)

    response = api.post_leads(
        [{"email": "ada@example.com", "last_name": "Lovelace", "job_title": None}]
    )

    assert response.json()["results"][0]["status"] == "updated"
    ada.refresh_from_db()
    assert ada.last_name == "Lovelace"
    assert ada.job_title == "CTO"
    assert ada.first_name == "Ada"
    assert ada.sentiment == 2


def test_leads_classified_reply_sets_sentiment(api, ada):
    response = api.post_leads(
        [{"email": "ada@example.com", "replied": True, "sentiment": 1}]
    )

    assert response.json()["results"][0]["status"] == "updated"
    ada.refresh_from_db()
    assert ada.replied is True
    assert ada.sentiment == 1

    again = api.post_leads([{"email": "ada@example.com", "sentiment": 3}])

    assert again.json()["results"][0]["status"] == "updated"
    ada.refresh_from_db()
    assert ada.sentiment == 3


def test_leads_sentiment_alone_marks_replied(api, ada):
    api.post_leads([{"email": "ada@example.com", "sentiment": 2}])

    ada.refresh_from_db()
    assert ada.replied is True
    assert ada.sentiment == 2


def test_leads_replied_false_keeps_a_reply(api, ada):
    Lead.objects.filter(pk=ada.pk).update(replied=True)

    response = api.post_leads([{"email": "ada@example.com", "replied": False}])

    assert response.json()["results"][0]["status"] == "unchanged"
    ada.refresh_from_db()
    assert ada.replied is True


def test_leads_campaign_by_name_is_created(api, account):
    first = api.post_leads([lead_item()], campaign="Q4 outbound").json()
    second = api.post_leads([lead_item("grace@example.com")], campaign="Q4 outbound")

    campaign = Campaign.objects.get(account=account, name="Q4 outbound")
    assert first["campaign"] == {
        "id": campaign.pk,
        "name": "Q4 outbound",
        "created": True,
    }
    assert second.json()["campaign"]["created"] is False
    assert campaign.leads.count() == 2


def test_leads_campaign_by_id(api, campaign):
    response = api.post_leads([lead_item()], campaign=campaign.pk)

    assert response.json()["campaign"] == {
        "id": campaign.pk,
        "name": "Q3 outbound",
        "created": False,
    }
    assert campaign.leads.count() == 1


def test_leads_campaign_digits_are_a_name(api, account):
    response = api.post_leads([lead_item()], campaign="42")

    assert response.json()["campaign"]["name"] == "42"
    assert response.json()["campaign"]["created"] is True


def test_leads_unknown_campaign_id_is_404(api, account):
    response = api.post_leads([lead_item()], campaign=987654)

    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No campaign with id 987654 in account acme. Pass the id of one of the "
        "account's campaigns, or a name to create a campaign."
    )
    assert not Lead.objects.exists()


def test_leads_other_accounts_campaign_is_404(api, other_account):
    response = api.post_leads([lead_item()], campaign=other_account.campaign.pk)

    assert response.status_code == 404
    assert (
        f"No campaign with id {other_account.campaign.pk}"
        in (response.json()["detail"])
    )
    assert not Lead.objects.exists()


def test_leads_same_name_stays_in_own_account(api, account, other_account):
    response = api.post_leads([lead_item()], campaign="Q3 outbound")

    lead = Lead.objects.get(pk=response.json()["results"][0]["lead_id"])
    assert lead.campaign.account == account
    assert not other_account.campaign.leads.exists()


@pytest.mark.parametrize("count", [0, 1001])
def test_leads_batch_size_is_checked(api, campaign, count):
    items = [lead_item(f"lead{i}@example.com") for i in range(count)]

    response = api.post_leads(items)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "leads"
    assert not Lead.objects.exists()


def test_leads_batch_of_1000_is_stored(api, campaign, django_assert_max_num_queries):
    items = [lead_item(f"lead{i}@example.com") for i in range(1000)]

    # One query per item would be over 1000. SQLite splits the bulk insert
    # into about a dozen statements because of its limit on query parameters.
    with django_assert_max_num_queries(30):
        response = api.post_leads(items)

    assert response.json()["totals"]["created"] == 1000
    assert Lead.objects.count() == 1000


def test_leads_updates_use_batched_queries(
    api, campaign, django_assert_max_num_queries
):
    api.post_leads([lead_item(f"lead{i}@example.com") for i in range(200)])
    items = [
        lead_item(f"lead{i}@example.com", job_title=f"Title {i}") for i in range(200)
    ]

    with django_assert_max_num_queries(15):
        response = api.post_leads(items)

    assert response.json()["totals"]["updated"] == 200


def test_leads_concurrent_insert_is_written_again(api, campaign, monkeypatch):
    # Another request committed the same lead after this request read the
    # campaign's leads: the first read misses it, and the insert then hits the
    # unique constraint.
    Lead.objects.create(campaign=campaign, email="ADA@example.com")
    real_existing_leads = intake._existing_leads
    calls = []

    def stale_first_read(campaign, emails):
        calls.append(emails)
        if len(calls) == 1:
            return {}
        return real_existing_leads(campaign, emails)

    monkeypatch.setattr(intake, "_existing_leads", stale_first_read)

    response = api.post_leads([lead_item()])

    assert len(calls) == 2
    [result] = response.json()["results"]
    assert result["status"] == "updated"
    assert Lead.objects.get().first_name == "Ada"


def test_leads_batch_logs_start_and_finish(api, account, caplog):
    caplog.set_level("INFO", logger="api.intake")

    api.post_leads([lead_item(), lead_item("bad")])

    messages = [record.getMessage() for record in caplog.records]
    assert f"Intake of leads for account {account.pk} started: 2 items" in messages
    assert (
        f"Intake of leads for account {account.pk} finished: created 1, "
        "updated 0, unchanged 0, rejected 1"
    ) in messages
    assert api.key not in caplog.text


# --- messages --------------------------------------------------------------


def test_messages_mixed_batch_stores_valid_items(api, ada):
    items = [
        message_item("<m1@mail.example>"),
        message_item("<m 2@mail.example>"),
        {
            key: value
            for key, value in message_item().items()
            if key != "message_identifier"
        },
        message_item("   "),
        message_item("<m3@mail.example>", sent_at="2026-01-05T09:30:00"),
        message_item("<m4@mail.example>", sent_at="yesterday"),
        message_item("<m5@mail.example>", sent_at=1767605400),
        message_item("<m6@mail.example>", channel="sms"),
        message_item("<m1@mail.example>", subject="Same id again"),
        message_item("<m7@mail.example>", channel="linkedin", subject=""),
    ]

    response = api.post_messages(items)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["status"] for result in results] == [
        "created",
        *["rejected"] * 8,
        "created",
    ]
    assert errors_of(results[1]) == {
        "message_identifier": "message_identifier '<m 2@mail.example>' contains "
        "whitespace: send the id exactly as in the Message-ID header, e.g. "
        "<abc123@mail.example.com>."
    }
    assert errors_of(results[2]) == {
        "message_identifier": "message_identifier is required but missing."
    }
    assert errors_of(results[3]) == {
        "message_identifier": "message_identifier is empty: send the message's "
        "unique id, for email its Message-ID header."
    }
    assert errors_of(results[4]) == {
        "sent_at": "sent_at '2026-01-05T09:30:00' has no time zone: add Z or an "
        "offset, as in 2026-01-05T09:30:00Z or 2026-01-05T10:30:00+01:00."
    }
    assert errors_of(results[5])["sent_at"].startswith(
        "sent_at 'yesterday' is not an ISO 8601 date and time"
    )
    assert errors_of(results[6])["sent_at"].startswith(
        "sent_at 1767605400 is not an ISO 8601 date and time"
    )
    assert errors_of(results[7]) == {
        "channel": "channel: Input should be 'email' or 'linkedin', got 'sms'."
    }
    assert errors_of(results[8]) == {
        "message_identifier": "message_identifier '<m1@mail.example>' repeats the "
        "one of item 0: send each message_identifier once per batch."
    }
    assert results[1]["message_identifier"] == "<m 2@mail.example>"
    stored = Message.objects.order_by("message_identifier")
    assert [m.message_identifier for m in stored] == [
        "<m1@mail.example>",
        "<m7@mail.example>",
    ]
    assert {m.lead_id for m in stored} == {ada.pk}
    assert results[0]["lead_id"] == ada.pk


def test_messages_store_every_field(api, ada):
    api.post_messages(
        [
            message_item(
                body_html="<p>Hello Ada</p>", sent_at="2026-01-05T10:30:00+01:00"
            )
        ]
    )

    message = Message.objects.get()
    assert message.channel == "email"
    assert message.direction == "outbound"
    assert message.subject == "Quick question"
    assert message.body_text == "Hello Ada"
    assert message.body_html == "<p>Hello Ada</p>"
    assert message.from_address == "rep@artisan.example"
    assert message.to_address == "ada@example.com"
    assert message.sent_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_messages_second_post_is_unchanged(api, ada):
    items = [message_item(f"<m{i}@mail.example>") for i in range(3)]
    api.post_messages(items)

    response = api.post_messages(items)

    assert response.json()["totals"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 0,
    }
    assert {r["lead_id"] for r in response.json()["results"]} == {ada.pk}
    assert Message.objects.count() == 3


def test_messages_identifier_of_another_lead_is_rejected(api, ada, campaign):
    grace = Lead.objects.create(campaign=campaign, email="grace@example.com")
    api.post_messages([message_item("<shared@mail.example>")])

    response = api.post_messages(
        [message_item("<shared@mail.example>", lead_email="grace@example.com")]
    )

    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert errors_of(result)["message_identifier"].startswith(
        "message_identifier '<shared@mail.example>' is already stored for another lead."
    )
    assert Message.objects.get().lead_id == ada.pk
    assert not grace.messages.exists()


def test_messages_inbound_marks_replied(api, ada, campaign):
    grace = Lead.objects.create(campaign=campaign, email="grace@example.com")

    api.post_messages(
        [
            message_item("<in@mail.example>", direction="inbound"),
            message_item("<out@mail.example>", lead_email="grace@example.com"),
        ]
    )

    ada.refresh_from_db()
    grace.refresh_from_db()
    assert ada.replied is True
    assert grace.replied is False


def test_messages_unknown_lead_is_rejected(api, ada):
    response = api.post_messages([message_item(lead_email="nobody@example.com")])

    [result] = response.json()["results"]
    assert errors_of(result) == {
        "lead_email": "No lead with email 'nobody@example.com' in this account. "
        "Post the lead to /api/v1/leads first."
    }
    assert not Message.objects.exists()


def test_messages_ambiguous_lead_needs_campaign(api, ada, account):
    other = Campaign.objects.create(account=account, name="Q4 outbound")
    ada_again = Lead.objects.create(campaign=other, email="ada@example.com")

    response = api.post_messages([message_item()])

    [result] = response.json()["results"]
    assert errors_of(result) == {
        "campaign": "The email 'ada@example.com' is a lead in 2 campaigns, "
        f"'Q3 outbound' (id {ada.campaign_id}), 'Q4 outbound' (id {other.pk}). "
        "Pass campaign with the id or name of one."
    }

    by_name = api.post_messages(
        [message_item("<a@mail.example>", campaign="Q4 outbound")]
    )
    by_id = api.post_messages(
        [message_item("<b@mail.example>", campaign=ada.campaign_id)]
    )

    assert by_name.json()["results"][0]["lead_id"] == ada_again.pk
    assert by_id.json()["results"][0]["lead_id"] == ada.pk


def test_messages_unknown_campaign_is_rejected(api, ada):
    response = api.post_messages([message_item(campaign="Nope")])

    [result] = response.json()["results"]
    assert errors_of(result) == {
        "campaign": "No campaign 'Nope' in this account. Pass the id or the exact "
        "name of one of its campaigns."
    }


def test_messages_lead_not_in_named_campaign(api, ada, account):
    Campaign.objects.create(account=account, name="Q4 outbound")

    response = api.post_messages([message_item(campaign="Q4 outbound")])

    [result] = response.json()["results"]
    assert errors_of(result) == {
        "lead_email": "No lead with email 'ada@example.com' in campaign "
        "'Q4 outbound'. Post the lead to /api/v1/leads first."
    }


def test_messages_cannot_reach_another_account(api, other_account):
    theirs = Lead.objects.create(
        campaign=other_account.campaign, email="ada@example.com"
    )

    response = api.post_messages(
        [
            message_item(direction="inbound"),
            message_item("<m2@mail.example>", campaign=other_account.campaign.pk),
        ]
    )

    results = response.json()["results"]
    assert [result["status"] for result in results] == ["rejected", "rejected"]
    assert "lead_email" in errors_of(results[0])
    assert errors_of(results[1]) == {
        "campaign": f"No campaign {other_account.campaign.pk} in this account. Pass "
        "the id or the exact name of one of its campaigns."
    }
    theirs.refresh_from_db()
    assert theirs.replied is False
    assert not Message.objects.exists()


def test_messages_batch_logs_start_and_finish(api, ada, account, caplog):
    caplog.set_level("INFO", logger="api.intake")

    api.post_messages([message_item(), message_item("bad id")])

    messages = [record.getMessage() for record in caplog.records]
    assert f"Intake of messages for account {account.pk} started: 2 items" in messages
    assert (
        f"Intake of messages for account {account.pk} finished: created 1, "
        "updated 0, unchanged 0, rejected 1"
    ) in messages


def test_messages_bad_email_rejected_others_stored(api, ada):
    response = api.post_messages(
        [
            message_item("<m1@mail.example>"),
            message_item("<m2@mail.example>", lead_email="ada(at)example.com"),
            message_item("<m3@mail.example>", lead_email=""),
            message_item("<m4@mail.example>", channel="linkedin"),
        ]
    )

    results = response.json()["results"]
    assert [result["status"] for result in results] == [
        "created",
        "rejected",
        "rejected",
        "created",
    ]
    assert errors_of(results[1]) == {
        "lead_email": "lead_email 'ada(at)example.com' is not a valid email "
        "address: expected name@domain."
    }
    assert errors_of(results[2]) == {
        "lead_email": "lead_email is empty: send the lead's email address."
    }
    assert sorted(Message.objects.values_list("message_identifier", flat=True)) == [
        "<m1@mail.example>",
        "<m4@mail.example>",
    ]


def test_messages_full_batch_with_real_bodies(api, ada):
    body = "Hello Ada, " * 300  # about 3.3 KB, a realistic email
    messages = [
        message_item(
            f"<bulk-{n}@mail.example>", body_text=body, body_html=f"<p>{body}</p>"
        )
        for n in range(1000)
    ]

    response = api.post_messages(messages)

    assert response.status_code == 200, response.content[:300]
    assert response.json()["totals"]["created"] == 1000
