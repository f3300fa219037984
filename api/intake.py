"""Store the batches of leads and messages that the outreach engine posts.

Each item is validated on its own: an invalid one is rejected with its reasons
while the valid ones are stored in one transaction, with one query to load the
rows they match and bulk writes. Posting the same batch again changes nothing.
A batch that stored anything queues one export of the account.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from api.schemas import OWN_ERROR_TYPES, LeadIn, MessageIn, short_repr
from exports.services import enqueue_export
from outreach.models import Campaign, Lead, Message

logger = logging.getLogger(__name__)

EXPORT_TRIGGER = "intake"
BULK_BATCH_SIZE = 500
# Every Lead field an item can set; `email` is the key and is never changed.
LEAD_FIELDS = [
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "website",
    "replied",
    "sentiment",
]

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REJECTED = "rejected"
STATUSES = (CREATED, UPDATED, UNCHANGED, REJECTED)


class CampaignNotFound(LookupError):
    """A campaign id that is not one of the account's campaigns."""


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class ItemResult:
    index: int
    status: str
    email: str | None = None
    message_identifier: str | None = None
    lead_id: int | None = None
    errors: list[FieldError] | None = None


@dataclass
class CampaignSummary:
    id: int
    name: str
    created: bool


@dataclass
class BatchReport:
    """One result per item, in the order of the request."""

    results: list[ItemResult]
    campaign: CampaignSummary | None = None

    @property
    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            totals[result.status] += 1
        return totals

    @property
    def stored_anything(self) -> bool:
        return any(result.status in (CREATED, UPDATED) for result in self.results)


def email_key(email: str) -> str:
    """Normalize an email to the form that identifies a lead: trimmed and case-folded."""
    return email.strip().casefold()


def store_leads(account, *, campaign: int | str, items: list[Any]) -> BatchReport:
    """Create or update the leads of `campaign`, an id or a name created if new.

    Raises CampaignNotFound when the id is not one of the account's campaigns.
    """
    _log_start("leads", account, items)
    results, valid = _validate_items(
        LeadIn, items, key_field="email", key_of=email_key, email_field="email"
    )

    summary, stored = _write_with_one_retry(_save_leads, account, campaign, valid)

    results.update(stored)
    report = BatchReport([results[index] for index in range(len(items))], summary)
    _log_finish("leads", account, report)
    _queue_export_if_stored(account, report)
    return report


def store_messages(account, *, items: list[Any]) -> BatchReport:
    """Append messages to the account's leads, marking the lead of an inbound one replied.

    A message whose identifier is already stored for the same lead is unchanged.
    """
    _log_start("messages", account, items)
    results, valid = _validate_items(
        MessageIn,
        items,
        key_field="message_identifier",
        key_of=str,
        email_field="lead_email",
    )

    results.update(_write_with_one_retry(_save_messages, account, valid))

    report = BatchReport([results[index] for index in range(len(items))])
    _log_finish("messages", account, report)
    _queue_export_if_stored(account, report)
    return report


# --- validation ------------------------------------------------------------


def _validate_items(
    model: type[BaseModel],
    items: list[Any],
    *,
    key_field: str,
    key_of: Callable[[str], str],
    email_field: str,
) -> tuple[dict[int, ItemResult], dict[str, tuple[int, Any]]]:
    """Return the rejected items by index, and the valid ones by key with their index.

    A second item with the key of an earlier one is rejected, because two
    different versions of one lead or message in a batch cannot both be stored.
    """
    rejected: dict[int, ItemResult] = {}
    valid: dict[str, tuple[int, Any]] = {}
    for index, raw in enumerate(items):
        item, errors = _validate_item(model, raw)
        if item is not None:
            value = getattr(item, key_field)
            key = key_of(value)
            if key in valid:
                errors = [
                    FieldError(
                        key_field,
                        f"{key_field} {value!r} repeats the one of item "
                        f"{valid[key][0]}: send each {key_field} once per batch.",
                    )
                ]
        if errors:
            rejected[index] = ItemResult(
                index,
                REJECTED,
                email=_raw_text(raw, email_field),
                message_identifier=_raw_text(raw, "message_identifier"),
                errors=errors,
            )
            continue
        valid[key] = (index, item)
    return rejected, valid


def _validate_item(
    model: type[BaseModel], raw: Any
) -> tuple[BaseModel | None, list[FieldError]]:
    if not isinstance(raw, dict):
        return None, [
            FieldError("item", f"Expected a JSON object, got {short_repr(raw)}.")
        ]
    try:
        return model.model_validate(raw), []
    except ValidationError as error:
        return None, [
            _field_error(model, detail) for detail in error.errors(include_url=False)
        ]


def _field_error(model: type[BaseModel], detail: dict) -> FieldError:
    """Word one pydantic error so that it names the field, the value and the fix."""
    # Items are flat, so the first part of the location is the field. A second
    # part only names the branch of a union, such as the int or str of campaign.
    name = str(detail["loc"][0]) if detail["loc"] else "item"
    if detail["type"] == "missing":
        return FieldError(name, f"{name} is required but missing.")
    if detail["type"] == "extra_forbidden":
        fields = ", ".join(model.model_fields)
        return FieldError(
            name, f"{name} is not a field of this item. The fields are {fields}."
        )
    if detail["type"] in OWN_ERROR_TYPES:
        return FieldError(name, detail["msg"])
    return FieldError(
        name, f"{name}: {detail['msg']}, got {short_repr(detail['input'])}."
    )


def _raw_text(raw: Any, name: str) -> str | None:
    value = raw.get(name) if isinstance(raw, dict) else None
    return value.strip() if isinstance(value, str) else None


# --- writes ----------------------------------------------------------------


def _write_with_one_retry(write: Callable, *args):
    """Run `write` in a transaction, and once more if a concurrent batch inserted first.

    Two batches that create the same lead or message at once collide on a
    unique constraint. The second attempt finds the other batch's rows.
    """
    try:
        with transaction.atomic():
            return write(*args)
    except IntegrityError:
        logger.warning(
            "Intake write failed on a unique constraint, probably because a "
            "concurrent batch inserted the same rows. Writing it again.",
            exc_info=True,
        )
    with transaction.atomic():
        return write(*args)


def _save_leads(
    account, campaign_ref: int | str, valid: dict[str, tuple[int, LeadIn]]
) -> tuple[CampaignSummary, dict[int, ItemResult]]:
    campaign, campaign_created = _campaign_for_leads(account, campaign_ref)
    existing = _existing_leads(campaign, [item.email for _, item in valid.values()])

    results: dict[int, ItemResult] = {}
    new_leads: list[tuple[int, Lead]] = []
    changed_leads: list[Lead] = []
    now = timezone.now()
    for key, (index, item) in valid.items():
        values = _lead_values(item)
        lead = existing.get(key)
        if lead is None:
            new_leads.append(
                (index, Lead(campaign=campaign, email=item.email, **values))
            )
            continue
        changes = {
            name: value
            for name, value in values.items()
            if getattr(lead, name) != value
        }
        for name, value in changes.items():
            setattr(lead, name, value)
        if changes:
            lead.updated_at = now
            changed_leads.append(lead)
        status = UPDATED if changes else UNCHANGED
        results[index] = ItemResult(index, status, email=item.email, lead_id=lead.pk)

    Lead.objects.bulk_create(
        [lead for _, lead in new_leads], batch_size=BULK_BATCH_SIZE
    )
    Lead.objects.bulk_update(
        changed_leads, [*LEAD_FIELDS, "updated_at"], batch_size=BULK_BATCH_SIZE
    )

    for index, lead in new_leads:
        results[index] = ItemResult(index, CREATED, email=lead.email, lead_id=lead.pk)
    summary = CampaignSummary(campaign.pk, campaign.name, campaign_created)
    return summary, results


def _campaign_for_leads(account, campaign_ref: int | str) -> tuple[Campaign, bool]:
    if isinstance(campaign_ref, str):
        return Campaign.objects.get_or_create(account=account, name=campaign_ref)
    campaign = Campaign.objects.filter(account=account, pk=campaign_ref).first()
    if campaign is None:
        raise CampaignNotFound(
            f"No campaign with id {campaign_ref} in account {account.slug}. Pass the "
            "id of one of the account's campaigns, or a name to create a campaign."
        )
    return campaign, False


def _existing_leads(campaign: Campaign, emails: list[str]) -> dict[str, Lead]:
    # LOWER(email) is what the unique constraint indexes, so the filter uses it.
    leads = (
        Lead.objects.filter(campaign=campaign)
        .alias(email_lower=Lower("email"))
        .filter(email_lower__in={email.lower() for email in emails})
    )
    return {email_key(lead.email): lead for lead in leads}


def _lead_values(item: LeadIn) -> dict[str, Any]:
    """Return the Lead fields the item sets: those given and not null."""
    values = item.model_dump(exclude={"email"}, exclude_none=True)
    # A reply cannot be taken back, and a sentiment is the class of a reply.
    if values.get("replied") is False:
        del values["replied"]
    if "sentiment" in values:
        values["replied"] = True
    return values


def _save_messages(
    account, valid: dict[str, tuple[int, MessageIn]]
) -> dict[int, ItemResult]:
    items = [item for _, item in valid.values()]
    campaigns = _campaigns_by_ref(account, {item.campaign for item in items})
    leads_by_email = _leads_by_email(account, [item.lead_email for item in items])
    stored_lead_ids = dict(
        Message.objects.filter(message_identifier__in=list(valid)).values_list(
            "message_identifier", "lead_id"
        )
    )

    results: dict[int, ItemResult] = {}
    new_messages: list[Message] = []
    replied_lead_ids: set[int] = set()
    for identifier, (index, item) in valid.items():
        lead, error = _lead_of(item, leads_by_email, campaigns)
        stored_lead_id = stored_lead_ids.get(identifier)
        if error is None and stored_lead_id not in (None, lead.pk):
            error = FieldError(
                "message_identifier",
                f"message_identifier {identifier!r} is already stored for another "
                "lead. Identifiers are unique across all leads: check that the "
                f"message belongs to {item.lead_email!r}.",
            )
        if error is not None:
            results[index] = ItemResult(
                index,
                REJECTED,
                email=item.lead_email,
                message_identifier=identifier,
                errors=[error],
            )
            continue

        status = UNCHANGED if stored_lead_id == lead.pk else CREATED
        results[index] = ItemResult(
            index,
            status,
            email=item.lead_email,
            message_identifier=identifier,
            lead_id=lead.pk,
        )
        if status == CREATED:
            new_messages.append(_new_message(lead, item))
            if item.direction == Message.Direction.INBOUND and not lead.replied:
                replied_lead_ids.add(lead.pk)

    Message.objects.bulk_create(new_messages, batch_size=BULK_BATCH_SIZE)
    Lead.objects.filter(pk__in=replied_lead_ids).update(
        replied=True, updated_at=timezone.now()
    )
    return results


def _campaigns_by_ref(account, refs: set[int | str | None]) -> dict[Any, Campaign]:
    """Return the account's campaigns by the ids and names in `refs`."""
    ids = {ref for ref in refs if isinstance(ref, int)}
    names = {ref for ref in refs if isinstance(ref, str)}
    if not ids and not names:
        return {}
    found: dict[Any, Campaign] = {}
    campaigns = Campaign.objects.filter(account=account).filter(
        Q(pk__in=ids) | Q(name__in=names)
    )
    for campaign in campaigns:
        if campaign.pk in ids:
            found[campaign.pk] = campaign
        if campaign.name in names:
            found[campaign.name] = campaign
    return found


def _leads_by_email(account, emails: list[str]) -> dict[str, list[Lead]]:
    leads = (
        Lead.objects.filter(campaign__account=account)
        .alias(email_lower=Lower("email"))
        .filter(email_lower__in={email.lower() for email in emails})
        .select_related("campaign")
        .order_by("pk")
    )
    by_email: dict[str, list[Lead]] = defaultdict(list)
    for lead in leads:
        by_email[email_key(lead.email)].append(lead)
    return by_email


def _lead_of(
    item: MessageIn,
    leads_by_email: dict[str, list[Lead]],
    campaigns: dict[Any, Campaign],
) -> tuple[Lead | None, FieldError | None]:
    """Return the one lead the message belongs to, or the error saying why not."""
    candidates = leads_by_email.get(email_key(item.lead_email), [])
    where = "this account"
    if item.campaign is not None:
        campaign = campaigns.get(item.campaign)
        if campaign is None:
            return None, FieldError(
                "campaign",
                f"No campaign {item.campaign!r} in this account. Pass the id or "
                "the exact name of one of its campaigns.",
            )
        candidates = [lead for lead in candidates if lead.campaign_id == campaign.pk]
        where = f"campaign {campaign.name!r}"

    if not candidates:
        return None, FieldError(
            "lead_email",
            f"No lead with email {item.lead_email!r} in {where}. Post the lead to "
            "/api/v1/leads first.",
        )
    if len(candidates) > 1:
        listed = ", ".join(
            f"{lead.campaign.name!r} (id {lead.campaign_id})" for lead in candidates
        )
        return None, FieldError(
            "campaign",
            f"The email {item.lead_email!r} is a lead in {len(candidates)} "
            f"campaigns, {listed}. Pass campaign with the id or name of one.",
        )
    return candidates[0], None


def _new_message(lead: Lead, item: MessageIn) -> Message:
    return Message(
        lead=lead,
        message_identifier=item.message_identifier,
        channel=item.channel,
        direction=item.direction,
        subject=item.subject or "",
        body_text=item.body_text or "",
        body_html=item.body_html or "",
        from_address=item.from_address or "",
        to_address=item.to_address or "",
        sent_at=item.sent_at,
    )


# --- reporting -------------------------------------------------------------


def _log_start(kind: str, account, items: list[Any]) -> None:
    logger.info(
        "Intake of %s for account %s started: %s items",
        kind,
        account.pk,
        len(items),
        extra={"account_id": account.pk},
    )


def _log_finish(kind: str, account, report: BatchReport) -> None:
    totals = report.totals
    logger.info(
        "Intake of %s for account %s finished: created %s, updated %s, "
        "unchanged %s, rejected %s",
        kind,
        account.pk,
        totals[CREATED],
        totals[UPDATED],
        totals[UNCHANGED],
        totals[REJECTED],
        extra={"account_id": account.pk, "item_counts": totals},
    )


def _queue_export_if_stored(account, report: BatchReport) -> None:
    if not report.stored_anything:
        return
    try:
        enqueue_export(account, trigger=EXPORT_TRIGGER)
    except Exception:
        # The batch is committed. Failing the request would make the client
        # send it again, which stores nothing new and so queues nothing. The
        # scheduled sweep (exports.tasks.sweep_exports) exports them instead.
        logger.exception(
            "Could not queue the export of account %s after intake",
            account.pk,
            extra={"account_id": account.pk},
        )
