"""API calls and time of a large export; run with `make bench`."""

import time

import pytest

from exports.engine import run_export
from exports.models import ExportRun
from outreach.models import Lead, Message
from tests.exports.conftest import add_email

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

LEADS = 1_000


def test_thousand_leads_with_two_emails_each(connected_account, emulator, emulator_org):
    campaign = connected_account.campaigns.first()
    Lead.objects.bulk_create(
        Lead(
            campaign=campaign,
            email=f"lead{i}@example.com",
            first_name="Ada",
            last_name=f"Lovelace {i}",
            company_name="Analytical Engines",
        )
        for i in range(LEADS)
    )
    for lead in Lead.objects.all():
        add_email(lead, f"<out-{lead.pk}@artisan.example>")
        add_email(lead, f"<in-{lead.pk}@mail.example>", inbound=True, minutes=1)
    emulator.control.reset_api_calls(emulator_org["org_id"])

    started = time.monotonic()
    run = run_export(connected_account, trigger="bench")
    seconds = time.monotonic() - started

    assert run.status == ExportRun.Status.SUCCEEDED, run.error
    assert (run.created_count, run.messages_synced_count) == (LEADS, 2 * LEADS)
    # Per 200 leads: Lead query, Contact query, create; per 200 emails:
    # EmailMessage query, create; plus one describe of Lead and EmailMessage.
    expected = 2 + 3 * (LEADS // 200) + 2 * (2 * LEADS // 200)
    assert run.api_calls == expected == 37
    assert emulator.control.api_calls(emulator_org["org_id"])["total"] == expected
    assert Message.objects.count() == 2 * LEADS
    print(f"\n{LEADS} leads, {2 * LEADS} emails: {run.summary()} in {seconds:.1f} s")
