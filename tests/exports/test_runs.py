"""The run around the export: lock, refusals, stops, task, command and admin."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from exports.engine import run_export
from exports.models import ExportRun, LeadLink, RecordOutcome
from exports.tasks import export_account
from integrations.models import SalesforceConnection
from tests.exports.conftest import add_email, add_lead

pytestmark = pytest.mark.django_db(transaction=True)


def test_account_without_a_connection_is_refused(account):
    add_lead(account, "ada@example.com")

    run = run_export(account, trigger="test")

    assert run.status == ExportRun.Status.REFUSED
    assert run.error.startswith("The account has no Salesforce connection.")
    assert run.finished_at is not None


def test_connection_needing_reconnect_pauses_exports(connected_account):
    lead = add_lead(connected_account, "ada@example.com")
    SalesforceConnection.objects.update(
        state=SalesforceConnection.State.NEEDS_RECONNECT
    )

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.REFUSED
    assert "needs reconnect" in run.error
    assert "nothing is lost" in run.error
    assert not LeadLink.objects.filter(lead=lead).exists()


def test_concurrent_run_refused(connected_account):
    running = ExportRun.objects.create(
        account=connected_account, trigger="task", progressed_at=timezone.now()
    )
    add_lead(connected_account, "ada@example.com")

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.REFUSED
    assert f"Export run {running.pk} of this account is still running" in run.error
    assert LeadLink.objects.count() == 0
    running.refresh_from_db()
    assert running.status == ExportRun.Status.RUNNING


def test_silent_run_taken_over(connected_account, settings):
    silent_since = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 1)
    abandoned = ExportRun.objects.create(
        account=connected_account, trigger="task", progressed_at=silent_since
    )
    add_lead(connected_account, "ada@example.com")

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.SUCCEEDED
    assert run.created_count == 1
    abandoned.refresh_from_db()
    assert abandoned.status == ExportRun.Status.FAILED
    assert abandoned.error.startswith("Stopped without finishing")


def test_api_limit_stops_run(connected_account, emulator, emulator_org):
    lead = add_lead(connected_account, "ada@example.com")
    emulator.control.set_faults(emulator_org["org_id"], api_limit_remaining=0)

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.FAILED
    assert run.error.startswith("The org's daily API request limit is used up")
    assert "Exports resume on the next run" in run.error
    assert not LeadLink.objects.filter(lead=lead).exists()


def test_expired_session_without_refresh_token_asks_for_reconnect(
    connected_account, emulator, emulator_org
):
    add_lead(connected_account, "ada@example.com")
    SalesforceConnection.objects.update(refresh_token="")
    emulator.control.set_faults(emulator_org["org_id"], expire_sessions=True)

    run = run_export(connected_account, trigger="test")
    again = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.FAILED
    assert "Reconnect Salesforce in Settings → Integrations" in run.error
    assert again.status == ExportRun.Status.REFUSED


def test_failed_emails_retried_next_run(connected_account, sf, emulator, emulator_org):
    lead = add_lead(connected_account, "ada@example.com")
    add_email(lead, "<out-1@artisan.example>")
    run_export(connected_account, trigger="test")
    add_email(lead, "<out-2@artisan.example>", minutes=1)
    emulator.control.set_faults(
        emulator_org["org_id"], server_errors={"count": 10, "status": 503}
    )

    failed = run_export(connected_account, trigger="test")
    emulator.control.clear_faults(emulator_org["org_id"])
    retried = run_export(connected_account, trigger="test")

    assert failed.status == ExportRun.Status.FAILED
    assert failed.error.startswith("Salesforce kept failing")
    assert retried.messages_synced_count == 1
    identifiers = sf.query_all("SELECT MessageIdentifier FROM EmailMessage")["records"]
    assert len(identifiers) == 2


def test_task_safe_to_run_twice(connected_account):
    add_lead(connected_account, "ada@example.com")

    first = export_account(connected_account.pk)
    second = export_account(connected_account.pk)

    runs = ExportRun.objects.in_bulk([first, second])
    assert runs[first].created_count == 1
    assert runs[first].trigger == "task"
    assert (runs[second].created_count, runs[second].skipped_count) == (0, 1)
    assert export_account(987654) is None


def test_command_prints_a_one_line_summary(connected_account, capsys):
    for i in range(3):
        add_lead(connected_account, f"lead{i}@example.com")

    call_command("export_leads", "--account", "acme", "--no-progress")
    call_command("export_leads", "--account", "acme", "--no-progress")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(
        "created 3, linked 0, updated 0, failed 0, messages synced 0, "
        "messages failed 0, API calls 4; 0 leads already linked"
    )
    assert lines[1].endswith("API calls 0; nothing new (3 leads already linked)")


def test_command_fails_for_an_unknown_account(account):
    with pytest.raises(
        CommandError, match="No account with slug 'nope'. Known accounts: acme."
    ):
        call_command("export_leads", "--account", "nope")


def test_command_fails_when_the_account_is_not_connected(account):
    with pytest.raises(CommandError, match="refused: The account has no Salesforce"):
        call_command("export_leads", "--account", "acme", "--no-progress")


def test_admin_pages_load_and_retry_queues_an_export(connected_account, client):
    from django.contrib.auth import get_user_model

    add_lead(connected_account, "ada@example.com", last_name="")
    add_email(add_lead(connected_account, "grace@example.com"), "<m@mail.example>")
    run = run_export(connected_account, trigger="test")
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client.force_login(admin)
    outcome = RecordOutcome.objects.filter(export_run=run).first()

    for path in [
        "/admin/exports/exportconfig/",
        "/admin/exports/leadlink/?q=grace",
        f"/admin/exports/leadlink/{LeadLink.objects.get().pk}/change/",
        "/admin/exports/syncedmessage/?q=grace",
        "/admin/exports/exportrun/",
        f"/admin/exports/exportrun/{run.pk}/change/",
        "/admin/exports/recordoutcome/?q=MISSING_LAST_NAME",
        f"/admin/exports/recordoutcome/{outcome.pk}/change/",
    ]:
        assert client.get(path).status_code == 200, path
    change = client.get(f"/admin/exports/exportrun/{run.pk}/change/").content.decode()
    assert "MISSING_LAST_NAME" in change
    assert client.get("/admin/exports/leadlink/add/").status_code == 403

    response = client.post(
        "/admin/exports/exportrun/",
        {"action": "retry_failed_leads", "_selected_action": [run.pk]},
        follow=True,
    )

    assert "Queued an export of 1 account(s): acme." in response.content.decode()
    assert OrmQ.objects.count() == 1


def test_command_through_worker_prints_json(connected_account, capsys, monkeypatch):
    # The task runs in this process, as django-q2 does with `sync` on.
    monkeypatch.setattr(Conf, "SYNC", True)
    add_lead(connected_account, "ada@example.com")

    call_command(
        "export_leads",
        "--account",
        "acme",
        "--enqueue",
        "--wait",
        "--json",
        "--trigger",
        "demo",
    )

    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["status"] == "succeeded"
    assert printed["created"] == 1
    assert printed["summary"].startswith("created 1, linked 0")
    assert printed["run_id"] == ExportRun.objects.get(trigger="demo").pk


def test_command_enqueue_only_queues(connected_account, capsys):
    call_command("export_leads", "--account", "acme", "--enqueue")
    call_command("export_leads", "--account", "acme", "--enqueue")

    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("Queued the export of acme as task ")
    assert second.startswith("An export of acme was already queued as task ")
    assert second.endswith("; it covers this request.")
    assert OrmQ.objects.count() == 1


def test_command_enqueue_needs_a_connection(account):
    with pytest.raises(CommandError, match="Nothing queued: account acme has no"):
        call_command("export_leads", "--account", "acme", "--enqueue")
