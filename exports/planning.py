"""Decide, for a batch of leads, what to create in Salesforce and what to link.

`plan_leads` is pure: it reads the settings, the org's schema, the leads and
the records that look-up found, and returns one decision per distinct email.
Leads of several campaigns that share an email (trimmed, case-insensitive)
share one decision and therefore one Salesforce record.

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
from dataclasses import dataclass, field

from exports.config import ExportSettings
from exports.describe import ObjectSchema
from exports.mapping import LeadData, MappingError, Truncation, map_lead


class Origin(enum.StrEnum):
    """The way a link came about, with the values of `LeadLink.Origin`."""

    CREATED = "created"
    MATCHED_LEAD = "matched_lead"
    MATCHED_CONTACT = "matched_contact"
    MATCHED_CONVERTED_LEAD = "matched_converted_lead"


class Action(enum.StrEnum):
    CREATE = "create"
    LINK = "link"
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
    truncations: tuple[Truncation, ...] = ()
    notes: tuple[str, ...] = ()
    error_code: str = ""
    error_message: str = ""

    @property
    def representative_id(self) -> int:
        """The lead whose values a created record carries."""
        return self.lead_ids[0]


@dataclass
class _Group:
    leads: list[LeadData] = field(default_factory=list)


def normalize_email(value: str) -> str:
    """Return the form in which two emails count as the same address."""
    return value.strip().casefold()


def plan_leads(
    settings: ExportSettings,
    schema: ObjectSchema,
    leads: list[LeadData],
    matches: dict[str, list[Candidate]],
) -> list[LeadDecision]:
    """Return one decision per distinct email among `leads`, in first-seen order.

    `schema` is the schema of the object new records are created as;
    `matches` maps a normalized email to the records found with it.
    """
    groups: dict[str, list[LeadData]] = defaultdict(list)
    for lead in leads:
        groups[normalize_email(lead.email)].append(lead)

    decisions = []
    for email, group in groups.items():
        group = sorted(group, key=_representative_order)
        lead_ids = tuple(lead.lead_id for lead in group)
        candidates = matches.get(email, []) if email else []
        if candidates:
            decisions.append(_link(email, lead_ids, candidates))
        else:
            decisions.append(_create(email, lead_ids, group[0], settings, schema))
    return decisions


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


def _link(
    email: str, lead_ids: tuple[int, ...], candidates: list[Candidate]
) -> LeadDecision:
    chosen = choose_candidate(candidates)
    if chosen.sobject == "Lead" and chosen.is_converted:
        if not chosen.converted_contact_id:
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
        sobject, salesforce_id = "Contact", chosen.converted_contact_id
        origin = Origin.MATCHED_CONVERTED_LEAD
    elif chosen.sobject == "Lead":
        sobject, salesforce_id, origin = (
            "Lead",
            chosen.salesforce_id,
            Origin.MATCHED_LEAD,
        )
    else:
        sobject, salesforce_id = "Contact", chosen.salesforce_id
        origin = Origin.MATCHED_CONTACT

    # TODO: update the fields named in `overwrite_fields` on the matched record;
    # until then a match is only linked and `ExportRun.updated_count` stays 0.
    return LeadDecision(
        email=email,
        lead_ids=lead_ids,
        action=Action.LINK,
        sobject=sobject,
        salesforce_id=salesforce_id,
        origin=origin,
        candidate_count=len(candidates),
        explanation=explain_match(email, chosen, candidates),
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
