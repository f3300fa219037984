"""Queueing exports: one queued task per account, follow-ups, the sweep, the schedule."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django_q.exceptions import TimeoutException
from django_q.models import OrmQ, Schedule

from exports import services, tasks
from exports.engine import run_export
from exports.models import ExportConfig, ExportRun, ExportTask
from exports.schedules import SWEEP_SCHEDULE_NAME, ensure_sweep_schedule
from exports.services import Outcome, enqueue_export
from integrations.models import SalesforceConnection
from outreach.models import Account
from tests.exports.conftest import add_email, add_lead

pytestmark = pytest.mark.django_db(transaction=True)


def queued_args() -> list[tuple]:
    return [queued.task["args"] for queued in OrmQ.objects.order_by("id")]


def age_row(account, seconds: int) -> None:
    ExportTask.objects.filter(account=account).update(
        state_changed_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_second_request_joins_the_queued_task(connected_account):
    first = enqueue_export(connected_account, trigger="intake")
    second = enqueue_export(connected_account, trigger="admin")

    assert first.outcome == Outcome.QUEUED
    assert second == services.ExportRequest(Outcome.JOINED_QUEUED, first.task_id)
    assert queued_args() == [(connected_account.pk, "intake")]
    row = ExportTask.objects.get(account=connected_account)
    assert (row.state, row.task_id) == (ExportTask.State.QUEUED, first.task_id)


@pytest.mark.parametrize("connected", [False, True])
def test_account_without_usable_connection_queues_nothing(connected, account, request):
    if connected:
        request.getfixturevalue("connected_account")
        SalesforceConnection.objects.update(
            state=SalesforceConnection.State.NEEDS_RECONNECT
        )

    outcome = enqueue_export(account, trigger="intake")

    assert outcome == services.ExportRequest(Outcome.NOT_CONNECTED)
    assert not outcome.accepted
    assert queued_args() == []
    assert not ExportRun.objects.exists()


def test_requests_during_a_run_queue_one_follow_up(connected_account):
    enqueue_export(connected_account, trigger="intake")
    OrmQ.objects.all().delete()
    assert services.start_export_task(connected_account)

    during = [
        enqueue_export(connected_account, trigger=trigger)
        for trigger in ("intake", "sweep", "admin")
    ]
    follow_up = services.finish_export_task(connected_account)

    assert {request.outcome for request in during} == {Outcome.AFTER_RUNNING}
    assert follow_up.outcome == Outcome.QUEUED
    assert queued_args() == [(connected_account.pk, "admin")]
    assert services.finish_export_task(connected_account) is None


def test_second_task_defers_to_the_running_one(connected_account):
    add_lead(connected_account, "ada@example.com")
    assert services.start_export_task(connected_account)

    assert tasks.export_account(connected_account.pk, "intake") is None

    assert not ExportRun.objects.exists()
    row = ExportTask.objects.get(account=connected_account)
    assert (row.state, row.requested_while_running) == (ExportTask.State.RUNNING, True)


def test_request_during_the_task_is_exported_after_it(connected_account, monkeypatch):
    add_lead(connected_account, "ada@example.com")
    enqueue_export(connected_account, trigger="intake")
    OrmQ.objects.all().delete()

    def run_while_a_lead_arrives(account, trigger):
        add_lead(account, "grace@example.com")
        assert enqueue_export(account, trigger="intake").outcome == (
            Outcome.AFTER_RUNNING
        )
        return run_export(account, trigger=trigger)

    monkeypatch.setattr(tasks, "run_export", run_while_a_lead_arrives)
    run_id = tasks.export_account(connected_account.pk, "intake")

    assert ExportRun.objects.get(pk=run_id).created_count == 2
    assert queued_args() == [(connected_account.pk, "intake")]
    assert ExportTask.objects.get().state == ExportTask.State.QUEUED


@pytest.mark.parametrize(
    ("state", "seconds", "outcome"),
    [
        # Running rows live for the timeout (600) plus a minute of grace.
        ("running", 650, Outcome.AFTER_RUNNING),
        ("running", 670, Outcome.QUEUED),
        # Queued rows live for the timeout plus the retry period (720).
        ("queued", 1300, Outcome.JOINED_QUEUED),
        ("queued", 1330, Outcome.QUEUED),
    ],
)
def test_abandoned_rows_are_replaced(connected_account, state, seconds, outcome):
    ExportTask.objects.create(account=connected_account, state=state, task_id="old")
    age_row(connected_account, seconds)

    assert enqueue_export(connected_account, trigger="sweep").outcome == outcome


def test_abandoned_running_row_does_not_stop_a_task(connected_account):
    ExportTask.objects.create(account=connected_account, state="running")
    age_row(connected_account, 700)
    add_lead(connected_account, "ada@example.com")

    run = ExportRun.objects.get(pk=tasks.export_account(connected_account.pk))

    assert run.created_count == 1
    assert ExportTask.objects.get().state == ExportTask.State.IDLE


def test_failed_queueing_frees_the_row(connected_account, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(services, "async_task", broker_down)
    with pytest.raises(ConnectionError):
        enqueue_export(connected_account, trigger="intake")
    monkeypatch.undo()

    assert ExportTask.objects.get().state == ExportTask.State.IDLE
    assert enqueue_export(connected_account, trigger="intake").outcome == (
        Outcome.QUEUED
    )


def test_timeout_marks_the_run_failed(connected_account, monkeypatch):
    def stopped_by_timeout(account, trigger):
        ExportRun.objects.create(account=account, trigger=trigger)
        raise TimeoutException("Task exceeded maximum timeout value (600 seconds)")

    monkeypatch.setattr(tasks, "run_export", stopped_by_timeout)

    with pytest.raises(TimeoutException):
        tasks.export_account(connected_account.pk, "intake")

    run = ExportRun.objects.get()
    assert run.status == ExportRun.Status.FAILED
    assert run.error.startswith("Stopped by the task timeout (600 s).")
    assert run.finished_at is not None
    assert ExportTask.objects.get().state == ExportTask.State.IDLE


def test_sweep_queues_only_accounts_with_new_work(connected_account):
    idle = Account.objects.create(slug="idle", name="Idle")
    idle.campaigns.create(name="Empty")
    lead = add_lead(connected_account, "ada@example.com")

    assert tasks.sweep_exports() == 1
    assert queued_args() == [(connected_account.pk, "sweep")]

    OrmQ.objects.all().delete()
    tasks.export_account(connected_account.pk, "sweep")
    assert tasks.sweep_exports() == 0

    add_email(lead, "<m1@mail.example>")
    assert tasks.sweep_exports() == 1


def test_sweep_leaves_refused_leads_until_they_change(connected_account):
    lead = add_lead(connected_account, "ada@example.com", last_name="")
    tasks.export_account(connected_account.pk, "intake")
    assert ExportRun.objects.get().failed_count == 1

    assert tasks.sweep_exports() == 0

    lead.last_name = "Lovelace"
    lead.save()
    assert tasks.sweep_exports() == 1


def test_sweep_skips_accounts_needing_reconnect(connected_account):
    add_lead(connected_account, "ada@example.com")
    SalesforceConnection.objects.update(
        state=SalesforceConnection.State.NEEDS_RECONNECT
    )

    assert tasks.sweep_exports() == 0
    assert queued_args() == []


def test_sweep_counts_sentiment_changes_when_status_is_overwritten(connected_account):
    lead = add_lead(connected_account, "ada@example.com")
    tasks.export_account(connected_account.pk, "intake")
    lead.sentiment = 3
    lead.replied = True
    lead.save()

    assert tasks.sweep_exports() == 0

    ExportConfig.objects.create(
        account=connected_account, advanced_config={"overwrite_fields": ["Status"]}
    )
    assert tasks.sweep_exports() == 1


def test_migrate_creates_one_sweep_schedule(settings):
    [schedule] = Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "exports.tasks.sweep_exports",
        Schedule.MINUTES,
        5,
    )
    assert schedule.repeats == -1

    settings.EXPORT_SWEEP_MINUTES = 10
    next_run = schedule.next_run
    Schedule.objects.create(name=SWEEP_SCHEDULE_NAME, func="stray.copy")
    ensure_sweep_schedule(None, apps=apps)
    ensure_sweep_schedule(None, apps=apps)

    [schedule] = Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME)
    assert (schedule.minutes, schedule.next_run) == (10, next_run)
