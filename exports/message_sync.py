"""Every email of a linked lead becomes one EmailMessage on its Lead or Contact.

The EmailMessage names the person in `FromId` (inbound) or `ToIds` (outbound)
and Salesforce expands those into EmailMessageRelation rows inside the same
create. That keeps it to one batched call per 200 emails, and an email never
exists without the relation that puts it on the person's activity timeline,
which a second batch of relation creates could leave behind after a failure.
(`RelatedToId` cannot be used: it accepts only non-human records.)

Before creating, Salesforce is asked which MessageIdentifiers it already has,
so an email whose create answer was lost, or that another tool logged, is
linked instead of saved twice.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from exports.apply import apply_creates
from exports.describe import ObjectSchema
from exports.lookup import find_email_messages
from exports.mapping import Truncation, fit_to_schema, truncate_utf16, utf16_length
from exports.planning import Action

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Artisan AI] "
EMPTY_SUBJECT = "(no subject)"
TRUNCATION_MARKER = (
    "\n\n[Truncated by Artisan AI: the message is longer than Salesforce allows.]"
)
# EmailMessage Status "3" (Sent) is the only value Salesforce documents for
# emails that are not tied to a Case; Incoming tells sent from received.
STATUS_SENT = "3"


@dataclass(frozen=True)
class MessageData:
    """One email of a linked lead, as plain data."""

    message_id: int
    lead_id: int
    identifier: str
    direction: str
    subject: str
    body_text: str
    body_html: str
    from_address: str
    to_address: str
    sent_at: datetime


@dataclass(frozen=True)
class MessageDecision:
    message_id: int
    lead_id: int
    identifier: str
    action: Action
    salesforce_id: str | None = None
    payload: dict | None = None
    truncations: tuple[Truncation, ...] = ()
    error_code: str = ""
    error_message: str = ""


def prefixed_subject(subject: str) -> str:
    """The subject with the Artisan prefix, added once only."""
    subject = subject.strip() or EMPTY_SUBJECT
    if subject.startswith(SUBJECT_PREFIX.strip()):
        return subject
    return SUBJECT_PREFIX + subject


def salesforce_datetime(value: datetime) -> str:
    """`value` in Salesforce's form, e.g. 2026-01-01T12:00:00.000+0000."""
    value = value.astimezone(UTC)
    return (
        value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
    )


def email_message_payload(
    message: MessageData, person_id: str, schema: ObjectSchema
) -> tuple[dict, list[Truncation]]:
    """The EmailMessage for `message` on the Lead or Contact `person_id`."""
    inbound = message.direction == "inbound"
    fields = {
        "Subject": prefixed_subject(message.subject),
        "Incoming": inbound,
        "MessageDate": salesforce_datetime(message.sent_at),
        "Status": STATUS_SENT,
        "MessageIdentifier": message.identifier,
    }
    if message.from_address:
        fields["FromAddress"] = message.from_address
    if message.to_address:
        fields["ToAddress"] = message.to_address
    if inbound:
        fields["FromId"] = person_id
    else:
        fields["ToIds"] = [person_id]

    truncations = []
    for body_field, body in (
        ("TextBody", message.body_text),
        ("HtmlBody", message.body_html),
    ):
        if body:
            fields[body_field], cut = _fit_body(body_field, body, schema)
            truncations.extend(cut)
    fields, cut = fit_to_schema(fields, schema)
    truncations.extend(cut)
    return {"attributes": {"type": "EmailMessage"}, **fields}, truncations


def _fit_body(
    name: str, body: str, schema: ObjectSchema
) -> tuple[str, list[Truncation]]:
    # A cut body says so at its end, so nobody mistakes it for the whole email.
    field_schema = schema.get(name)
    if field_schema is None or not field_schema.length:
        return body, []
    length = utf16_length(body)
    if length <= field_schema.length:
        return body, []
    room = field_schema.length - utf16_length(TRUNCATION_MARKER)
    cut = truncate_utf16(body, room) + TRUNCATION_MARKER
    return cut, [Truncation(name, length, utf16_length(cut))]


def plan_messages(
    messages: list[MessageData],
    person_ids: dict[int, str],
    existing: dict[str, str],
    schema: ObjectSchema,
) -> list[MessageDecision]:
    """Link the emails Salesforce already has, create the others.

    `person_ids` maps a lead id to its linked record; `existing` maps a
    MessageIdentifier to the EmailMessage that already carries it.
    """
    decisions = []
    for message in messages:
        if message.identifier in existing:
            decisions.append(
                MessageDecision(
                    message.message_id,
                    message.lead_id,
                    message.identifier,
                    Action.LINK,
                    salesforce_id=existing[message.identifier],
                )
            )
            continue
        payload, truncations = email_message_payload(
            message, person_ids[message.lead_id], schema
        )
        decisions.append(
            MessageDecision(
                message.message_id,
                message.lead_id,
                message.identifier,
                Action.CREATE,
                payload=payload,
                truncations=tuple(truncations),
            )
        )
    return decisions


def sync_emails(
    client,
    messages: list[MessageData],
    person_ids: dict[int, str],
    schema: ObjectSchema,
) -> list[MessageDecision]:
    """Look up, plan and create one batch of emails; return the final decisions.

    Raises the client's errors for failed requests; per-email errors are kept.
    """
    existing = find_email_messages(client, [m.identifier for m in messages])
    decisions = plan_messages(messages, person_ids, existing, schema)
    return apply_creates(client, decisions)
