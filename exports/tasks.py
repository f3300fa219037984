"""django-q2 tasks of the export engine; thin wrappers that take ids."""

import logging

from django.conf import settings
from django_q.exceptions import TimeoutException

from exports import recording, services
from exports.engine import run_export
from outreach.models import Account

logger = logging.getLogger(__name__)


def export_account(account_id: int, trigger: str = "task") -> int | None:
    """Run one export of the account; returns the run id, or None if none ran.

    None means the account is gone, or another task runs its export and will
    run it once more when it ends. Safe to run twice.
    """
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        logger.warning("Export task skipped: account %s no longer exists", account_id)
        return None
    if not services.start_export_task(account):
        logger.info(
            "Export task of account %s (%s) deferred: another task is running it",
            account.slug,
            trigger,
            extra={"account_id": account.pk},
        )
        return None
    try:
        return run_export(account, trigger=trigger).pk
    except TimeoutException:
        # django-q2 raises this inside the task, then replaces the worker.
        # Without it the run would look alive until it is taken to be silent.
        recording.stop_running_runs(
            account,
            f"Stopped by the task timeout ({settings.Q_CLUSTER['timeout']} s). "
            "Every finished batch is kept; the next run goes on from there.",
        )
        raise
    finally:
        try:
            services.finish_export_task(account)
        except Exception:
            # The run itself is recorded; the sweep queues whatever is left.
            logger.exception(
                "Could not queue the follow-up export of account %s",
                account.slug,
                extra={"account_id": account.pk},
            )


def sweep_exports() -> int:
    """Queue an export of every connected account with new work; returns how many.

    Runs on the django-q2 schedule "exports.sweep" (see exports.schedules).
    """
    return services.sweep()
