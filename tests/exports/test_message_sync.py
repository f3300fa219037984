"""EmailMessage payloads and the plan of which emails to create or link."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from exports.describe import ObjectSchema
from exports.mapping import Truncation, utf16_length
from exports.message_sync import (
    MessageData,
    email_message_payload,
    identifier_in_task,
    linkedin_task_payload,
    plan_messages,
    prefixed_subject,
    salesforce_datetime,
    sync_messages,
    truncated,
)
from exports.planning import Action
from integrations.client import RecordError, RecordResult, SalesforceTransientError
from tests.exports.schemas import EMAIL_MESSAGE, TASK, TASK_DESCRIBE

LEAD_RECORD = "00Q000000000001AAA"
CONTACT_RECORD = "003000000000001AAA"


def message(message_id=1, direction="outbound", **values):
    defaults = {
        "lead_id": 7,
        "identifier": f"<m{message_id}@mail.example>",
        "subject": "Hello",
        "body_text": "Plain body",
        "body_html": "<p>Plain body</p>",
        "from_address": "rep@artisan.example",
        "to_address": "ada@example.com",
        "sent_at": datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC),
    }
    defaults.update(values)
    return MessageData(message_id=message_id, direction=direction, **defaults)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hello", "[Artisan AI] Hello"),
        ("[Artisan AI] Hello", "[Artisan AI] Hello"),
        ("  Re: Hello ", "[Artisan AI] Re: Hello"),
        ("", "[Artisan AI] (no subject)"),
        ("   ", "[Artisan AI] (no subject)"),
        ("[Artisan AI]", "[Artisan AI]"),
        ("  [artisan ai] Re: Hello", "[artisan ai] Re: Hello"),
        ("[ARTISAN AI]Hello", "[ARTISAN AI]Hello"),
        ("Re: [Artisan AI] Hello", "[Artisan AI] Re: [Artisan AI] Hello"),
    ],
)
def test_subject_is_prefixed_once(subject, expected):
    assert prefixed_subject(subject) == expected


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "2026-01-01T12:00:00.000+0000"),
        (
            datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=2))),
            "2026-03-02T07:30:00.000+0000",
        ),
        (
            datetime(
                2026, 1, 1, 14, 30, 5, 999999, tzinfo=timezone(timedelta(hours=2))
            ),
            "2026-01-01T12:30:05.999+0000",
        ),
    ],
)
def test_datetimes_are_sent_in_salesforces_form(moment, text):
    assert salesforce_datetime(moment) == text


def test_outbound_email_names_the_person_as_recipient():
    payload, truncations = email_message_payload(message(), LEAD_RECORD, EMAIL_MESSAGE)

    assert payload == {
        "attributes": {"type": "EmailMessage"},
        "Subject": "[Artisan AI] Hello",
        "Incoming": False,
        "MessageDate": "2026-01-01T12:00:00.123+0000",
        "Status": "3",
        "MessageIdentifier": "<m1@mail.example>",
        "FromAddress": "rep@artisan.example",
        "ToAddress": "ada@example.com",
        "ToIds": [LEAD_RECORD],
        "TextBody": "Plain body",
        "HtmlBody": "<p>Plain body</p>",
    }
    assert truncations == []


def test_inbound_email_names_the_person_as_sender():
    payload, _ = email_message_payload(
        message(direction="inbound"), LEAD_RECORD, EMAIL_MESSAGE
    )

    assert payload["Incoming"] is True
    assert payload["FromId"] == LEAD_RECORD
    assert "ToIds" not in payload


def test_long_body_cut_and_marked():
    body = "😀" * 70_000  # 140,000 UTF-16 units against a limit of 131,072

    payload, truncations = email_message_payload(
        message(body_text=body, body_html=""), LEAD_RECORD, EMAIL_MESSAGE
    )

    sent = payload["TextBody"]
    marker = "\n\n[Truncated by Artisan AI: the full message was 140,000 characters]"
    assert sent.endswith(marker)
    assert utf16_length(sent) <= 131_072
    assert utf16_length(sent) >= 131_071  # an emoji is 2 units: one may be left
    assert sent[: -len(marker)] == "😀" * len(sent[: -len(marker)])
    assert truncations == [Truncation("TextBody", 140_000, utf16_length(sent))]
    assert "HtmlBody" not in payload


def test_html_body_cut_to_described_length():
    html = "<p>" + "x" * 40_000 + "</p>"
    describe = {
        "name": "EmailMessage",
        "fields": [
            {"name": "HtmlBody", "type": "textarea", "length": 32_000},
            {"name": "TextBody", "type": "textarea", "length": 32_000},
        ],
    }

    payload, truncations = email_message_payload(
        message(body_html=html), LEAD_RECORD, ObjectSchema.from_describe(describe)
    )

    assert payload["TextBody"] == "Plain body"
    assert len(payload["HtmlBody"]) == 32_000
    assert payload["HtmlBody"].endswith(
        "[Truncated by Artisan AI: the full message was 40,007 characters]"
    )
    assert [(t.field, t.original_length) for t in truncations] == [("HtmlBody", 40_007)]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("much too long for this field", 12, "much too lon"),
    ],
)
def test_truncated_short_limit_cuts_without_marker(text, limit, expected):
    assert truncated(text, limit) == expected


def test_emails_salesforce_already_has_are_linked_not_created():
    messages = [message(1), message(2), message(3)]
    existing = {"<m2@mail.example>": "02s000000000002AAA"}

    decisions = plan_messages(
        messages, {7: LEAD_RECORD}, existing, {"EmailMessage": EMAIL_MESSAGE}
    )

    assert [(d.message_id, d.action, d.salesforce_id) for d in decisions] == [
        (1, Action.CREATE, None),
        (2, Action.LINK, "02s000000000002AAA"),
        (3, Action.CREATE, None),
    ]
    assert decisions[0].payload["MessageIdentifier"] == "<m1@mail.example>"
    assert decisions[1].payload is None


def test_linkedin_task_payload():
    linkedin = message(
        4,
        channel="linkedin",
        subject="",
        body_text="Thanks for connecting!",
        sent_at=datetime(2026, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
    )

    payload, truncations = linkedin_task_payload(linkedin, LEAD_RECORD, TASK)

    assert payload == {
        "attributes": {"type": "Task"},
        "WhoId": LEAD_RECORD,
        "Subject": "[Artisan AI] LinkedIn message sent",
        "Status": "Completed",
        "TaskSubtype": "LinkedIn",
        "ActivityDate": "2026-01-02",
        "Description": "Thanks for connecting!\n\nArtisan message id: <m4@mail.example>",
    }
    assert truncations == []
    assert identifier_in_task(payload["Description"]) == "<m4@mail.example>"
    assert identifier_in_task("A task someone typed") is None


def test_linkedin_task_without_subtype():
    describe = dict(TASK_DESCRIBE)
    describe["fields"] = [
        {**f, "picklistValues": [{"value": "Task"}, {"value": "Email"}]}
        if f["name"] == "TaskSubtype"
        else f
        for f in TASK_DESCRIBE["fields"]
    ]
    linkedin = message(5, channel="linkedin", direction="inbound", subject="")

    payload, _ = linkedin_task_payload(
        linkedin, LEAD_RECORD, ObjectSchema.from_describe(describe)
    )

    assert payload["TaskSubtype"] == "Task"
    assert payload["Subject"] == "[Artisan AI] LinkedIn message received"


def test_long_linkedin_task_keeps_identifier():
    linkedin = message(6, channel="linkedin", body_text="word " * 10_000)

    payload, truncations = linkedin_task_payload(linkedin, LEAD_RECORD, TASK)

    description = payload["Description"]
    assert utf16_length(description) <= 32_000
    assert "[Truncated by Artisan AI: the full message was 50,000 characters]" in (
        description
    )
    assert identifier_in_task(description) == "<m6@mail.example>"
    assert [t.field for t in truncations] == ["Description"]
    assert truncations[0].sent_length == utf16_length(description)


class ConvertedLeadOrg:
    """A fake org where Lead LEAD_RECORD was converted into CONTACT_RECORD.

    The first Task it saves loses its response, as a dropped connection would.
    """

    def __init__(self):
        self.tasks: list[dict] = []
        self.lose_next_save = True

    def query(self, soql):
        if "FROM Task" in soql:
            return [task for task in self.tasks if f"'{task['WhoId']}'" in soql]
        if "IsConverted = true" in soql and LEAD_RECORD in soql:
            return [{"Id": LEAD_RECORD, "ConvertedContactId": CONTACT_RECORD}]
        return []

    def create_records(self, payloads, all_or_none=False, headers=None):
        results = []
        for payload in payloads:
            if payload["WhoId"] == LEAD_RECORD:
                error = RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "converted", ())
                results.append(RecordResult(False, None, (error,)))
                continue
            task_id = f"00T00000000000{len(self.tasks) + 1}AAA"
            self.tasks.append({"Id": task_id, **payload})
            results.append(RecordResult(True, task_id, ()))
        if self.tasks and self.lose_next_save:
            self.lose_next_save = False
            raise SalesforceTransientError("POST composite/sobjects got no response")
        return results


def test_resent_task_found_on_retry():
    org = ConvertedLeadOrg()
    linkedin = message(8, channel="linkedin")
    arguments = ([linkedin], {linkedin.lead_id: LEAD_RECORD}, {"Task": TASK})
    with pytest.raises(SalesforceTransientError):
        sync_messages(org, *arguments)

    # The engine retries the batch, with the link still on the Lead.
    decisions = sync_messages(org, *arguments)

    assert [task["WhoId"] for task in org.tasks] == [CONTACT_RECORD]
    assert [(d.action, d.salesforce_id) for d in decisions] == [
        (Action.LINK, org.tasks[0]["Id"])
    ]
