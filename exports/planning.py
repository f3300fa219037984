"""Decide, for a batch of leads, what to create, link and update in Salesforce.

`plan_leads` is pure: it reads the settings, the org's schemas, the leads, the
records that look-up found and the current values of the matched records, and
returns one decision per distinct email. Leads of several campaigns that share
an email (trimmed, case-insensitive) share one decision and therefore one
Salesforce record. The export and the admin preview both call it.

A matched record is updated only in the fields `overwrite_fields` names, and
only where its current value differs from the one Artisan would set on a new
record. The current values are read by id before planning
(`records_to_compare` lists which), one query per object per batch. A PATCH
of unchanged values would cost the same request and also bump
LastModifiedDate and fire the org's triggers and flows, so comparing is
worth the read. When the PATCH fails, the lead fails and stays unlinked, so
the next run matches it again and retries the update. `plan_linked_updates`
plans the same overwrite for leads that changed after they were linked.

Matching rule when several records carry the email, in this order:
1. an unconverted Lead (Leads are checked before Contacts, as the spec says);
2. a converted Lead, which stands for the Contact it was converted into
   (a converted Lead cannot be updated, so the link goes to that Contact);
3. a Contact;
then, among records of the same rank, the oldest CreatedDate, then the
smallest id, so that every run picks the same record.
"""

import enum
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from exports.config import ExportSettings
from exports.describe import ObjectSchema
from exports.mapping import (
    FieldChange,
    LeadData,
    MappingError,
    Truncation,
    map_lead,
    map_update,
)


class Origin(enum.StrEnum):
    """The way a link came about, with the values of `LeadLink.Origin`."""

    CREATED = "created"
    MATCHED_LEAD = "matched_lead"
    MATCHED_CONTACT = "matched_contact"
    MATCHED_CONVERTED_LEAD = "matched_converted_lead"


class Action(enum.StrEnum):
    CREATE = "create"
    LINK = "link"
    # Link to a matched record and PATCH the overwritten fields that differ.
    UPDATE = "update"
    FAIL = "fail"


@dataclass(frozen=True)
class Candidate:
    """A Salesforce Lead or Contact that look-up found by email."""

    sobject: str
    salesforce_id: str
    email: str
    created_date: str = ""
    is_converted: bool = False
    converted_contact_id: str | None = None


@dataclass(frozen=True)
class LeadDecision:
    """The plan for every Artisan lead that has one email."""

    email: str
    lead_ids: tuple[int, ...]
    action: Action
    sobject: str = ""
    salesforce_id: str | None = None
    origin: Origin | None = None
    candidate_count: int = 0
    explanation: str = ""
    payload: dict | None = None
    update_payload: dict | None = None
    changes: tuple[FieldChange, ...] = ()
    truncations: tuple[Truncation, ...] = ()
    notes: tuple[str, ...] = ()
    error_code: str = ""
    error_message: str = ""

    @property
    def representative_id(self) -> int:
        """The lead whose values a created record carries."""
        return self.lead_ids[0]


def normalize_email(value: str) -> str:
    """Return the form in which two emails count as the same address."""
    return value.strip().casefold()


def plan_leads(
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    leads: list[LeadData],
    matches: dict[str, list[Candidate]],
    current_values: Mapping[str, Mapping[str, object]] | None = None,
) -> list[LeadDecision]:
    """Return one decision per distinct email among `leads`, in first-seen order.

    `schemas` maps object names to schemas: the created object's, and for
    overwrites the matched objects'. `matches` maps a normalized email to the
    records found with it; `current_values` maps record ids to field values.
    """
    decisions = []
    for email, group in group_by_email(leads).items():
        lead_ids = tuple(lead.lead_id for lead in group)
        candidates = matches.get(email, []) if email else []
        if candidates:
            decisions.append(
                _link(
                    email,
                    group,
                    candidates,
                    settings,
                    schemas,
                    current_values,
                )
            )
        else:
            schema = schemas[settings.target_object]
            decisions.append(_create(email, lead_ids, group[0], settings, schema))
    return decisions


def group_by_email(leads: list[LeadData]) -> dict[str, list[LeadData]]:
    """Leads by normalized email, the representative of each group first."""
    groups: dict[str, list[LeadData]] = defaultdict(list)
    for lead in leads:
        groups[normalize_email(lead.email)].append(lead)
    return {
        email: sorted(group, key=_representative_order)
        for email, group in groups.items()
    }


def records_to_compare(
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    leads: list[LeadData],
    matches: dict[str, list[Candidate]],
) -> dict[str, dict[str, list[str]]]:
    """Object → record id → fields to read, for the matched records to overwrite."""
    wanted: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for email in group_by_email(leads):
        candidates = matches.get(email) if email else None
        if not candidates:
            continue
        sobject, salesforce_id, _ = resolve_match(choose_candidate(candidates))
        fields = fields_to_compare(settings, schemas.get(sobject))
        if salesforce_id and fields:
            wanted[sobject][salesforce_id] = fields
    return dict(wanted)


def fields_to_compare(settings: ExportSettings, schema: ObjectSchema | None) -> list:
    """Return the org's names of the fields overwritten on a matched `schema` record."""
    if schema is None:
        return []
    found = (schema.get(name) for name in settings.overwrite_targets(schema.name))
    return sorted({field_schema.name for field_schema in found if field_schema})


# Object name by the key prefix of a Lead or Contact id, which identifies the
# object a linked id refers to.
OBJECT_BY_ID_PREFIX = MappingProxyType({"00Q": "Lead", "003": "Contact"})


def plan_linked_updates(
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    leads: list[LeadData],
    person_ids: Mapping[int, str],
    current_values: Mapping[str, Mapping[str, object]] | None = None,
) -> list[LeadDecision]:
    """Plan the `overwrite_fields` update of records whose linked leads changed.

    `person_ids` maps lead ids to their record's id. Leads sharing a record
    share one decision, whose values come from the most engaged of them.
    """
    by_record: dict[str, list[LeadData]] = defaultdict(list)
    for lead in leads:
        by_record[person_ids[lead.lead_id]].append(lead)

    decisions = []
    for salesforce_id, group in by_record.items():
        group = sorted(group, key=_representative_order)
        sobject = OBJECT_BY_ID_PREFIX.get(salesforce_id[:3], "")
        decision = LeadDecision(
            email=normalize_email(group[0].email),
            lead_ids=tuple(lead.lead_id for lead in group),
            action=Action.LINK,
            sobject=sobject,
            salesforce_id=salesforce_id,
        )
        schema = schemas.get(sobject)
        if settings.overwrite_fields and schema is not None:
            current = (current_values or {}).get(salesforce_id)
            decision = _overwrite(decision, group[0], settings, schema, current)
        decisions.append(decision)
    return decisions


def linked_records_to_compare(
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    person_ids: Mapping[int, str],
) -> dict[str, dict[str, list[str]]]:
    """Object → record id → fields to read, for linked records to overwrite."""
    wanted: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for salesforce_id in set(person_ids.values()):
        sobject = OBJECT_BY_ID_PREFIX.get(salesforce_id[:3], "")
        fields = fields_to_compare(settings, schemas.get(sobject))
        if fields:
            wanted[sobject][salesforce_id] = fields
    return dict(wanted)


def _representative_order(lead: LeadData) -> tuple:
    # The most engaged lead speaks for the group, so that a reply in one
    # campaign sets the Status of the record. Ties go to the earliest lead.
    return (not lead.replied, lead.sentiment is None, lead.lead_id)


def choose_candidate(candidates: list[Candidate]) -> Candidate:
    """Apply the module's matching rule to records found with one email."""
    return min(candidates, key=_candidate_order)


def _candidate_order(candidate: Candidate) -> tuple:
    if candidate.sobject == "Lead":
        rank = 1 if candidate.is_converted else 0
    else:
        rank = 2
    return (rank, candidate.created_date or "9999", candidate.salesforce_id)


def resolve_match(chosen: Candidate) -> tuple[str, str | None, Origin]:
    """Return the object, id and origin of the record a chosen match stands for.

    A converted Lead stands for its Contact; the id is None when it names none.
    """
    if chosen.sobject == "Lead" and chosen.is_converted:
        return "Contact", chosen.converted_contact_id, Origin.MATCHED_CONVERTED_LEAD
    if chosen.sobject == "Lead":
        return "Lead", chosen.salesforce_id, Origin.MATCHED_LEAD
    return "Contact", chosen.salesforce_id, Origin.MATCHED_CONTACT


def _link(
    email: str,
    group: list[LeadData],
    candidates: list[Candidate],
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    current_values: Mapping[str, Mapping[str, object]] | None,
) -> LeadDecision:
    lead_ids = tuple(lead.lead_id for lead in group)
    chosen = choose_candidate(candidates)
    sobject, salesforce_id, origin = resolve_match(chosen)
    if salesforce_id is None:
        return LeadDecision(
            email=email,
            lead_ids=lead_ids,
            action=Action.FAIL,
            candidate_count=len(candidates),
            error_code="CONVERTED_LEAD_WITHOUT_CONTACT",
            error_message=(
                f"Lead {chosen.salesforce_id} with email {email} is converted "
                "but names no Contact, and a converted Lead cannot be updated. "
                "Ask the Salesforce admin to check the conversion."
            ),
        )
    decision = LeadDecision(
        email=email,
        lead_ids=lead_ids,
        action=Action.LINK,
        sobject=sobject,
        salesforce_id=salesforce_id,
        origin=origin,
        candidate_count=len(candidates),
        explanation=explain_match(email, chosen, candidates),
    )
    schema = schemas.get(sobject)
    if not settings.overwrite_fields or schema is None:
        return decision
    current = (current_values or {}).get(salesforce_id)
    return _overwrite(decision, group[0], settings, schema, current)


def _overwrite(
    decision: LeadDecision,
    lead: LeadData,
    settings: ExportSettings,
    schema: ObjectSchema,
    current: Mapping[str, object] | None,
) -> LeadDecision:
    try:
        update = map_update(lead, settings, schema, current)
    except MappingError as error:
        return replace(
            decision,
            action=Action.FAIL,
            error_code=error.code,
            error_message=error.message,
        )
    if not update.changes:
        same = (
            f"The fields in overwrite_fields already held Artisan's values on "
            f"{schema.name} {decision.salesforce_id}, so it was not updated."
        )
        return replace(decision, notes=(*update.notes, same))
    changed = ", ".join(change.field for change in update.changes)
    unread = "" if current is not None else " (its values could not be read first)"
    return replace(
        decision,
        action=Action.UPDATE,
        update_payload=update.payload(decision.salesforce_id),
        changes=update.changes,
        truncations=update.truncations,
        notes=(
            *update.notes,
            f"overwrite_fields updated {changed} on {schema.name} "
            f"{decision.salesforce_id}{unread}.",
        ),
    )


def explain_match(email: str, chosen: Candidate, candidates: list[Candidate]) -> str:
    """Words a support person can read: what matched, what else, and why."""
    found = f"Matched {chosen.sobject} {chosen.salesforce_id} by email {email}"
    sentences = [f"{found}, compared trimmed and case-insensitively."]
    if chosen.sobject == "Lead" and chosen.is_converted:
        sentences.append(
            f"That Lead was converted, so the link goes to its Contact "
            f"{chosen.converted_contact_id}: a converted Lead cannot be updated."
        )
    others = [c for c in candidates if c is not chosen]
    if not others:
        return " ".join(sentences)

    described = "; ".join(_describe(c) for c in sorted(others, key=_candidate_order))
    plural = "record carries" if len(others) == 1 else "records carry"
    sentences.append(f"{len(others)} other {plural} the same email: {described}.")
    reason = _reason(chosen, others)
    sentences.append(f"Chose {chosen.sobject} {chosen.salesforce_id} because {reason}.")
    return " ".join(sentences)


def _describe(candidate: Candidate) -> str:
    converted = " (converted)" if candidate.is_converted else ""
    created = f", created {candidate.created_date}" if candidate.created_date else ""
    return f"{candidate.sobject} {candidate.salesforce_id}{converted}{created}"


def _reason(chosen: Candidate, others: list[Candidate]) -> str:
    same_rank = [
        c for c in others if _candidate_order(c)[0] == _candidate_order(chosen)[0]
    ]
    if not same_rank:
        # Only a Lead can outrank every other match, since Contacts rank last.
        if any(c.sobject == "Lead" for c in others):
            return "unconverted Leads are preferred over converted ones"
        return "Leads are checked before Contacts"
    if all(c.created_date and c.created_date != chosen.created_date for c in same_rank):
        return "it is the oldest of the matching records of its kind"
    return "it has the smallest id among equally old matching records of its kind"


def _create(
    email: str,
    lead_ids: tuple[int, ...],
    lead: LeadData,
    settings: ExportSettings,
    schema: ObjectSchema,
) -> LeadDecision:
    try:
        record = map_lead(lead, settings, schema)
    except MappingError as error:
        return LeadDecision(
            email=email,
            lead_ids=lead_ids,
            action=Action.FAIL,
            error_code=error.code,
            error_message=error.message,
        )
    reason = (
        "the account maps leads to Contacts"
        if schema.name == "Contact"
        else "the account maps leads to Leads"
    )
    return LeadDecision(
        email=email,
        lead_ids=lead_ids,
        action=Action.CREATE,
        sobject=schema.name,
        origin=Origin.CREATED,
        explanation=(
            f"No Lead or Contact carried email {email} (compared trimmed and "
            f"case-insensitively), so a new {schema.name} was created, because "
            f"{reason}."
        ),
        payload=record.payload(),
        truncations=record.truncations,
        notes=record.notes,
    )
