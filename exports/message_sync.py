"""Every message of a linked lead lands once on its Lead or Contact.

Emails become EmailMessage records, LinkedIn messages completed Tasks.

The EmailMessage names the person in `FromId` (inbound) or `ToIds` (outbound)
and Salesforce expands those into EmailMessageRelation rows inside the same
create. That keeps it to one batched call per 200 emails, and an email never
exists without the relation that puts it on the person's activity timeline,
which a second batch of relation creates could leave behind after a failure.
(`RelatedToId` cannot be used: it accepts only non-human records.)

Before creating, Salesforce is asked which MessageIdentifiers it already has,
so an email whose create response was lost, or that another tool logged, is
linked instead of saved twice. Tasks have no such field, so a LinkedIn Task
carries the message identifier on the last line of its Description, and the
person's Artisan Tasks are read back to find it.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from exports.apply import apply_creates
from exports.config import accepts
from exports.describe import ObjectSchema
from exports.lookup import find_email_messages, find_linkedin_tasks
from exports.mapping import Truncation, fit_to_schema, truncate_utf16, utf16_length
from exports.planning import Action

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Artisan AI] "
EMPTY_SUBJECT = "(no subject)"
TRUNCATION_MARKER = (
    "\n\n[Truncated by Artisan AI: the message is longer than Salesforce allows.]"
)
# EmailMessage Status "3" (Sent) is the only value Salesforce documents for
# emails that are not tied to a Case. Incoming marks received emails.
STATUS_SENT = "3"
# Written as the last line of a LinkedIn Task's Description; look-up reads it.
TASK_IDENTIFIER_LABEL = "Artisan message id: "
EMAIL = "email"
LINKEDIN = "linkedin"
SALESFORCE_OBJECTS = {EMAIL: "EmailMessage", LINKEDIN: "Task"}


@dataclass(frozen=True)
class MessageData:
    """One message of a linked lead, as plain data."""

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
    channel: str = EMAIL

    @property
    def sobject(self) -> str:
        return SALESFORCE_OBJECTS[self.channel]


@dataclass(frozen=True)
class MessageDecision:
    message_id: int
    lead_id: int
    identifier: str
    action: Action
    sobject: str = "EmailMessage"
    salesforce_id: str | None = None
    payload: dict | None = None
    truncations: tuple[Truncation, ...] = ()
    error_code: str = ""
    error_message: str = ""


def prefixed_subject(subject: str) -> str:
    """Return the subject with the Artisan prefix, added once only."""
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
    """Build the EmailMessage for `message` on the Lead or Contact `person_id`."""
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
    # A cut body ends with a marker, so it is not mistaken for the whole email.
    field_schema = schema.get(name)
    if field_schema is None or not field_schema.length:
        return body, []
    length = utf16_length(body)
    if length <= field_schema.length:
        return body, []
    room = field_schema.length - utf16_length(TRUNCATION_MARKER)
    cut = truncate_utf16(body, room) + TRUNCATION_MARKER
    return cut, [Truncation(name, length, utf16_length(cut))]


def linkedin_task_payload(
    message: MessageData, person_id: str, schema: ObjectSchema
) -> tuple[dict, list[Truncation]]:
    """Build the completed Task for a LinkedIn `message` on the Lead or Contact."""
    sent = "received" if message.direction == "inbound" else "sent"
    subtype_field = schema.get("TaskSubtype")
    # Orgs before API 56 lack the LinkedIn subtype. A plain Task still shows
    # on the timeline, and its subject names the channel.
    linkedin = subtype_field is None or accepts(subtype_field, "LinkedIn")
    fields = {
        "WhoId": person_id,
        "Subject": prefixed_subject(message.subject or f"LinkedIn message {sent}"),
        "Status": "Completed",
        "TaskSubtype": "LinkedIn" if linkedin else "Task",
        "ActivityDate": message.sent_at.astimezone(UTC).date().isoformat(),
    }
    truncations = []
    identifier_line = f"\n\n{TASK_IDENTIFIER_LABEL}{message.identifier}"
    body = message.body_text or message.body_html
    description_field = schema.get("Description")
    if description_field is not None and description_field.length:
        room = description_field.length - utf16_length(identifier_line)
        if utf16_length(body) > room:
            cut = truncate_utf16(body, room - utf16_length(TRUNCATION_MARKER))
            cut += TRUNCATION_MARKER
            truncations.append(
                Truncation(
                    "Description",
                    utf16_length(body + identifier_line),
                    utf16_length(cut + identifier_line),
                )
            )
            body = cut
    fields["Description"] = body + identifier_line
    fields, cut = fit_to_schema(fields, schema)
    truncations.extend(cut)
    return {"attributes": {"type": "Task"}, **fields}, truncations


def identifier_in_task(description: str | None) -> str | None:
    """Return the message identifier that `linkedin_task_payload` wrote, if any."""
    last_line = (description or "").rsplit("\n", 1)[-1]
    if last_line.startswith(TASK_IDENTIFIER_LABEL):
        return last_line.removeprefix(TASK_IDENTIFIER_LABEL)
    return None


def plan_messages(
    messages: list[MessageData],
    person_ids: dict[int, str],
    existing: dict[str, str],
    schemas: dict[str, ObjectSchema],
) -> list[MessageDecision]:
    """Link the messages Salesforce already has, create the others.

    `person_ids` maps a lead id to its linked record. `existing` maps a message
    identifier to the record that already carries it. `schemas` maps objects.
    """
    decisions = []
    for message in messages:
        common = {
            "message_id": message.message_id,
            "lead_id": message.lead_id,
            "identifier": message.identifier,
            "sobject": message.sobject,
        }
        if message.identifier in existing:
            decisions.append(
                MessageDecision(
                    **common,
                    action=Action.LINK,
                    salesforce_id=existing[message.identifier],
                )
            )
            continue
        build = (
            linkedin_task_payload
            if message.channel == LINKEDIN
            else email_message_payload
        )
        payload, truncations = build(
            message, person_ids[message.lead_id], schemas[message.sobject]
        )
        decisions.append(
            MessageDecision(
                **common,
                action=Action.CREATE,
                payload=payload,
                truncations=tuple(truncations),
            )
        )
    return decisions


def sync_messages(
    client,
    messages: list[MessageData],
    person_ids: dict[int, str],
    schemas: dict[str, ObjectSchema],
) -> list[MessageDecision]:
    """Look up, plan and create one batch of messages; return the final decisions.

    Raises the client's errors for failed requests; per-message errors are kept.
    """
    emails = [m.identifier for m in messages if m.channel == EMAIL]
    linkedin_people = {person_ids[m.lead_id] for m in messages if m.channel == LINKEDIN}
    existing = find_email_messages(client, emails) if emails else {}
    if linkedin_people:
        tasks = find_linkedin_tasks(client, sorted(linkedin_people), SUBJECT_PREFIX)
        for task in tasks:
            identifier = identifier_in_task(task.get("Description"))
            if identifier:
                existing.setdefault(identifier, task["Id"])
    decisions = plan_messages(messages, person_ids, existing, schemas)
    return apply_creates(client, decisions)
