"""Queueing of exports on django-q2, with at most one queued task per account.

Intake, the admin, the command and the periodic sweep all ask through
`enqueue_export`. A request while the account's task is still queued joins
that task: it has not started yet, so it will read everything stored before
it. A request while the task runs is noted on its `ExportTask` row, and the
task queues one follow-up when it ends. A burst of requests therefore costs at
most two runs, and an account without a usable connection queues nothing.

django-q2 stops a task after Q_CLUSTER["timeout"] seconds, and a task stopped
that way cannot reset its row. A row `running` for longer than that is
therefore taken to be abandoned. So is a row `queued` for longer than timeout
plus retry: with Redis, a task can be lost in the broker. The next request
then queues a new task. If the old task still starts after all, it finds the
row running and requests a follow-up, or finds little left to do.
"""

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from exports import selection
from exports.config import ExportConfigError, settings_from_config
from exports.models import ExportConfig, ExportTask
from integrations.models import SalesforceConnection

logger = logging.getLogger(__name__)

State = ExportTask.State
TASK_FUNCTION = "exports.tasks.export_account"
FOLLOW_UP_TRIGGER = "follow-up"
# How long past django-q2's timeout a running row still counts as alive.
RUNNING_GRACE = timedelta(seconds=60)


class Outcome(enum.StrEnum):
    QUEUED = "queued"
    JOINED_QUEUED = "joined the queued export"
    AFTER_RUNNING = "runs after the running export"
    NOT_CONNECTED = "not connected"


@dataclass(frozen=True)
class ExportRequest:
    """The outcome of `enqueue_export` and the task that carries out the request."""

    outcome: Outcome
    task_id: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome != Outcome.NOT_CONNECTED


def enqueue_export(account, trigger: str = "admin") -> ExportRequest:
    """Make sure an export of `account` runs after this call, queueing one if needed.

    Raises what django-q2's broker raises when a new task cannot be queued.
    """
    connection = SalesforceConnection.objects.filter(account=account).first()
    if connection is None or not connection.is_usable:
        logger.info(
            "Export of account %s (%s) not queued: no usable Salesforce connection",
            account.slug,
            trigger,
            extra={"account_id": account.pk},
        )
        return ExportRequest(Outcome.NOT_CONNECTED)

    ExportTask.objects.get_or_create(account=account)
    with transaction.atomic():
        row = ExportTask.objects.select_for_update().get(account=account)
        joined = _join(row, trigger)
        if joined is not None:
            return joined
        _set_state(row, State.QUEUED, trigger=trigger, task_id="")

    try:
        task_id = async_task(
            TASK_FUNCTION,
            account.pk,
            trigger,
            task_name=f"export {account.slug} ({trigger})",
            group="exports",
        )
    except Exception:
        ExportTask.objects.filter(pk=row.pk, state=State.QUEUED, task_id="").update(
            state=State.IDLE
        )
        raise
    # With django-q2's sync mode the task has already run and reset the row.
    ExportTask.objects.filter(pk=row.pk, state=State.QUEUED, task_id="").update(
        task_id=task_id
    )
    logger.info(
        "Queued export of account %s (%s) as task %s",
        account.slug,
        trigger,
        task_id,
        extra={"account_id": account.pk, "task_id": task_id},
    )
    return ExportRequest(Outcome.QUEUED, task_id)


def _join(row: ExportTask, trigger: str) -> ExportRequest | None:
    """Fold the request into the queued or running task, if one is alive."""
    if row.state == State.QUEUED and not _abandoned(row):
        logger.info(
            "Export of account %s (%s) joined queued task %s",
            row.account.slug,
            trigger,
            row.task_id,
            extra={"account_id": row.account_id, "task_id": row.task_id},
        )
        return ExportRequest(Outcome.JOINED_QUEUED, row.task_id)
    if row.state == State.RUNNING and not _abandoned(row):
        row.requested_while_running = True
        row.trigger = trigger
        row.save(update_fields=["requested_while_running", "trigger"])
        logger.info(
            "Export of account %s (%s) will follow running task %s",
            row.account.slug,
            trigger,
            row.task_id,
            extra={"account_id": row.account_id, "task_id": row.task_id},
        )
        return ExportRequest(Outcome.AFTER_RUNNING, row.task_id)
    return None


def _abandoned(row: ExportTask) -> bool:
    timeout = timedelta(seconds=settings.Q_CLUSTER["timeout"])
    if row.state == State.RUNNING:
        limit = timeout + RUNNING_GRACE
    else:
        limit = timeout + timedelta(seconds=settings.Q_CLUSTER["retry"])
    return timezone.now() - row.state_changed_at > limit


def _set_state(row: ExportTask, state: str, **fields) -> None:
    row.state = state
    row.state_changed_at = timezone.now()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def start_export_task(account) -> bool:
    """Mark the account's export task running; False when another one runs.

    The task that gets False must not run: its request becomes a follow-up.
    """
    ExportTask.objects.get_or_create(account=account)
    with transaction.atomic():
        row = ExportTask.objects.select_for_update().get(account=account)
        if row.state == State.RUNNING and not _abandoned(row):
            row.requested_while_running = True
            row.save(update_fields=["requested_while_running"])
            return False
        _set_state(row, State.RUNNING, requested_while_running=False)
        return True


def finish_export_task(account) -> ExportRequest | None:
    """Mark the account's export task done; queue the follow-up if one was asked for."""
    with transaction.atomic():
        row = ExportTask.objects.select_for_update().get(account=account)
        follow_up = row.requested_while_running
        _set_state(row, State.IDLE, requested_while_running=False)
    if not follow_up:
        return None
    return enqueue_export(account, trigger=row.trigger or FOLLOW_UP_TRIGGER)


def sweep() -> int:
    """Queue an export of every connected account with new work; return how many.

    New work is what `selection.has_new_work` finds, so idle accounts cost nothing.
    """
    connections = SalesforceConnection.objects.filter(
        state=SalesforceConnection.State.CONNECTED
    ).select_related("account")
    asked = 0
    for connection in connections:
        account = connection.account
        config = ExportConfig.objects.filter(account=account).first()
        config = config or ExportConfig(account=account)
        if not selection.has_new_work(
            account,
            connection.org_id,
            config.export_trigger,
            with_updates=_overwrites_fields(config),
        ):
            continue
        if enqueue_export(account, trigger="sweep").accepted:
            asked += 1
    return asked


def _overwrites_fields(config: ExportConfig) -> bool:
    # A malformed configuration makes the run fail with its own message, so
    # the sweep does not start one every few minutes just to report it.
    try:
        return bool(settings_from_config(config).overwrite_fields)
    except ExportConfigError:
        return False
