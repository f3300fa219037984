"""Updates of linked records whose Artisan leads changed after they were linked.

A reply, a new sentiment or an edited field moves a lead's `updated_at` past
its link's, so `selection.update_batches` returns it. The fields that
`overwrite_fields` names are read from its record, compared, and PATCHed where
they differ (`planning.plan_linked_updates`). A record that turns out to be a
converted Lead is updated as the Contact it became, and its link moves there.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from exports.apply import apply_updates
from exports.config import ExportSettings
from exports.current_values import read_current_values
from exports.describe import ObjectSchema
from exports.lookup import find_converted_contacts
from exports.mapping import LeadData
from exports.message_sync import CONVERTED_LEAD_ERROR
from exports.planning import (
    LeadDecision,
    linked_records_to_compare,
    plan_linked_updates,
)
from exports.selection import UpdateBatch


@dataclass(frozen=True)
class LinkedUpdates:
    """The applied decisions of one batch, and the converted Leads met on the way."""

    decisions: list[LeadDecision]
    # Converted Lead id → the Contact id its links move to.
    moved: dict[str, str] = field(default_factory=dict)


def update_linked_records(
    client,
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    batch: UpdateBatch,
) -> LinkedUpdates:
    """Update the records of one batch of changed, linked leads.

    Raises the client's errors for failed requests; per-record errors are kept.
    """
    decisions = _plan_and_apply(
        client, settings, schemas, batch.leads, batch.person_ids
    )
    rejected = {
        d.salesforce_id for d in decisions if d.error_code == CONVERTED_LEAD_ERROR
    }
    moved = find_converted_contacts(client, rejected) if rejected else {}
    if not moved:
        return LinkedUpdates(decisions)

    retry_ids = {
        lead_id
        for decision in decisions
        if decision.salesforce_id in moved
        for lead_id in decision.lead_ids
    }
    person_ids = {
        lead_id: moved.get(record_id, record_id)
        for lead_id, record_id in batch.person_ids.items()
        if lead_id in retry_ids
    }
    leads = [lead for lead in batch.leads if lead.lead_id in retry_ids]
    retried = _plan_and_apply(client, settings, schemas, leads, person_ids)
    unaffected = [d for d in decisions if d.salesforce_id not in moved]
    return LinkedUpdates(unaffected + retried, moved)


def _plan_and_apply(
    client,
    settings: ExportSettings,
    schemas: Mapping[str, ObjectSchema],
    leads: list[LeadData],
    person_ids: Mapping[int, str],
) -> list[LeadDecision]:
    to_read = linked_records_to_compare(settings, schemas, person_ids)
    current = read_current_values(client, to_read)
    decisions = plan_linked_updates(settings, schemas, leads, person_ids, current)
    return apply_updates(client, decisions)
