"""Selection of the leads and messages an export run still has to handle.

Reads only. Three kinds of rows are due. The first is leads that the account's
trigger exports and that have no link in the org. The second is linked leads
that changed after their link was last written (a new sentiment, for example).
The third is messages of linked leads that the org's ledger does not mark as
synced. They come in batches so a run's memory and each transaction stay
small.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from exports.mapping import LeadData
from exports.message_sync import MessageData
from exports.models import ExportConfig, LeadLink, RecordOutcome, SyncedMessage
from exports.planning import normalize_email
from outreach.models import Lead, Message

BATCH_SIZE = 200


def due_leads(account, export_trigger: str) -> QuerySet[Lead]:
    """Return every lead of the account's campaigns that the trigger exports."""
    leads = Lead.objects.filter(campaign__account=account)
    if export_trigger == ExportConfig.Trigger.ENGAGED:
        leads = leads.filter(replied=True)
    return leads


def _linked_in(org_id: str):
    return Exists(LeadLink.objects.filter(lead=OuterRef("pk"), org_id=org_id))


def unlinked_leads(account, org_id: str, export_trigger: str) -> QuerySet[Lead]:
    return due_leads(account, export_trigger).exclude(_linked_in(org_id))


def count_already_linked(account, org_id: str, export_trigger: str) -> int:
    """Due leads that an earlier run linked in this org: nothing to do for them."""
    return due_leads(account, export_trigger).filter(_linked_in(org_id)).count()


def unlinked_lead_batches(
    account, org_id: str, export_trigger: str, batch_size: int = BATCH_SIZE
) -> Iterator[list[LeadData]]:
    """Due, unlinked leads in batches; leads sharing an email share a batch.

    Keeping an email's leads together is what lets planning resolve them to
    one Salesforce record.
    """
    by_email: dict[str, list[int]] = defaultdict(list)
    rows = unlinked_leads(account, org_id, export_trigger).values_list("id", "email")
    for lead_id, email in rows.order_by("id"):
        by_email[normalize_email(email)].append(lead_id)

    batch: list[int] = []
    for lead_ids in by_email.values():
        if batch and len(batch) + len(lead_ids) > batch_size:
            yield _lead_data(batch)
            batch = []
        batch.extend(lead_ids)
    if batch:
        yield _lead_data(batch)


def _lead_data(lead_ids: list[int]) -> list[LeadData]:
    leads = Lead.objects.filter(id__in=lead_ids).order_by("id")
    return [lead_data(lead) for lead in leads]


def lead_data(lead: Lead) -> LeadData:
    """Return the fields of `lead` that an export reads, as plain data."""
    return LeadData(
        lead_id=lead.id,
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        job_title=lead.job_title,
        company_name=lead.company_name,
        website=lead.website,
        replied=lead.replied,
        sentiment=lead.sentiment,
    )


def leads_due_for_update(account, org_id: str, export_trigger: str) -> QuerySet[Lead]:
    """Due leads whose link in the org is older than their last change.

    A reply, a new sentiment or an edited field all move `Lead.updated_at`.
    Each row carries `person_id`, the Salesforce id of its linked record.
    """
    link = LeadLink.objects.filter(lead=OuterRef("pk"), org_id=org_id)
    return (
        due_leads(account, export_trigger)
        .annotate(
            link_written_at=Subquery(link.values("updated_at")[:1]),
            person_id=Subquery(link.values("salesforce_id")[:1]),
        )
        .filter(updated_at__gt=F("link_written_at"))
    )


@dataclass(frozen=True)
class UpdateBatch:
    """Linked leads to update, their records, and when the leads were read.

    After handling the batch, `recording.mark_links_current(run, lead_ids,
    read_at)` makes the leads due again only if they change after `read_at`.
    """

    leads: list[LeadData]
    person_ids: dict[int, str]
    read_at: datetime

    def __len__(self) -> int:
        return len(self.leads)


def update_batches(
    account, org_id: str, export_trigger: str, batch_size: int = BATCH_SIZE
) -> Iterator[UpdateBatch]:
    """Linked leads due for an update, in id order, `batch_size` at a time."""
    last_id = 0
    while True:
        read_at = timezone.now()
        rows = list(
            leads_due_for_update(account, org_id, export_trigger)
            .filter(id__gt=last_id)
            .order_by("id")[:batch_size]
        )
        if not rows:
            return
        last_id = rows[-1].id
        yield UpdateBatch(
            leads=[lead_data(row) for row in rows],
            person_ids={row.id: row.person_id for row in rows},
            read_at=read_at,
        )


def pending_messages(account, org_id: str) -> QuerySet[Message]:
    """Messages of the account's linked leads not yet synced to the org.

    Each row carries `person_id`, the Salesforce id of its lead's record.
    """
    link = LeadLink.objects.filter(lead=OuterRef("lead"), org_id=org_id)
    synced = SyncedMessage.objects.filter(
        message=OuterRef("pk"), org_id=org_id, state=SyncedMessage.State.SYNCED
    )
    return (
        Message.objects.filter(lead__campaign__account=account)
        .annotate(person_id=Subquery(link.values("salesforce_id")[:1]))
        .filter(person_id__isnull=False)
        .exclude(Exists(synced))
    )


def count_pending_messages(account, org_id: str) -> int:
    return pending_messages(account, org_id).count()


def pending_message_batches(
    account, org_id: str, batch_size: int = BATCH_SIZE
) -> Iterator[tuple[list[MessageData], dict[int, str]]]:
    """Pending messages in id order, with each lead's linked record id.

    Walks by id, so messages that fail stay behind instead of coming back.
    """
    last_id = 0
    while True:
        rows = list(
            pending_messages(account, org_id)
            .filter(id__gt=last_id)
            .order_by("id")[:batch_size]
        )
        if not rows:
            return
        last_id = rows[-1].id
        messages = [
            MessageData(
                message_id=row.id,
                lead_id=row.lead_id,
                identifier=row.message_identifier,
                direction=row.direction,
                subject=row.subject,
                body_text=row.body_text,
                body_html=row.body_html,
                from_address=row.from_address,
                to_address=row.to_address,
                sent_at=row.sent_at,
                channel=row.channel,
            )
            for row in rows
        ]
        yield messages, {row.lead_id: row.person_id for row in rows}


def has_new_work(
    account, org_id: str, export_trigger: str, *, with_updates: bool
) -> bool:
    """Check whether an export of the account would find anything new to do.

    Leads rejected since their last change and messages rejected once are
    left out. Other events retry them, but a periodic sweep must not start a
    run every few minutes only because Salesforce keeps rejecting one lead.
    """
    rejected_since_change = RecordOutcome.objects.filter(
        lead=OuterRef("pk"),
        outcome=RecordOutcome.Outcome.FAILED,
        export_run__org_id=org_id,
        created_at__gte=OuterRef("updated_at"),
    )
    unlinked = unlinked_leads(account, org_id, export_trigger)
    if unlinked.exclude(Exists(rejected_since_change)).exists():
        return True
    attempted = SyncedMessage.objects.filter(message=OuterRef("pk"), org_id=org_id)
    if pending_messages(account, org_id).exclude(Exists(attempted)).exists():
        return True
    return (
        with_updates and leads_due_for_update(account, org_id, export_trigger).exists()
    )
