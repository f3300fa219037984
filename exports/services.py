"""Entry points other apps call to start exports."""

import logging

from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def enqueue_export(account, trigger: str = "admin") -> str:
    """Queue an export of `account` on django-q2; returns the task id.

    Safe to call while an export runs: the queued one is refused or finds
    nothing left to do.
    """
    task_id = async_task(
        "exports.tasks.export_account",
        account.pk,
        trigger,
        task_name=f"export {account.slug} ({trigger})",
        group="exports",
    )
    logger.info(
        "Queued export of account %s (%s) as task %s", account.slug, trigger, task_id
    )
    return task_id
