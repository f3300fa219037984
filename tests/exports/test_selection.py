"""Which linked leads are due for an update after they change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exports import recording, selection
from exports.models import ExportRun, LeadLink
from tests.exports.conftest import add_lead

ORG = "00D000000000001AAA"


def link(lead, salesforce_id="00Q000000000001AAA") -> LeadLink:
    return LeadLink.objects.create(
        lead=lead,
        org_id=ORG,
        salesforce_object="Lead",
        salesforce_id=salesforce_id,
        origin=LeadLink.Origin.CREATED,
        explanation="Created.",
    )


def due(account, trigger="all") -> list[str]:
    leads = selection.leads_due_for_update(account, ORG, trigger)
    return sorted(lead.email for lead in leads)


@pytest.fixture
def run(account):
    return ExportRun.objects.create(account=account, org_id=ORG, trigger="test")


def test_new_sentiment_makes_linked_lead_due(account, run):
    ada = add_lead(account, "ada@example.com")
    add_lead(account, "unlinked@example.com")
    link(ada)
    assert due(account) == []

    ada.replied, ada.sentiment = True, 3
    ada.save()

    assert due(account) == ["ada@example.com"]
    [batch] = selection.update_batches(account, ORG, "all")
    assert [lead.sentiment for lead in batch.leads] == [3]
    assert batch.person_ids == {ada.pk: "00Q000000000001AAA"}

    recording.mark_links_current(run, [ada.pk], batch.read_at)
    assert due(account) == []


def test_change_during_update_keeps_lead_due(account, run):
    ada = add_lead(account, "ada@example.com")
    link(ada)
    ada.sentiment = 2
    ada.save()
    [batch] = selection.update_batches(account, ORG, "all")

    ada.sentiment = 1  # arrives after the batch was read
    ada.save()
    recording.mark_links_current(run, [ada.pk], batch.read_at)

    assert due(account) == ["ada@example.com"]


def test_engaged_trigger_updates_only_leads_that_replied(account):
    quiet = add_lead(account, "quiet@example.com")
    link(quiet)
    quiet.job_title = "CTO"
    quiet.save()

    assert due(account, "all") == ["quiet@example.com"]
    assert due(account, "engaged") == []


def test_links_in_other_orgs_do_not_count(account):
    ada = add_lead(account, "ada@example.com")
    LeadLink.objects.create(
        lead=ada,
        org_id="00D000000000002AAA",
        salesforce_object="Lead",
        salesforce_id="00Q000000000002AAA",
        origin=LeadLink.Origin.CREATED,
        explanation="Created.",
    )
    LeadLink.objects.update(updated_at=timezone.now() - timedelta(days=1))
    ada.save()

    assert due(account) == []


def test_update_batches_walk_in_id_order(account):
    leads = [add_lead(account, f"lead{i}@example.com") for i in range(5)]
    for i, lead in enumerate(leads):
        link(lead, f"00Q00000000000{i}AAA")
    for lead in leads:
        lead.save()

    batches = list(selection.update_batches(account, ORG, "all", batch_size=2))

    assert [[lead.email for lead in b.leads] for b in batches] == [
        ["lead0@example.com", "lead1@example.com"],
        ["lead2@example.com", "lead3@example.com"],
        ["lead4@example.com"],
    ]
