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
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr

from exports.apply import apply_creates
from exports.config import accepts
from exports.describe import ObjectSchema
from exports.lookup import (
    find_converted_contacts,
    find_email_messages,
    find_linkedin_tasks,
)
from exports.mapping import Truncation, fit_to_schema, truncate_utf16, utf16_length
from exports.planning import Action

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Artisan AI] "
EMPTY_SUBJECT = "(no subject)"
# Suffix of a body cut to its field's length, which marks to a reader of the
# record that it is not the whole message. The length is in Salesforce's units.
TRUNCATION_MARKER = (
    "\n\n[Truncated by Artisan AI: the full message was {length:,} characters]"
)
# EmailMessage Status "3" (Sent) is the only value Salesforce documents for
# emails that are not tied to a Case. Incoming marks received emails.
STATUS_SENT = "3"
# Written as the last line of a LinkedIn Task's Description; look-up reads it.
TASK_IDENTIFIER_LABEL = "Artisan message id: "
# Salesforce rejects a record that references a converted Lead with this code.
CONVERTED_LEAD_ERROR = "CANNOT_UPDATE_CONVERTED_LEAD"
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
    # The Lead or Contact the message was planned for.
    person_id: str = ""
    # Set when `person_id` replaced this converted Lead during the sync.
    converted_lead_id: str = ""


def prefixed_subject(subject: str) -> str:
    """Return the subject with the Artisan prefix, added once only.

    A subject that already starts with the prefix, in any letter case, is kept.
    """
    subject = subject.strip() or EMPTY_SUBJECT
    if subject.casefold().startswith(SUBJECT_PREFIX.strip().casefold()):
        return subject
    return SUBJECT_PREFIX + subject


def truncated(text: str, limit: int) -> str:
    """Cut `text` to `limit` UTF-16 units, ending with the truncation marker.

    Text within the limit is returned unchanged.
    """
    length = utf16_length(text)
    if length <= limit:
        return text
    marker = TRUNCATION_MARKER.format(length=length)
    room = limit - utf16_length(marker)
    if room <= 0:
        # A field too short for the marker gets the plain cut.
        return truncate_utf16(text, limit)
    return truncate_utf16(text, room) + marker


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
    # FromAddress is one bare address; a display name goes to FromName.
    from_name, from_address = parseaddr(message.from_address)
    if "@" in from_address:
        fields["FromAddress"] = from_address
        if from_name:
            fields["FromName"] = from_name
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
    # The limit comes from the org's describe: 131,072 in recent API versions,
    # 32,000 in older ones.
    field_schema = schema.get(name)
    length = utf16_length(body)
    if field_schema is None or not field_schema.length or length <= field_schema.length:
        return body, []
    cut = truncated(body, field_schema.length)
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
        # A date has no time zone; the UTC date agrees with emails' MessageDate.
        "ActivityDate": message.sent_at.astimezone(UTC).date().isoformat(),
    }
    truncations = []
    identifier_line = f"\n\n{TASK_IDENTIFIER_LABEL}{message.identifier}"
    body = message.body_text or message.body_html
    description_field = schema.get("Description")
    if description_field is not None and description_field.length:
        room = description_field.length - utf16_length(identifier_line)
        if utf16_length(body) > room:
            cut = truncated(body, room)
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
            "person_id": person_ids[message.lead_id],
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
            message, common["person_id"], schemas[message.sobject]
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
    existing = find_email_messages(client, emails) if emails else {}
    existing = {**_existing_tasks(client, messages, person_ids), **existing}
    decisions = plan_messages(messages, person_ids, existing, schemas)
    decisions = apply_creates(client, decisions)
    return _resend_to_converted_contacts(
        client, messages, person_ids, schemas, decisions
    )


def _existing_tasks(
    client, messages: list[MessageData], person_ids: dict[int, str]
) -> dict[str, str]:
    """Task ids by the message identifier they carry, on these messages' people."""
    people = {person_ids[m.lead_id] for m in messages if m.channel == LINKEDIN}
    if not people:
        return {}
    # prefixed_subject keeps a subject already starting with the bare prefix
    # ("[Artisan AI]Hi"), so the search leaves out the space.
    tasks = find_linkedin_tasks(client, sorted(people), SUBJECT_PREFIX.strip())
    found: dict[str, str] = {}
    for task in tasks:
        identifier = identifier_in_task(task.get("Description"))
        if identifier:
            found.setdefault(identifier, task["Id"])
    return found


def _resend_to_converted_contacts(
    client,
    messages: list[MessageData],
    person_ids: dict[int, str],
    schemas: dict[str, ObjectSchema],
    decisions: list[MessageDecision],
) -> list[MessageDecision]:
    """Send each message rejected because its Lead was converted to the Contact.

    Salesforce rejects new activities on a Lead converted after it was linked.
    The resent decisions carry `converted_lead_id`, so recording moves the link.
    """
    rejected = [d for d in decisions if d.error_code == CONVERTED_LEAD_ERROR]
    if not rejected:
        return decisions
    contacts = find_converted_contacts(client, {d.person_id for d in rejected})
    resend_ids = {d.message_id for d in rejected if d.person_id in contacts}
    if not resend_ids:
        return decisions

    moved = {
        lead_id: contacts.get(record_id, record_id)
        for lead_id, record_id in person_ids.items()
    }
    resend = [m for m in messages if m.message_id in resend_ids]
    # A retry of the batch still names the Lead, so Tasks that an earlier
    # attempt resent are found only on the Contact.
    existing = _existing_tasks(client, resend, moved)
    resent = apply_creates(client, plan_messages(resend, moved, existing, schemas))
    by_id = {
        d.message_id: replace(d, converted_lead_id=person_ids[d.lead_id])
        for d in resent
    }
    logger.info(
        "Resent %s messages to the Contacts of converted Leads %s",
        len(resent),
        sorted(contacts),
        extra={"converted_lead_ids": sorted(contacts)},
    )
    return [by_id.get(d.message_id, d) for d in decisions]
