"""Record writes and reads for one org: create, update, delete, get, convert.

Each function applies what Salesforce does around a save: defaults, computed
fields (Name, IsClosed), the org's duplicate rules, converted-lead protection,
and the EmailMessage side effects (recipient relations and the activity Task
that Enhanced Email creates).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sf_emulator import ids, schema, validation
from sf_emulator.errors import (
    ApiError,
    ErrorItem,
    converted_lead,
    entity_is_deleted,
    not_found,
    unsupported_operation,
)
from sf_emulator.storage import Storage

logger = logging.getLogger(__name__)

DUPLICATE_MESSAGE = "Use one of these records?"
DUPLICATE_RULES = {
    "Lead": ("Standard_Lead_Duplicate_Rule", "Standard_Lead_Match_Rule_v1_0"),
    "Contact": ("Standard_Contact_Duplicate_Rule", "Standard_Contact_Match_Rule_v1_1"),
}
RELATION_TYPES = {
    "ToIds": "ToAddress",
    "CcIds": "CcAddress",
    "BccIds": "BccAddress",
}
DRAFT_EMAIL_STATUS = "5"


@dataclass
class OrgContext:
    """The running user, the org, and the request headers that change saves."""

    storage: Storage
    org: dict
    user_id: str
    api_version: str = "62.0"
    allow_duplicates: bool = False
    auto_assign: bool = True

    @property
    def org_id(self) -> str:
        return self.org["org_id"]

    def schema(self, object_name: str) -> schema.ObjectSchema | None:
        return schema.object_schema(object_name, self.org["config"])

    def lookup(self, record_id: str) -> tuple[str, dict] | None:
        return self.storage.record(self.org_id, record_id)

    def record_url(self, object_name: str, record_id: str) -> str:
        return f"/services/data/v{self.api_version}/sobjects/{object_name}/{record_id}"


def require_schema(context: OrgContext, object_name: str) -> schema.ObjectSchema:
    """Return the object's schema for any letter case, or raise NOT_FOUND."""
    canonical = schema.canonical_object_name(object_name)
    object_schema = context.schema(canonical) if canonical else None
    if object_schema is None:
        raise not_found()
    return object_schema


def create(context: OrgContext, object_name: str, body: object) -> str:
    """Validate and insert one record; return its id or raise ApiError."""
    object_schema = require_schema(context, object_name)
    if not object_schema.spec.createable:
        raise unsupported_operation(object_schema.name, "insert")
    values = validation.check_body(object_schema, body, creating=True)
    cleaned, errors = validation.clean_values(object_schema, values, context.lookup)
    record = _new_record(context, object_schema, cleaned)
    missing = validation.missing_required(object_schema, record)
    if missing is not None:
        errors.append(missing)
    if errors:
        raise ApiError(errors)
    if not context.allow_duplicates:
        _check_duplicates(context, record, object_schema.name)
    with context.storage.transaction():
        context.storage.insert_record(context.org_id, object_schema.name, record)
        _after_insert(context, object_schema.name, record)
    return record["Id"]


def _new_record(
    context: OrgContext, object_schema: schema.ObjectSchema, values: dict
) -> dict:
    timestamp = validation.now()
    record: dict = {name: None for name in object_schema.fields}
    for spec in object_schema.fields.values():
        if spec.defaulted_on_create and spec.default_value is not None:
            record[spec.name] = spec.default_value
    record.update(values)
    record.update(
        Id=ids.new_id(object_schema.name),
        IsDeleted=False,
        CreatedDate=timestamp,
        CreatedById=context.user_id,
        LastModifiedDate=timestamp,
        LastModifiedById=context.user_id,
        SystemModstamp=timestamp,
    )
    if "OwnerId" in record:
        record["OwnerId"] = _owner(context, object_schema.name, values.get("OwnerId"))
    _compute_fields(context, object_schema.name, record)
    return record


def _owner(context: OrgContext, object_name: str, requested: str | None) -> str:
    """Return the owner of a new record.

    With Sforce-Auto-Assign on (the default), the org's lead assignment rule
    decides a Lead's owner when the org has one. Otherwise the owner is the
    one sent, or else the running user.
    """
    rule_owner = context.org["config"].get("assignment_rule_owner")
    if object_name == "Lead" and context.auto_assign and rule_owner:
        return rule_owner
    return requested or context.user_id


def _compute_fields(context: OrgContext, object_name: str, record: dict) -> None:
    if object_name in ("Lead", "Contact", "User"):
        parts = (record.get("FirstName"), record.get("LastName"))
        record["Name"] = " ".join(part for part in parts if part) or None
    elif object_name == "Task":
        closed = record.get("Status") in schema.CLOSED_TASK_STATUSES
        if closed and not record.get("IsClosed"):
            record["CompletedDateTime"] = validation.now()
        record["IsClosed"] = closed
        record["IsHighPriority"] = record.get("Priority") == "High"
        record["AccountId"] = _task_account(context, record)
    elif object_name == "EmailMessage":
        subject = record.get("Subject")
        record["Name"] = subject[:255] if subject else None


def _task_account(context: OrgContext, task: dict) -> str | None:
    what_id = task.get("WhatId")
    if what_id and ids.object_type(what_id) == "Account":
        return what_id
    who_id = task.get("WhoId")
    if who_id and ids.object_type(who_id) == "Contact":
        found = context.lookup(who_id)
        return found[1].get("AccountId") if found else None
    return None


def update(context: OrgContext, object_name: str, record_id: str, body: object) -> None:
    """Validate and apply a partial update, or raise ApiError."""
    object_schema = require_schema(context, object_name)
    if not object_schema.spec.updateable:
        raise unsupported_operation(object_schema.name, "update")
    record = _existing(context, object_schema.name, record_id)
    values = validation.check_body(object_schema, body, creating=False)
    if object_schema.name == "Lead" and record.get("IsConverted"):
        raise ApiError(converted_lead())
    if object_schema.name == "EmailMessage":
        _check_sent_email_update(object_schema, record, values)
    cleaned, errors = validation.clean_values(object_schema, values, context.lookup)
    updated = {**record, **cleaned}
    missing = validation.missing_required(object_schema, updated, list(cleaned))
    if missing is not None:
        errors.append(missing)
    if errors:
        raise ApiError(errors)
    timestamp = validation.now()
    updated.update(
        LastModifiedDate=timestamp,
        LastModifiedById=context.user_id,
        SystemModstamp=timestamp,
    )
    _compute_fields(context, object_schema.name, updated)
    context.storage.save_record(updated)


def _check_sent_email_update(
    object_schema: schema.ObjectSchema, record: dict, values: dict
) -> None:
    """Reject changes that Salesforce forbids once an email is no longer a draft.

    After insert only a few fields and custom fields may change, and Status
    only from New ('0') to Read ('1').
    """
    if record.get("Status") == DRAFT_EMAIL_STATUS:
        return
    frozen = [
        name
        for name in values
        if name not in schema.EMAIL_FIELDS_UPDATEABLE_AFTER_SEND
        and not object_schema.fields[name].custom
    ]
    status = values.get("Status", record.get("Status"))
    if status != record.get("Status") and (record.get("Status"), status) != ("0", "1"):
        frozen.append("Status")
    if frozen:
        raise validation.read_only_fields(frozen)


def delete(context: OrgContext, object_name: str, record_id: str) -> None:
    object_schema = require_schema(context, object_name)
    if not object_schema.spec.deletable:
        raise unsupported_operation(object_schema.name, "delete")
    record = _existing(context, object_schema.name, record_id)
    timestamp = validation.now()
    record.update(IsDeleted=True, LastModifiedDate=timestamp, SystemModstamp=timestamp)
    context.storage.save_record(record, is_deleted=True)


def get(
    context: OrgContext,
    object_name: str,
    record_id: str,
    field_names: list[str] | None = None,
) -> dict:
    """Return one record with attributes and every (or every listed) field."""
    object_schema = require_schema(context, object_name)
    record = _existing(context, object_schema.name, record_id)
    names = list(object_schema.fields)
    if field_names:
        names = []
        for requested in field_names:
            spec = object_schema.field(requested)
            if spec is None:
                raise ApiError.single(
                    "INVALID_FIELD",
                    f"No such column '{requested}' on entity '{object_schema.name}'. "
                    "If you are attempting to use a custom field, be sure to append "
                    "the '__c' after the custom field name. Please reference your "
                    "WSDL or the describe call for the appropriate names.",
                )
            names.append(spec.name)
    return format_record(context, object_schema, record, names)


def format_record(
    context: OrgContext,
    object_schema: schema.ObjectSchema,
    record: dict,
    names: list[str] | None = None,
) -> dict:
    formatted = {
        "attributes": {
            "type": object_schema.name,
            "url": context.record_url(object_schema.name, record["Id"]),
        }
    }
    for name in names or object_schema.fields:
        formatted[name] = record.get(name)
    return formatted


def _existing(context: OrgContext, object_name: str, record_id: str) -> dict:
    """Return a live record of object_name by a 15 or 18 character id.

    Raises MALFORMED_ID for an id that is malformed or of another object,
    NOT_FOUND for an id in no record, ENTITY_IS_DELETED for a deleted record.
    """
    normalized = ids.normalize(record_id)
    label = schema.STANDARD_OBJECTS[object_name].label
    if normalized is None or ids.object_type(normalized) != object_name:
        if len(record_id) not in (15, 18):
            raise ApiError.single(
                "NOT_FOUND",
                "Provided external ID field does not exist or is not accessible: "
                f"{record_id}",
                status=404,
            )
        raise ApiError.single(
            "MALFORMED_ID",
            f"{label} ID: id value of incorrect type: {record_id}",
            ["Id"],
        )
    found = context.lookup(normalized)
    if found is None:
        raise not_found()
    if found[1].get("IsDeleted"):
        raise entity_is_deleted()
    return found[1]


def _check_duplicates(context: OrgContext, record: dict, object_name: str) -> None:
    """Apply the standard Lead and Contact duplicate rules, if the org has them.

    The emulator matches on the standard rules' exact-match clause: first
    name, last name and email all equal, ignoring case, against live Leads
    (converted ones excluded) and Contacts.
    """
    if object_name not in DUPLICATE_RULES:
        return
    if not context.org["config"].get("duplicate_rules", True):
        return
    key = _duplicate_key(record)
    if key is None:
        return
    match_results = []
    for candidate_object in ("Lead", "Contact"):
        matches = [
            candidate
            for candidate in context.storage.records(context.org_id, candidate_object)
            if _duplicate_key(candidate) == key and not candidate.get("IsConverted")
        ]
        if matches:
            match_results.append(_match_result(context, candidate_object, matches))
    if not match_results:
        return
    rule_name = DUPLICATE_RULES[object_name][0]
    detail = {
        "allowSave": True,
        "duplicateRule": rule_name,
        "duplicateRuleEntityType": object_name,
        "errorMessage": DUPLICATE_MESSAGE,
        "matchResults": match_results,
    }
    raise ApiError(
        ErrorItem(
            "DUPLICATES_DETECTED",
            DUPLICATE_MESSAGE,
            # Salesforce spells the key "duplicateResut" in REST error bodies.
            extra={"duplicateResut": detail},
        )
    )


def _duplicate_key(record: dict) -> tuple[str, str, str] | None:
    parts = tuple(
        (record.get(name) or "").strip().lower()
        for name in ("FirstName", "LastName", "Email")
    )
    return parts if all(parts) else None


def _match_result(context: OrgContext, object_name: str, matches: list[dict]) -> dict:
    return {
        "entityType": object_name,
        "errors": [],
        "matchEngine": "FuzzyMatchEngine",
        "matchRecords": [
            {
                "additionalInformation": [],
                "fieldDiffs": [],
                "matchConfidence": 100.0,
                "record": {
                    "attributes": {
                        "type": object_name,
                        "url": context.record_url(object_name, match["Id"]),
                    },
                    "Id": match["Id"],
                },
            }
            for match in matches
        ],
        "rule": DUPLICATE_RULES[object_name][1],
        "size": len(matches),
        "success": True,
    }


def _after_insert(context: OrgContext, object_name: str, record: dict) -> None:
    if object_name == "EmailMessage":
        _create_email_relations(context, record)
        if record.get("Status") != DRAFT_EMAIL_STATUS and not record.get("ParentId"):
            _create_email_activity(context, record)
    elif object_name == "EmailMessageRelation":
        _complete_relation(context, record)
        context.storage.save_record(record)
        _link_activity_to_person(context, record)


def _create_email_relations(context: OrgContext, email: dict) -> None:
    """Expand ToIds, CcIds, BccIds and FromId into EmailMessageRelation rows."""
    relation_schema = context.schema("EmailMessageRelation")
    links = [
        (relation_type, person_id)
        for field_name, relation_type in RELATION_TYPES.items()
        for person_id in email.get(field_name) or []
    ]
    if email.get("FromId"):
        links.append(("FromAddress", email["FromId"]))
    for relation_type, person_id in links:
        relation = _new_record(
            context,
            relation_schema,
            {
                "EmailMessageId": email["Id"],
                "RelationId": person_id,
                "RelationType": relation_type,
            },
        )
        _complete_relation(context, relation)
        context.storage.insert_record(context.org_id, "EmailMessageRelation", relation)


def _complete_relation(context: OrgContext, relation: dict) -> None:
    person_id = relation.get("RelationId")
    if not person_id:
        return
    relation["RelationObjectType"] = ids.object_type(person_id)
    if not relation.get("RelationAddress"):
        found = context.lookup(person_id)
        relation["RelationAddress"] = found[1].get("Email") if found else None


def _create_email_activity(context: OrgContext, email: dict) -> None:
    """Create the Task that Enhanced Email logs for every non-case email."""
    task_schema = context.schema("Task")
    who_id = _email_person(context, email)
    message_date = email.get("MessageDate")
    subject = f"Email: {email.get('Subject') or ''}"
    values = {
        "Subject": subject[:255],
        "Status": "Completed",
        "TaskSubtype": "Email",
        "WhoId": who_id,
        "WhatId": email.get("RelatedToId"),
        "ActivityDate": message_date[:10] if message_date else None,
        "Description": (email.get("TextBody") or "")[:32000] or None,
    }
    task = _new_record(context, task_schema, values)
    context.storage.insert_record(context.org_id, "Task", task)
    email["ActivityId"] = task["Id"]
    context.storage.save_record(email)


def _email_person(context: OrgContext, email: dict) -> str | None:
    """Return the Lead or Contact an email's activity belongs to, if any."""
    candidates = [email.get("FromId")] if email.get("Incoming") else []
    candidates += email.get("ToIds") or []
    candidates += [email.get("FromId")]
    for candidate in candidates:
        if candidate and ids.object_type(candidate) in schema.PERSON_OBJECTS:
            return candidate
    return None


def _link_activity_to_person(context: OrgContext, relation: dict) -> None:
    """Point the email's activity at the person when it has no one yet."""
    person_id = relation.get("RelationId")
    if not person_id or ids.object_type(person_id) not in schema.PERSON_OBJECTS:
        return
    found = context.lookup(relation["EmailMessageId"])
    activity_id = found[1].get("ActivityId") if found else None
    task = context.lookup(activity_id)[1] if activity_id else None
    if task is not None and not task.get("WhoId"):
        task["WhoId"] = person_id
        context.storage.save_record(task)


def convert_lead(
    context: OrgContext, lead_id: str, account_id: str | None = None
) -> dict:
    """Convert a Lead into a Contact and an Account, as the convertLead call does.

    A new Account named after the Lead's Company is created unless account_id
    names an existing one. Returns the three ids.
    """
    lead = _existing(context, "Lead", lead_id)
    if lead.get("IsConverted"):
        raise ApiError(converted_lead())
    with context.storage.transaction():
        if account_id is None:
            account = _new_record(
                context,
                context.schema("Account"),
                {"Name": lead.get("Company") or lead.get("Name")},
            )
            context.storage.insert_record(context.org_id, "Account", account)
            account_id = account["Id"]
        else:
            account_id = _existing(context, "Account", account_id)["Id"]
        contact = _new_record(
            context,
            context.schema("Contact"),
            {
                **_lead_contact_values(lead),
                "AccountId": account_id,
                "OwnerId": lead.get("OwnerId"),
            },
        )
        context.storage.insert_record(context.org_id, "Contact", contact)
        lead.update(
            IsConverted=True,
            ConvertedContactId=contact["Id"],
            ConvertedAccountId=account_id,
            ConvertedDate=datetime.now(UTC).date().isoformat(),
            Status=schema.converted_lead_status(context.org["config"]),
            LastModifiedDate=validation.now(),
            SystemModstamp=validation.now(),
        )
        context.storage.save_record(lead)
        _move_activities(context, lead["Id"], contact["Id"])
    logger.info("Converted lead %s into contact %s", lead["Id"], contact["Id"])
    return {
        "lead_id": lead["Id"],
        "contact_id": contact["Id"],
        "account_id": account_id,
    }


def _move_activities(context: OrgContext, lead_id: str, contact_id: str) -> None:
    """Move the Lead's Tasks to the Contact, as conversion does in Salesforce."""
    for task in context.storage.records(context.org_id, "Task"):
        if task.get("WhoId") == lead_id:
            task["WhoId"] = contact_id
            task["AccountId"] = _task_account(context, task)
            context.storage.save_record(task)


LEAD_TO_CONTACT_FIELDS = {
    "FirstName": "FirstName",
    "LastName": "LastName",
    "Salutation": "Salutation",
    "Email": "Email",
    "Title": "Title",
    "Phone": "Phone",
    "MobilePhone": "MobilePhone",
    "LeadSource": "LeadSource",
    "Description": "Description",
    "HasOptedOutOfEmail": "HasOptedOutOfEmail",
    "HasOptedOutOfFax": "HasOptedOutOfFax",
    "DoNotCall": "DoNotCall",
    "Street": "MailingStreet",
    "City": "MailingCity",
    "State": "MailingState",
    "PostalCode": "MailingPostalCode",
    "Country": "MailingCountry",
}


def _lead_contact_values(lead: dict) -> dict:
    return {
        contact_field: lead.get(lead_field)
        for lead_field, contact_field in LEAD_TO_CONTACT_FIELDS.items()
    }
