"""The bookkeeping of a run: links, ledger entries, outcomes and counts.

Each function commits one batch in one transaction, right after Salesforce
responded for it, so a crash loses at most that batch's bookkeeping. The next
run's look-up then finds the records and links them instead of creating twice.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exports.message_sync import MessageDecision
from exports.models import ExportRun, LeadLink, RecordOutcome, SyncedMessage
from exports.planning import Action, LeadDecision

if TYPE_CHECKING:
    from exports.linked_updates import LinkedUpdates

Outcome = RecordOutcome.Outcome


def record_lead_decisions(run: ExportRun, decisions: list[LeadDecision]) -> None:
    """Store links and outcomes of one applied batch and add to the run's counts."""
    counts = {
        "created_count": 0,
        "linked_count": 0,
        "updated_count": 0,
        "failed_count": 0,
    }
    outcomes = []
    with transaction.atomic():
        for decision in decisions:
            if decision.action == Action.FAIL:
                counts["failed_count"] += len(decision.lead_ids)
                outcomes.extend(_failed_outcomes(run, decision))
                continue
            for lead_id in decision.lead_ids:
                outcome = _link(run, decision, lead_id)
                counts[f"{outcome}_count"] += 1
                outcomes.append(
                    RecordOutcome(
                        export_run=run,
                        lead_id=lead_id,
                        outcome=outcome,
                        salesforce_object=decision.sobject,
                        salesforce_id=decision.salesforce_id,
                        note=_note(decision, lead_id),
                        truncations=[t.as_dict() for t in decision.truncations]
                        if outcome != Outcome.LINKED
                        else [],
                        changes=[c.as_dict() for c in decision.changes]
                        if outcome == Outcome.UPDATED
                        else [],
                    )
                )
        RecordOutcome.objects.bulk_create(outcomes)
        add_to_counts(run, **counts)


def _link(run: ExportRun, decision: LeadDecision, lead_id: int) -> str:
    LeadLink.objects.update_or_create(
        lead_id=lead_id,
        org_id=run.org_id,
        defaults={
            "salesforce_object": decision.sobject,
            "salesforce_id": decision.salesforce_id,
            "origin": decision.origin,
            "candidate_count": decision.candidate_count,
            "explanation": _explanation(decision, lead_id),
            "export_run": run,
        },
    )
    # The representative lead's values were sent; the rest share its record.
    if lead_id != decision.representative_id:
        return Outcome.LINKED
    if decision.action == Action.CREATE:
        return Outcome.CREATED
    if decision.action == Action.UPDATE:
        return Outcome.UPDATED
    return Outcome.LINKED


def _explanation(decision: LeadDecision, lead_id: int) -> str:
    others = [str(other) for other in decision.lead_ids if other != lead_id]
    if not others:
        return decision.explanation
    return (
        f"{decision.explanation} Artisan leads {', '.join(others)} have the same "
        "email and are linked to the same record."
    )


def _note(decision: LeadDecision, lead_id: int) -> str:
    return " ".join([_explanation(decision, lead_id), *decision.notes])


def _failed_outcomes(run: ExportRun, decision: LeadDecision) -> list[RecordOutcome]:
    return [
        RecordOutcome(
            export_run=run,
            lead_id=lead_id,
            outcome=Outcome.FAILED,
            salesforce_object=decision.sobject,
            error_code=decision.error_code,
            error_message=decision.error_message,
            note=" ".join(decision.notes),
            truncations=[t.as_dict() for t in decision.truncations],
        )
        for lead_id in decision.lead_ids
    ]


def record_linked_updates(
    run: ExportRun, updates: "LinkedUpdates", read_at: datetime
) -> None:
    """Store the outcomes of updating linked records and mark their links current.

    A rejected update is recorded and tried again once its lead changes again.
    """
    counts = {"updated_count": 0, "failed_count": 0}
    outcomes = []
    with transaction.atomic():
        for lead_record_id, contact_id in updates.moved.items():
            move_links_to_contact(run, lead_record_id, contact_id)
        for decision in updates.decisions:
            if decision.action == Action.FAIL:
                counts["failed_count"] += len(decision.lead_ids)
                outcomes.extend(_failed_outcomes(run, decision))
            elif decision.action == Action.UPDATE:
                counts["updated_count"] += 1
                outcomes.append(
                    RecordOutcome(
                        export_run=run,
                        lead_id=decision.representative_id,
                        outcome=Outcome.UPDATED,
                        salesforce_object=decision.sobject,
                        salesforce_id=decision.salesforce_id,
                        note=" ".join(decision.notes),
                        truncations=[t.as_dict() for t in decision.truncations],
                        changes=[c.as_dict() for c in decision.changes],
                    )
                )
        RecordOutcome.objects.bulk_create(outcomes)
        add_to_counts(run, **counts)
        lead_ids = [i for decision in updates.decisions for i in decision.lead_ids]
        mark_links_current(run, lead_ids, read_at)


def record_message_decisions(run: ExportRun, decisions: list[MessageDecision]) -> None:
    """Store ledger entries and outcomes of one batch of synced messages.

    Links to a Lead that turned out to be converted move to its Contact.
    """
    synced = failed = 0
    outcomes = []
    with transaction.atomic():
        moves = {d.converted_lead_id: d.person_id for d in decisions}
        moves.pop("", None)
        for lead_record_id, contact_id in moves.items():
            move_links_to_contact(run, lead_record_id, contact_id)
        for decision in decisions:
            sobject = decision.sobject
            ok = decision.action != Action.FAIL
            SyncedMessage.objects.update_or_create(
                message_id=decision.message_id,
                org_id=run.org_id,
                defaults={
                    "message_identifier": decision.identifier,
                    "salesforce_object": sobject,
                    "salesforce_id": decision.salesforce_id or "",
                    "state": SyncedMessage.State.SYNCED
                    if ok
                    else SyncedMessage.State.FAILED,
                    "last_error": ""
                    if ok
                    else f"{decision.error_code}: {decision.error_message}",
                    "export_run": run,
                },
            )
            note = ""
            if decision.action == Action.LINK:
                note = (
                    f"Salesforce already had {sobject} {decision.salesforce_id} with "
                    "this MessageIdentifier; linked it instead of creating a copy."
                )
            if decision.converted_lead_id:
                note = (
                    f"Lead {decision.converted_lead_id} was converted, so the message "
                    f"went to its Contact {decision.person_id}."
                )
            synced += ok
            failed += not ok
            outcomes.append(
                RecordOutcome(
                    export_run=run,
                    lead_id=decision.lead_id,
                    message_id=decision.message_id,
                    outcome=Outcome.MESSAGE_SYNCED if ok else Outcome.MESSAGE_FAILED,
                    salesforce_object=sobject,
                    salesforce_id=decision.salesforce_id or "",
                    error_code=decision.error_code,
                    error_message=decision.error_message,
                    note=note,
                    truncations=[t.as_dict() for t in decision.truncations],
                )
            )
        RecordOutcome.objects.bulk_create(outcomes)
        add_to_counts(run, messages_synced_count=synced, messages_failed_count=failed)


def move_links_to_contact(run: ExportRun, lead_record_id: str, contact_id: str) -> int:
    """Point the org's links to a converted Lead at its Contact; return how many."""
    links = LeadLink.objects.filter(
        org_id=run.org_id, salesforce_object="Lead", salesforce_id=lead_record_id
    )
    moved = 0
    for link in links:
        link.explanation = (
            f"{link.explanation} Later, Lead {lead_record_id} was converted into "
            f"Contact {contact_id}, and Salesforce rejects activities on a "
            f"converted Lead, so export run {run.pk} moved the link to the Contact."
        )
        link.salesforce_object = "Contact"
        link.salesforce_id = contact_id
        link.origin = LeadLink.Origin.MATCHED_CONVERTED_LEAD
        link.export_run = run
        link.save()
        moved += 1
    return moved


def mark_links_current(run: ExportRun, lead_ids: list[int], read_at: datetime) -> None:
    """Record that the org's links of `lead_ids` reflect the leads as read at `read_at`.

    A lead then counts as due for an update again only once it changes later.
    """
    # update() bypasses auto_now, so the time the leads were read is what stays.
    LeadLink.objects.filter(org_id=run.org_id, lead_id__in=lead_ids).update(
        updated_at=read_at
    )


def add_to_counts(run: ExportRun, **increments: int) -> None:
    """Add to the run's counters in the database and mark it as progressing."""
    updates = {name: F(name) + value for name, value in increments.items() if value}
    ExportRun.objects.filter(pk=run.pk).update(progressed_at=timezone.now(), **updates)


def set_api_calls(run: ExportRun, api_calls: int) -> None:
    ExportRun.objects.filter(pk=run.pk).update(api_calls=api_calls)


def stop_running_runs(account, reason: str) -> int:
    """Mark the account's running runs failed with `reason`; return how many."""
    return ExportRun.objects.filter(
        account=account, status=ExportRun.Status.RUNNING
    ).update(status=ExportRun.Status.FAILED, error=reason, finished_at=timezone.now())


def finish_run(
    run: ExportRun, status: str, *, error: str = "", api_calls: int | None = None
) -> ExportRun:
    """Close the run with `status`; returns it with its final counts loaded."""
    fields = {"status": status, "error": error, "finished_at": timezone.now()}
    if api_calls is not None:
        fields["api_calls"] = api_calls
    ExportRun.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run
